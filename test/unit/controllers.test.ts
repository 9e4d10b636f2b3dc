// Controllers against the in-memory kernel: the ownership rules without root.
import { describe, expect, it } from 'vitest';
import { configSet, parseConfig } from '../../src/config/load.js';
import { applyOnce, configRuntime } from '../../src/engine.js';
import { NS } from '../../src/resources/resource.js';
import { T } from '../../src/resources/network/types.js';
import { silentLogger } from '../../src/log.js';
import { IFF_UP } from '../../src/netlink/rtnetlink/constants.js';
import type { StateFile } from '../../src/runtime/state-file.js';
import { MemoryState } from '../helpers/memory-state.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { RouteStatusController, listingHolds } from '../../src/controllers/status/route-status.js';
import { Store } from '../../src/resources/store.js';
import type { ReconcileContext } from '../../src/runtime/controller.js';
import type { AppliedRoute, RouteSpec } from '../../src/resources/network/types.js';

function config(yaml: string) {
  return configSet(parseConfig('test.yaml', yaml));
}

const base = `
machine:
  network:
    interfaces:
      - interface: eth0
        mtu: 9000
        addresses: [192.0.2.10/24, 2001:db8::10/64]
        routes:
          - network: 198.51.100.0/24
            gateway: 192.0.2.1
            metric: 50
          - gateway: 192.0.2.1
`;

async function apply(kernel: FakeKernel, state: MemoryState, yaml: string, dryRun = false) {
  const before = kernel.writes;
  const result = await applyOnce(config(yaml), { kernel, log: silentLogger(), state: state as unknown as StateFile, dryRun });
  return { ...result, writes: kernel.writes - before };
}

/** The route listings asked of `k` from now on ("table T protocol P"), in order. */
function routeListings(k: FakeKernel): string[] {
  const listed: string[] = [];
  const list = k.listRoutes.bind(k);
  k.listRoutes = ((filter, map) => {
    listed.push(`table ${filter?.table} protocol ${filter?.protocol}`);
    return map ? list(filter ?? {}, map) : list(filter);
  }) as FakeKernel['listRoutes'];
  return listed;
}

/** An in-memory kernel with lo and eth0. */
function loAndEth0(): FakeKernel {
  const k = new FakeKernel();
  k.addLink('lo');
  k.addLink('eth0');
  return k;
}

/** lo and eth0, with the base config applied once. */
async function appliedBase() {
  const k = loAndEth0();
  const state = new MemoryState();
  await apply(k, state, base);
  return { k, state };
}

describe('apply against the in-memory kernel', () => {
  it('applies links, addresses and routes, then does nothing the second time', async () => {
    const k = loAndEth0();
    const state = new MemoryState();
    const first = await apply(k, state, base);
    expect(first.failures).toEqual([]);
    // with lo from the default layer: up, and 127.0.0.1/8 (the in-memory kernel does not add it itself)
    expect(first.changes.summary()).toBe('5 added, 2 changed, 0 removed');
    const eth0 = k.links.find((l) => l.name === 'eth0')!;
    expect(eth0.mtu).toBe(9000);
    expect(eth0.flags & IFF_UP).toBe(IFF_UP);
    expect(k.routes.map((r) => `${r.dst ?? 'default'}/${r.dstLen} ${r.gateway} ${r.priority} ${r.protocol}`).sort()).toEqual(['198.51.100.0/24 192.0.2.1 50 4', 'default/0 192.0.2.1 1024 4']);
    const second = await apply(k, state, base);
    expect(second.changes.summary()).toBe('0 added, 0 changed, 0 removed');
    expect(second.writes).toBe(0);
  });

  it('a re-apply lists the routes of a managed table once, although its records from the state file name the table too', async () => {
    const { k, state } = await appliedBase();
    const listed = routeListings(k);
    const second = await apply(k, state, base);
    expect(second.writes).toBe(0);
    expect(listed).toEqual(['table 254 protocol 4']);
  });

  it('the link controller reads the links the link statuses listed, and lists them itself only after its own writes', async () => {
    const k = loAndEth0();
    let listings = 0;
    const list = k.listLinks.bind(k);
    k.listLinks = () => (listings++, list());
    const state = new MemoryState();
    // the statuses list at start and once more after the links were set up (their events): the link
    // controller, woken by those statuses, reads them (it listed twice more of its own before)
    expect((await apply(k, state, base)).failures).toEqual([]);
    expect(listings).toBe(2);
    listings = 0;
    expect((await apply(k, state, base)).writes).toBe(0);
    expect(listings).toBe(1);
  });

  it('a first apply lists a managed table once, although its link comes up between the route statuses\' passes', async () => {
    const k = loAndEth0();
    const listed = routeListings(k);
    const first = await apply(k, new MemoryState(), base);
    expect(first.failures).toEqual([]);
    expect(k.routes).toHaveLength(2);
    expect(listed).toEqual(['table 254 protocol 4']);
  });

  it('a listing that fails is made again in full on the retry, never taken as done; the route controller waits for it', async () => {
    const { k, state } = await appliedBase();
    const listed = routeListings(k);
    const list = k.listRoutes;
    let failed = false;
    k.listRoutes = ((filter, map) => {
      if (!failed) {
        failed = true;
        return Promise.reject(new Error('dump interrupted once too often'));
      }
      return list(filter, map);
    }) as FakeKernel['listRoutes'];
    const second = await apply(k, state, base);
    expect(second.failures).toEqual([]);
    // the route statuses' retry listed the table (the failed call never reached the kernel); the route
    // controller waited for it: it neither wrote nor looked its routes up itself (protocol undefined)
    expect(listed).toEqual(['table 254 protocol 4']);
    expect(second.writes).toBe(0);
  });

  it('listingHolds: the same revisions of the specs and records, and no link that was up gone down or away', () => {
    const before = { specs: 3, records: 7, up: new Set([1, 2]) };
    expect(listingHolds(undefined, before)).toBe(false);
    expect(listingHolds(before, { specs: 3, records: 7, up: new Set([1, 2, 3]) })).toBe(true); // a link came up
    expect(listingHolds(before, { specs: 3, records: 7, up: new Set([1]) })).toBe(false); // one went down or away
    expect(listingHolds(before, { specs: 4, records: 7, up: new Set([1, 2]) })).toBe(false); // a spec written or removed
    expect(listingHolds(before, { specs: 3, records: 8, up: new Set([1, 2]) })).toBe(false); // a record written or removed
  });

  it('a route deleted while the kernel lists the table (an interrupted dump, retried) is put back', async () => {
    const { k, state } = await appliedBase();
    const shown = () => k.routes.map((r) => `${r.dst ?? 'default'}/${r.dstLen}`).sort();
    expect(shown()).toEqual(['198.51.100.0/24', 'default/0']);
    k.interruptNextRouteDump = () => {
      k.routes = k.routes.filter((r) => r.dst !== '198.51.100.0');
    };
    const second = await apply(k, state, base);
    expect(k.interruptNextRouteDump).toBeUndefined();
    expect(second.changes.summary()).toBe('1 added, 0 changed, 0 removed');
    expect(shown()).toEqual(['198.51.100.0/24', 'default/0']);
  });

  it('sends a link route before the route through its off-subnet gateway, and removes them in reverse', async () => {
    const k = new FakeKernel();
    k.addLink('eth0');
    const state = new MemoryState();
    const yaml = `
machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
          - network: 203.0.113.0/24
            gateway: 10.99.0.1
          - network: 10.99.0.1/32
`;
    const first = await apply(k, state, yaml);
    expect(first.failures).toEqual([]);
    expect(k.log.filter((l) => l.startsWith('fail'))).toEqual([]); // right the first time, not after a retry
    expect(k.routes.map((r) => `${r.dst}/${r.dstLen} ${r.gateway ?? 'link'}`).sort()).toEqual(['10.99.0.1/32 link', '203.0.113.0/24 10.99.0.1']);
    const logged = k.log.length;
    const second = await apply(k, state, yaml.replace(/        routes:[^]*$/, ''));
    expect(second.failures).toEqual([]);
    expect(k.log.slice(logged).filter((l) => l.includes('route'))).toEqual([
      'ok delete route 203.0.113.0/24 via 10.99.0.1 dev eth0 metric 1024',
      'ok delete route 10.99.0.1/32 dev eth0 metric 1024',
    ]);
    expect(k.routes).toEqual([]);
  });

  it('dry-run reports the plan and writes nothing', async () => {
    const k = new FakeKernel();
    k.addLink('eth0');
    const state = new MemoryState();
    const r = await apply(k, state, base, true);
    expect(r.changes.summary()).toBe('4 added, 1 changed, 0 removed');
    expect(r.writes).toBe(0);
    expect(state.saves).toBe(0);
    expect(k.addresses).toEqual([]);
  });

  it('removing a config entry undoes exactly what netcfg did', async () => {
    const k = new FakeKernel();
    k.addLink('eth0');
    const state = new MemoryState();
    await apply(k, state, base);
    // someone else's address and route
    k.addresses.push({ family: 'inet4', prefixLen: 24, flags: 0x80, scope: 0, index: 1, address: '203.0.113.5', local: '203.0.113.5' });
    k.routes.push({ family: 'inet4', dstLen: 16, srcLen: 0, tos: 0, table: 254, protocol: 4, scope: 0, type: 1, flags: 0, dst: '10.99.0.0', gateway: '192.0.2.1', oif: 1, priority: 7 });
    const r = await apply(k, state, base.replace('          - network: 198.51.100.0/24\n            gateway: 192.0.2.1\n            metric: 50\n', '').replace('2001:db8::10/64', ''));
    expect(r.failures).toEqual([]);
    expect(r.changes.changes.map((c) => `${c.action} ${c.kind} ${c.id}`).sort()).toEqual(['remove address eth0/2001:db8::10/64', 'remove route inet4/192.0.2.1/198.51.100.0/24/50']);
    expect(k.addresses.map((a) => addressText(a)).sort()).toEqual(['192.0.2.10/24', '203.0.113.5/24']);
    expect(k.routes.map((x) => x.dst ?? 'default').sort()).toEqual(['10.99.0.0', 'default']);
  });

  it('the state file knows a link\'s original MTU before the kernel changes it: killed right after, the next run still restores it', async () => {
    const k = new FakeKernel();
    k.addLink('eth0');
    const state = new MemoryState();
    // what the state file held at the moment of each link write: a kill -9 right after it leaves exactly that
    const atWrite: Array<MemoryState['kinds']> = [];
    const exec = k.execAll.bind(k);
    k.execAll = async (requests) => {
      if (requests.some((r) => r.write && r.describe().includes('eth0') && r.describe().includes('mtu'))) atWrite.push(structuredClone(state.kinds));
      return exec(requests);
    };
    await apply(k, state, base);
    expect(k.links[0]!.mtu).toBe(9000);
    expect(atWrite.length).toBeGreaterThan(0);
    // the run is "killed" right after its MTU write: the next run starts from the state file of that moment
    const afterKill = new MemoryState();
    afterKill.kinds = atWrite[0]!;
    const r = await apply(k, afterKill, 'machine: {network: {interfaces: []}}');
    expect(r.failures).toEqual([]);
    expect(k.links[0]!.mtu).toBe(1500);
  });

  it('removing the whole interface restores its MTU and down state', async () => {
    const k = new FakeKernel();
    k.addLink('eth0');
    const state = new MemoryState();
    await apply(k, state, base);
    const r = await apply(k, state, 'machine: {network: {interfaces: []}}');
    expect(r.failures).toEqual([]);
    const eth0 = k.links[0]!;
    expect(eth0.mtu).toBe(1500);
    expect(eth0.flags & IFF_UP).toBe(0);
    expect(k.addresses).toEqual([]);
    expect(k.routes).toEqual([]);
    expect(r.changes.summary()).toBe('0 added, 0 changed, 5 removed');
  });

  it('leaves an address it found in place when the entry goes away', async () => {
    const k = new FakeKernel();
    k.addLink('eth0', { flags: IFF_UP });
    k.addresses.push({ family: 'inet4', prefixLen: 24, flags: 0x80, scope: 0, index: 1, address: '192.0.2.10', local: '192.0.2.10' });
    const state = new MemoryState();
    const yaml = 'machine: {network: {interfaces: [{interface: eth0, addresses: [192.0.2.10/24]}]}}';
    const first = await apply(k, state, yaml);
    expect(first.writes).toBe(0);
    await apply(k, state, 'machine: {network: {interfaces: [{interface: eth0}]}}');
    expect(k.addresses.map(addressText)).toEqual(['192.0.2.10/24']);
  });

  it('replaces an address with other scope and restores it on removal', async () => {
    const k = new FakeKernel();
    k.addLink('eth0', { flags: IFF_UP });
    k.addresses.push({ family: 'inet4', prefixLen: 24, flags: 0x80, scope: 253, index: 1, address: '192.0.2.10', local: '192.0.2.10' });
    const state = new MemoryState();
    const r = await apply(k, state, 'machine: {network: {interfaces: [{interface: eth0, addresses: [192.0.2.10/24]}]}}');
    expect(r.changes.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['change eth0/192.0.2.10/24']);
    expect(k.addresses[0]!.scope).toBe(0);
    await apply(k, state, 'machine: {network: {interfaces: [{interface: eth0}]}}');
    expect(k.addresses.map((a) => [addressText(a), a.scope])).toEqual([['192.0.2.10/24', 253]]);
  });

  it('reports a kernel refusal with its extended-ack text and still applies the rest', async () => {
    const k = new FakeKernel();
    k.addLink('eth0');
    const state = new MemoryState();
    const r = await apply(k, state, base.replace('- gateway: 192.0.2.1', '- gateway: 203.0.113.1'));
    expect(r.failures.map((f) => f.error.message).join('\n')).toMatch(/add route default via 203.0.113.1 dev eth0 metric 1024: Nexthop has invalid gateway \[ENETUNREACH\]/);
    expect(k.routes).toHaveLength(1);
    // the failed route was not recorded as netcfg's
    const records = state.kinds.find((kd) => kd.type === 'AppliedRoute')!.items.map((i) => i.id);
    expect(records).toEqual(['inet4/192.0.2.1/198.51.100.0/24/50']);
    // the retries (one-shot: 3 passes) sent only the refused route again, never the one already in
    expect(k.log.filter((l) => l.includes('198.51.100.0/24'))).toEqual(['ok add route 198.51.100.0/24 via 192.0.2.1 dev eth0 metric 50']);
    expect(k.log.filter((l) => l.includes('via 203.0.113.1'))).toHaveLength(3);
    expect(r.changes.changes.filter((c) => c.kind === 'route').map((c) => c.action)).toEqual(['add']);
  });

  it('waits for a link that is not there, and configures it once it appears', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const r = await apply(k, state, base);
    expect([...r.changes.pending.keys()].sort()).toContain('link/eth0');
    expect(r.failures).toEqual([]);
    expect(r.writes).toBe(0);
    k.addLink('eth0');
    const again = await apply(k, state, base);
    expect(again.changes.summary()).toBe('4 added, 1 changed, 0 removed');
  });
});

describe('route identity', () => {
  it('an IPv6 spec with metric 0 is the kernel route with metric 1024', async () => {
    const k = new FakeKernel();
    k.addLink('eth0', { flags: IFF_UP });
    k.routes.push({ family: 'inet6', dstLen: 48, srcLen: 0, tos: 0, table: 254, protocol: 4, scope: 0, type: 1, flags: 0, dst: '2001:db8:1::', gateway: 'fe80::1', oif: 1, priority: 1024 });
    const runtime = configRuntime({ kernel: k, log: silentLogger(), mode: 'oneshot' });
    runtime.store.put(NS.networkConfig, T.RouteSpec, 'operator/r', {
      family: 'inet6', dst: '2001:db8:1::/48', src: '', gateway: 'fe80::1', outLinkName: 'eth0', table: 'main', priority: 0,
      scope: 'global', type: 'unicast', flags: '', protocol: 'static', mtu: 0, layer: 'operator',
    }, 'dhcp6');
    await runtime.start();
    await runtime.settle();
    expect(runtime.failures()).toEqual([]);
    expect(k.writes).toBe(0);
    expect(runtime.changes.changes).toEqual([]);
  });

  it('replaces a route of the same identity that differs, and puts it back on removal', async () => {
    const k = new FakeKernel();
    k.addLink('eth0', { flags: IFF_UP });
    k.addresses.push({ family: 'inet4', prefixLen: 24, flags: 0x80, scope: 0, index: 1, address: '192.0.2.10', local: '192.0.2.10' });
    // the same destination, gateway and metric, but protocol boot and an MTU
    k.routes.push({ family: 'inet4', dstLen: 24, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0, dst: '198.51.100.0', gateway: '192.0.2.1', oif: 1, priority: 1024, mtu: 1300 });
    const state = new MemoryState();
    const withRoute = 'machine: {network: {interfaces: [{interface: eth0, addresses: [192.0.2.10/24], routes: [{network: 198.51.100.0/24, gateway: 192.0.2.1}]}]}}';
    const r = await apply(k, state, withRoute);
    expect(r.changes.changes.map((c) => `${c.action} ${c.id}: ${c.detail}`)).toEqual([
      'change inet4/192.0.2.1/198.51.100.0/24/1024: route 198.51.100.0/24 via 192.0.2.1 dev eth0 metric 1024: protocol boot → static, mtu 1300 → 0',
    ]);
    expect(k.routes.map((x) => [x.protocol, x.mtu])).toEqual([[4, undefined]]);
    await apply(k, state, 'machine: {network: {interfaces: [{interface: eth0, addresses: [192.0.2.10/24]}]}}');
    expect(k.routes.map((x) => [x.protocol, x.mtu]), k.log.join('\n')).toEqual([[3, 1300]]);
  });
});

function addressText(a: { address?: string; local?: string; prefixLen: number }): string {
  return `${a.local ?? a.address}/${a.prefixLen}`;
}

describe('the route statuses of a daemon', () => {
  it('keep the destinations route events are filtered by until the route specs or records change, and make them again then', async () => {
    const k = loAndEth0();
    const store = new Store();
    const owner = 'RouteStatusController';
    const ctx = {
      list: (ns: string, type: string) => store.list(ns, type),
      count: (ns: string, type: string) => store.count(ns, type),
      revision: (ns: string, type: string) => store.revision(ns, type),
      get: (ns: string, type: string, id: string) => store.get(ns, type, id),
      put: (ns: string, type: string, id: string, spec: unknown) => store.put(ns, type, id, spec, owner),
      teardown: (ns: string, type: string, id: string) => store.teardown(ns, type, id, owner),
      destroy: (ns: string, type: string, id: string) => store.destroy(ns, type, id, owner),
      yield: async () => {},
    } as unknown as ReconcileContext;
    const route = (dst: string): RouteSpec => ({ family: 'inet4', dst, src: '', gateway: '192.0.2.1', outLinkName: 'eth0', table: 'main', priority: 1024, scope: 'global', type: 'unicast', flags: '', protocol: 'static', mtu: 0, layer: 'configuration' });
    const about = (dst: string) => ({ family: 'inet4' as const, table: 254, dst });
    const statuses = new RouteStatusController(k, { daemon: true });
    store.put(NS.network, T.RouteSpec, 'a', route('198.51.100.0/24'), 'merge');
    await statuses.reconcile(ctx);
    const first = statuses.managed;
    expect([first.concerns(about('198.51.100.0/24')), first.concerns(about('203.0.113.0/24'))]).toEqual([true, false]);
    // woken by a route event, nothing of netcfg's changed: the same set
    await statuses.reconcile(ctx);
    expect(statuses.managed).toBe(first);
    // a spec changed: made again
    store.put(NS.network, T.RouteSpec, 'a', route('203.0.113.0/24'), 'merge');
    await statuses.reconcile(ctx);
    expect([statuses.managed.concerns(about('198.51.100.0/24')), statuses.managed.concerns(about('203.0.113.0/24'))]).toEqual([false, true]);
    // a record of a route netcfg still has to remove
    const record: AppliedRoute = { ...route('192.0.2.128/25'), created: true };
    store.put(NS.state, T.AppliedRoute, 'r', record, 'RouteSpecController');
    await statuses.reconcile(ctx);
    expect(statuses.managed.concerns(about('192.0.2.128/25'))).toBe(true);
    expect(statuses.managed.concerns(about('203.0.113.0/24'))).toBe(true);
    // records of an older netcfg with host bits in the destination: the kernel's events name the network
    store.put(NS.state, T.AppliedRoute, 'h4', { ...record, dst: '198.18.0.129/25' }, 'RouteSpecController');
    store.put(NS.state, T.AppliedRoute, 'h6', { ...record, family: 'inet6', dst: '2001:db8:5::1/64' }, 'RouteSpecController');
    await statuses.reconcile(ctx);
    expect(statuses.managed.concerns(about('198.18.0.128/25'))).toBe(true);
    expect(statuses.managed.concerns({ family: 'inet6', table: 254, dst: '2001:db8:5::/64' })).toBe(true);
  });
});
