// EthernetSpecController against a fake ethtool (the real kernel is in
// test/integration/ethernet.test.ts, where veth has no rings and no Wake-on-LAN):
// what it writes, what it records and puts back, and what it refuses.
import { describe, expect, it } from 'vitest';
import { EthernetSpecController } from '../../src/controllers/spec/ethernet-spec.js';
import { ethernetSpec } from '../../src/controllers/config/ethernet-config.js';
import type { ChannelName, EthtoolClient, EthtoolFeatures, RingName, WolMode } from '../../src/netlink/ethtool.js';
import { NS } from '../../src/resources/resource.js';
import { T, type AppliedEthernet, type EthernetSpec } from '../../src/resources/network/types.js';
import { silentLogger } from '../../src/log.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { MemoryState } from '../helpers/memory-state.js';

/** One device's settings; `fixed` features ignore a wish, as the kernel does. */
class FakeEthtool {
  calls: string[] = [];
  rings_: Partial<Record<RingName, number>> = { rx: 512, tx: 512 };
  active = new Set(['rx-checksum', 'tx-checksum-ip-generic']);
  fixed = new Set(['rx-checksum']);
  channels_: Partial<Record<ChannelName, number>> = { combined: 8 };
  wol_ = new Set<WolMode>();

  async rings() {
    return { ...this.rings_ };
  }
  async setRings(_: string, r: Partial<Record<RingName, number>>) {
    this.calls.push(`rings ${JSON.stringify(r)}`);
    Object.assign(this.rings_, r);
  }
  async features(): Promise<EthtoolFeatures> {
    const all = ['rx-checksum', 'tx-checksum-ip-generic', 'rx-gro'];
    return { changeable: new Set(all.filter((f) => !this.fixed.has(f))), active: new Set(this.active), wanted: new Set(this.active) };
  }
  async setFeatures(_: string, wanted: ReadonlyMap<string, boolean>) {
    this.calls.push(`features ${[...wanted].map(([f, on]) => `${f}=${on}`).join(',')}`);
    for (const [f, on] of wanted) {
      if (this.fixed.has(f)) continue;
      if (on) this.active.add(f);
      else this.active.delete(f);
    }
  }
  async channels() {
    return { ...this.channels_ };
  }
  async setChannels(_: string, c: Partial<Record<ChannelName, number>>) {
    this.calls.push(`channels ${JSON.stringify(c)}`);
    Object.assign(this.channels_, c);
  }
  async wol() {
    return new Set(this.wol_);
  }
  async setWol(_: string, modes: ReadonlySet<WolMode>) {
    this.calls.push(`wol ${[...modes].join(',')}`);
    this.wol_ = new Set(modes);
  }
}

async function run(dev: FakeEthtool, state: MemoryState, specs: EthernetSpec[], links = ['eth0']) {
  const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot', persist: (r) => state.save(r) });
  runtime.register(new EthernetSpecController(() => dev as unknown as EthtoolClient));
  for (const l of links) runtime.store.put(NS.network, T.LinkStatus, l, { index: 2 }, 'test');
  for (const s of specs) runtime.store.put(NS.network, T.EthernetSpec, s.name, s, 'test');
  for (const k of state.load()) for (const item of k.items) runtime.store.put(NS.state, k.type, item.id, item.spec, k.owner);
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  return { changes: runtime.changes.changes.map((c) => c.detail), pending: [...runtime.changes.pending.values()], failures: runtime.failures().map((f) => f.error.message) };
}

const spec = (extra: Partial<EthernetSpec>): EthernetSpec => ({ name: 'eth0', features: {}, rings: {}, channels: {}, ...extra });

describe('EthernetSpecController', () => {
  it('writes only what differs, in Talos’ order, and records the values it replaced', async () => {
    const dev = new FakeEthtool();
    const state = new MemoryState();
    const r = await run(dev, state, [spec({ rings: { rx: 1024, tx: 512 }, features: { 'rx-gro': true, 'tx-checksum-ip-generic': true }, channels: { combined: 4 }, wakeOnLan: ['magic'] })]);
    expect(r.failures).toEqual([]);
    expect(dev.calls).toEqual(['rings {"rx":1024}', 'features rx-gro=true', 'channels {"combined":4}', 'wol magic']);
    expect(r.changes).toEqual(['rings rx 1024; features rx-gro on; channels combined 4; Wake-on-LAN magic']);
    expect(state.items<AppliedEthernet>(T.AppliedEthernet)).toEqual([{ id: 'eth0', spec: { name: 'eth0', features: { 'rx-gro': false }, rings: { rx: 512 }, channels: { combined: 8 }, wakeOnLan: [] } }]);
  });

  it('keeps the first value it replaced across changes of the spec, and puts that back when the spec goes', async () => {
    const dev = new FakeEthtool();
    const state = new MemoryState();
    await run(dev, state, [spec({ channels: { combined: 4 } })]);
    await run(dev, state, [spec({ channels: { combined: 2 } })]);
    expect(dev.channels_.combined).toBe(2);
    expect(state.items<AppliedEthernet>(T.AppliedEthernet)[0]!.spec.channels).toEqual({ combined: 8 });
    dev.calls = [];
    const r = await run(dev, state, []);
    expect(dev.calls).toEqual(['channels {"combined":8}']);
    expect(r.changes).toEqual(['put back channels combined 8']);
    expect(state.items(T.AppliedEthernet)).toEqual([]);
  });

  it('puts back a setting the spec no longer names, and keeps the others it changed', async () => {
    const dev = new FakeEthtool();
    const state = new MemoryState();
    await run(dev, state, [spec({ features: { 'rx-gro': true }, channels: { combined: 4 }, wakeOnLan: ['magic'] })]);
    dev.calls = [];
    const r = await run(dev, state, [spec({ features: { 'rx-gro': true } })]);
    expect(dev.calls).toEqual(['channels {"combined":8}', 'wol ']);
    expect(r.changes).toEqual(['channels combined 8; Wake-on-LAN off']);
    expect(state.items<AppliedEthernet>(T.AppliedEthernet)[0]!.spec).toEqual({ name: 'eth0', features: { 'rx-gro': false }, rings: {}, channels: {} });
    expect(dev.active.has('rx-gro')).toBe(true);
  });

  it('fails a pass when the kernel does not turn a feature as asked', async () => {
    const dev = new FakeEthtool();
    const r = await run(dev, new MemoryState(), [spec({ features: { 'rx-checksum': false } })]);
    expect(r.failures.join('\n')).toMatch(/ethernet eth0: the kernel did not turn rx-checksum off \(not changeable on this device\)/);
  });

  it('waits for a link that is not there, without a call', async () => {
    const dev = new FakeEthtool();
    const r = await run(dev, new MemoryState(), [spec({ name: 'eth9', channels: { combined: 1 } })]);
    expect(dev.calls).toEqual([]);
    expect(r.pending).toEqual(['ethernet eth9: link eth9 is not present']);
    expect(r.failures).toEqual([]);
  });
});

describe('ethernetSpec', () => {
  it('gives the kernel’s numbers for the ring flags, and each Wake-on-LAN mode once', () => {
    expect(ethernetSpec({ name: 'eth0', rings: { rx: 16, 'tcp-data-split': true, 'tx-push': false }, wakeOnLan: ['magic', 'magic', 'unicast'] } as never)).toEqual({
      name: 'eth0',
      features: {},
      rings: { rx: 16, 'tcp-data-split': 2, 'tx-push': 0 },
      channels: {},
      wakeOnLan: ['magic', 'unicast'],
    });
    expect(ethernetSpec({ name: 'eth0', rings: { 'tcp-data-split': false } } as never).rings).toEqual({ 'tcp-data-split': 1 });
  });
});
