// What EthtoolClient reads for EthernetStatus, from replies built here in the
// kernel's layout (include/uapi/linux/ethtool_netlink.h): link modes with a
// masked "ours" bitset (supported, advertised) and an unmasked "peer" one,
// unknown speed and duplex, rings with maximums and flags, and features (compact
// bitsets, names from the string set fetched once) as `ethtool -k` prints them. The real-kernel side is in
// test/integration/ethernet.test.ts (veth) and test/kernel/names.kernel.ts (virtio rings).
import { describe, expect, it } from 'vitest';
import { NlWriter } from '../../src/netlink/codec.js';
import { EthtoolClient, notifiedIfindex } from '../../src/netlink/ethtool.js';
import type { GenlClient } from '../../src/netlink/genetlink.js';
import type { NlMessage } from '../../src/netlink/message.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import { EthernetStatusController, ethernetStatusOf, type EthernetStatusOptions } from '../../src/controllers/status/ethernet-status.js';
import { silentLogger } from '../../src/log.js';
import { NS } from '../../src/resources/resource.js';
import { T, type LinkStatus } from '../../src/resources/network/types.js';
import { Runtime } from '../../src/runtime/runtime.js';

/** A genetlink reply: the 4-byte genl header, then what `body` writes. */
function reply(body: (w: NlWriter) => void): NlMessage {
  const w = new NlWriter();
  w.u8(0).u8(1).u16(0);
  body(w);
  const buf = w.toBuffer();
  return { type: 20, flags: 0, seq: 1, portId: 0, buf, offset: 0, length: buf.length };
}

/** A client whose queries are answered by `answer` (given what the request says it does), counting them. */
function clientAnswering(answer: NlMessage | ((what: string) => NlMessage), asked: string[] = []): EthtoolClient {
  const genl = {
    family: async () => ({ name: 'ethtool', id: 20, version: 1, groups: new Map() }),
    conn: {
      query: async (req: { describe(): string }, decode: (m: NlMessage) => unknown) => {
        asked.push(req.describe());
        return decode(typeof answer === 'function' ? answer(req.describe()) : answer);
      },
    },
    close: () => undefined,
  };
  return new EthtoolClient(genl as unknown as GenlClient);
}

/** A compact bitset: SIZE, VALUE and (unless nomask) MASK as little-endian u32 words. */
function compact(w: NlWriter, type: number, size: number, value: number[], mask?: number[]): void {
  const words = (bits: number[]) => {
    const b = Buffer.alloc(Math.ceil(size / 32) * 4);
    for (const i of bits) b[i >> 3] = b[i >> 3]! | (1 << (i & 7));
    return b;
  };
  const set = w.beginNested(type);
  if (mask === undefined) w.attrFlag(1);
  w.attrU32(2, size);
  w.attrBytes(4, words(value));
  if (mask !== undefined) w.attrBytes(5, words(mask));
  w.endNested(set);
}

/** A verbose bitset: `bits` listed by name, `on` ones with the value flag; `nomask`: a value-only set. */
function bitset(w: NlWriter, type: number, bits: Array<[string, boolean]>, nomask = false): void {
  const set = w.beginNested(type);
  if (nomask) w.attrFlag(1);
  const list = w.beginNested(3);
  bits.forEach(([name, on], i) => {
    const bit = w.beginNested(1);
    w.attrU32(1, i);
    w.attrString(2, name);
    if (on) w.attrFlag(3);
    w.endNested(bit);
  });
  w.endNested(list);
  w.endNested(set);
}

describe('EthtoolClient (EthernetStatus reads)', () => {
  it('link modes: what this end advertises (not all it supports), the peer’s, speed and duplex', async () => {
    const m = reply((w) => {
      bitset(w, 3, [
        ['10baseT/Full', false],
        ['100baseT/Full', true],
        ['1000baseT/Full', true],
      ]);
      bitset(w, 4, [['1000baseT/Full', true]], true);
      w.attrU32(5, 1000);
      w.attrU8(6, 1);
    });
    expect(await clientAnswering(m).linkModes('eth0')).toEqual({ speed: 1000, duplex: 1, ours: ['100baseT/Full', '1000baseT/Full'], peer: ['1000baseT/Full'] });
    const unknown = reply((w) => {
      w.attrU32(5, 0xffffffff);
      w.attrU8(6, 0xff);
    });
    expect(await clientAnswering(unknown).linkModes('eth0')).toEqual({ speed: undefined, duplex: 0xff, ours: [], peer: [] });
  });

  it('rings: maximums and current sizes by Talos’ names, flags as numbers', async () => {
    const m = reply((w) => {
      w.attrU32(2, 4096); // rx-max
      w.attrU32(5, 4096); // tx-max
      w.attrU32(6, 512); // rx
      w.attrU32(9, 1024); // tx
      w.attrU8(13, 1); // tx-push
      w.attrU32(99, 7); // a newer kernel's attribute: not read
    });
    expect(await clientAnswering(m).ringStatus('eth0')).toEqual({ 'rx-max': 4096, 'tx-max': 4096, rx: 512, tx: 1024, 'tx-push': 1 });
  });

  it('channels: the counts and their maximums by Talos’ names; a kind with no maximum is not sent, so not shown', async () => {
    const m = reply((w) => {
      w.attrU32(2, 4); // rx-max
      w.attrU32(3, 4); // tx-max
      w.attrU32(6, 2); // rx
      w.attrU32(7, 3); // tx
    });
    expect(await clientAnswering(m).channelStatus('q0')).toEqual({ 'rx-max': 4, 'tx-max': 4, rx: 2, tx: 3 });
    // the settings view (what EthernetConfig compares against) has only the counts
    expect(await clientAnswering(m).channels('q0')).toEqual({ rx: 2, tx: 3 });
  });

  it('Wake-on-LAN: the modes on (not all the driver supports), by Talos’ names in bit order, arp included in the status', async () => {
    const m = reply((w) => {
      // ETHTOOL_A_WOL_MODES: supported phy, ucast, arp, magic; on: magic and arp
      bitset(w, 2, [
        ['phy', false],
        ['ucast', false],
        ['arp', true],
        ['magic', true],
      ]);
    });
    expect(await clientAnswering(m).wolStatus('eth0')).toEqual(['arp', 'magic']);
    // what EthernetConfig can set: arp is not among them
    expect([...(await clientAnswering(m).wol('eth0'))]).toEqual(['magic']);
  });

  it('a notification names its link by the ifindex in its header; none without a header', () => {
    const named = reply((w) => {
      const h = w.beginNested(1);
      w.attrU32(1, 7); // ETHTOOL_A_HEADER_DEV_INDEX
      w.attrString(2, 'q0');
      w.endNested(h);
      w.attrU32(6, 2);
    });
    expect(notifiedIfindex(named)).toBe(7);
    const nameOnly = reply((w) => {
      const h = w.beginNested(1);
      w.attrString(2, 'q0');
      w.endNested(h);
    });
    expect(notifiedIfindex(nameOnly)).toBeUndefined();
    expect(notifiedIfindex(reply((w) => w.attrU32(6, 2)))).toBeUndefined();
  });

  it('features: every known name in order, on/off, [fixed] and [requested …] as ethtool -k prints them; the names fetched once', async () => {
    // the string set: index → name (bit 5 is a reserved, unnamed one)
    const all = ['rx-gro', 'tx-nocache-copy', 'loopback', 'rx-gro-list', 'highdma', ''];
    const strings = reply((w) => {
      const sets = w.beginNested(2);
      const set = w.beginNested(1);
      w.attrU32(1, 4);
      w.attrU32(2, all.length);
      const list = w.beginNested(3);
      all.forEach((name, i) => {
        const one = w.beginNested(1);
        w.attrU32(1, i);
        w.attrString(2, name);
        w.endNested(one);
      });
      w.endNested(list);
      w.endNested(set);
      w.endNested(sets);
    });
    // compact bitsets: hw (changeable) with every known bit as the mask, then wanted, active, nochange
    const features = reply((w) => {
      compact(w, 2, 6, [0, 1, 3], [0, 1, 2, 3, 4, 5]);
      compact(w, 3, 6, [0, 3, 4]);
      compact(w, 4, 6, [0, 4]);
      compact(w, 5, 6, [4]);
    });
    const asked: string[] = [];
    const client = clientAnswering((what) => (what.includes('names') ? strings : features), asked);
    const want = [
      { name: 'rx-gro', status: 'on' },
      { name: 'tx-nocache-copy', status: 'off' },
      { name: 'loopback', status: 'off [fixed]' },
      { name: 'rx-gro-list', status: 'off [requested on]' },
      { name: 'highdma', status: 'on [fixed]' },
    ];
    expect(await client.featureStates('eth0')).toEqual(want);
    expect(await client.featureStates('eth1')).toEqual(want);
    expect(asked).toEqual(['read the names of the features', 'read the features of eth0', 'read the features of eth1']);
  });
});

describe('ethernetStatusOf', () => {
  const unsupported = () => Promise.reject(new NetlinkError({ errno: 95 }));

  it('names the port and duplex as Talos does, shows flags as booleans, leaves out what the driver does not report', async () => {
    const client = {
      linkInfo: async () => ({ port: 0x03 }), // PORT_FIBRE
      linkModes: async () => ({ speed: undefined, duplex: 0xff, ours: [], peer: [] }),
      linkState: async () => false,
      ringStatus: async () => ({ 'rx-max': 4096, rx: 512, 'tx-push': 0, 'tcp-data-split': 2, 'rx-push': 1 }),
      channelStatus: unsupported,
      featureStates: unsupported,
      wolStatus: unsupported,
    } as unknown as EthtoolClient;
    expect(await ethernetStatusOf(client, 'eth0')).toEqual({ port: 'Fibre', duplex: 'Unknown', linkState: false, rings: { 'rx-max': 4096, rx: 512, 'tx-push': false, 'tcp-data-split': true, 'rx-push': true } });
    // the other ports by uapi number (PORT_MII 0x02, PORT_BNC 0x04, PORT_DA 0x05, PORT_NONE 0xef), and one ethtool.h does not have
    const ports: string[] = [];
    for (const port of [0x01, 0x02, 0x04, 0x05, 0xef, 0xff, 0x06]) ports.push((await ethernetStatusOf({ ...client, linkInfo: async () => ({ port }) } as unknown as EthtoolClient, 'eth0'))!.port!);
    expect(ports).toEqual(['AUI', 'MII', 'BNC', 'DirectAttach', 'None', 'Other', 'Port(6)']);
    // tcp-data-split 1 is "disabled", 0 "unknown" (left out)
    const off = { ...client, ringStatus: async () => ({ 'tcp-data-split': 1 }) } as unknown as EthtoolClient;
    expect((await ethernetStatusOf(off, 'eth0'))?.rings).toEqual({ 'tcp-data-split': false });
    const unknown = { ...client, ringStatus: async () => ({ 'tcp-data-split': 0 }) } as unknown as EthtoolClient;
    expect((await ethernetStatusOf(unknown, 'eth0'))?.rings).toBeUndefined();
  });

  it('shows channel counts with their maximums and the Wake-on-LAN modes on; none when all are off', async () => {
    const client = {
      linkInfo: async () => ({ port: 0 }),
      linkModes: async () => ({ speed: 1000, duplex: 1, ours: [], peer: [] }),
      linkState: async () => true,
      ringStatus: unsupported,
      channelStatus: async () => ({ 'combined-max': 8, combined: 4 }),
      featureStates: async () => [],
      wolStatus: async () => ['unicast', 'magic'],
    } as unknown as EthtoolClient;
    expect(await ethernetStatusOf(client, 'eth0')).toEqual({ port: 'TwistedPair', duplex: 'Full', speedMbit: 1000, linkState: true, channels: { 'combined-max': 8, combined: 4 }, wakeOnLAN: ['unicast', 'magic'] });
    const off = { ...client, wolStatus: async () => [], channelStatus: async () => ({}) } as unknown as EthtoolClient;
    const status = await ethernetStatusOf(off, 'eth0');
    expect(status && 'wakeOnLAN' in status).toBe(false);
    expect(status && 'channels' in status).toBe(false);
  });

  it('shows the rest when Wake-on-LAN may not be read (EPERM: it needs CAP_NET_ADMIN)', async () => {
    const client = {
      linkInfo: async () => ({ port: 0 }),
      linkModes: async () => ({ speed: 1000, duplex: 1, ours: [], peer: [] }),
      linkState: async () => true,
      ringStatus: unsupported,
      channelStatus: async () => ({ rx: 1 }),
      featureStates: async () => [],
      wolStatus: () => Promise.reject(new NetlinkError({ errno: 1 })),
    } as unknown as EthtoolClient;
    expect(await ethernetStatusOf(client, 'eth0')).toEqual({ port: 'TwistedPair', duplex: 'Full', speedMbit: 1000, linkState: true, channels: { rx: 1 } });
    // EPERM elsewhere is a failure, not "not supported"
    await expect(ethernetStatusOf({ ...client, featureStates: client.wolStatus } as unknown as EthtoolClient, 'eth0')).rejects.toThrow();
  });

  it('gives no status to a link without ethtool link info (loopback, most tunnels)', async () => {
    const client = { linkInfo: unsupported } as unknown as EthtoolClient;
    expect(await ethernetStatusOf(client, 'lo')).toBeUndefined();
  });
});

describe('EthernetStatusController: which links it asks ethtool about', () => {
  /** Links q0 (ifindex 2) and q1 (3) as LinkStatus; a fake ethtool that counts link-info reads per link. */
  /** `watch`: how ethtool's notifications are followed (default: a fake monitor the test notifies through). */
  async function setup(watch?: EthernetStatusOptions['watch'], followRetryMs?: number) {
    const reads: string[] = [];
    /** Links whose next read fails with EBUSY (not "unsupported"). */
    const busy = new Set<string>();
    const client = {
      linkInfo: async (link: string) => {
        reads.push(link);
        if (busy.delete(link)) throw new NetlinkError({ errno: 16 });
        return { port: 0 };
      },
      linkModes: async () => ({ speed: 10000, duplex: 1, ours: [], peer: [] }),
      linkState: async () => true,
      ringStatus: async () => ({}),
      channelStatus: async () => ({}),
      featureStates: async () => [],
      wolStatus: async () => [],
      close: () => undefined,
    } as unknown as EthtoolClient;
    /** ethtool's notifications: what the controller subscribed with, and whether it let go. */
    const monitor: { notify?: (ifindex: number | undefined) => void; closed: boolean } = { closed: false };
    const r = new Runtime({ log: silentLogger(), mode: 'daemon' });
    r.register(
      new EthernetStatusController(() => client, {
        retryMs: 50,
        watch:
          watch ??
          (async (onChange) => {
            monitor.notify = onChange;
            return { close: () => void (monitor.closed = true) };
          }),
        log: silentLogger(),
        ...(followRetryMs !== undefined ? { followRetryMs } : {}),
      }),
    );
    const link = (index: number, flags = 'UP') => ({ index, type: 'ether', linkIndex: 0, flags }) as unknown as LinkStatus;
    r.store.put(NS.network, T.LinkStatus, 'q0', link(2), 'LinkStatusController');
    r.store.put(NS.network, T.LinkStatus, 'q1', link(3), 'LinkStatusController');
    await r.start();
    await r.settle();
    // the first pass subscribed, and read every link once more once subscribed
    await new Promise((resolve) => setImmediate(resolve));
    await r.settle();
    return { r, reads, link, busy, monitor };
  }

  it('reads every link once, then only the link an event names, or whose LinkStatus or EthernetSpec changed; all after an overrun', async () => {
    const { r, reads, link } = await setup();
    try {
      expect(reads.sort()).toEqual(['q0', 'q0', 'q1', 'q1']);
      expect(r.store.list(NS.network, T.EthernetStatus).map((s) => s.metadata.id).sort()).toEqual(['q0', 'q1']);
      reads.length = 0;
      // a kernel event about q1 (ifindex 3)
      r.wake('EthernetStatusController', { ifindex: 3 });
      await r.settle();
      expect(reads).toEqual(['q1']);
      // q0's LinkStatus changed
      reads.length = 0;
      r.store.put(NS.network, T.LinkStatus, 'q0', link(2, 'UP,LOWER_UP'), 'LinkStatusController');
      await r.settle();
      expect(reads).toEqual(['q0']);
      // an EthernetSpec for q1 (netcfg is about to write it)
      reads.length = 0;
      r.store.put(NS.network, T.EthernetSpec, 'q1', { name: 'q1', features: {}, rings: {}, channels: {} }, 'EthernetSpecMerge');
      await r.settle();
      expect(reads).toEqual(['q1']);
      // netcfg's record for q0 changed (its EthernetConfig written)
      reads.length = 0;
      r.store.put(NS.state, T.AppliedEthernet, 'q0', { name: 'q0', features: {}, rings: {}, channels: {} }, 'EthernetSpecController');
      await r.settle();
      expect(reads).toEqual(['q0']);
      // an event that names no link (an overrun): every link
      reads.length = 0;
      r.wake('EthernetStatusController', {});
      await r.settle();
      expect(reads.sort()).toEqual(['q0', 'q1']);
      // q1 gone: its status goes
      r.store.destroy(NS.network, T.LinkStatus, 'q1', 'LinkStatusController');
      await r.settle();
      expect(r.store.list(NS.network, T.EthernetStatus).map((s) => s.metadata.id)).toEqual(['q0']);
    } finally {
      await r.stop();
    }
  });

  it('follows ethtool’s notifications (a ring or channel change sends no link event): the link named, every link after an overrun; lets go on stop', async () => {
    const { r, reads, monitor } = await setup();
    try {
      expect(monitor.notify).toBeDefined();
      reads.length = 0;
      monitor.notify!(3);
      await r.settle();
      expect(reads).toEqual(['q1']);
      reads.length = 0;
      monitor.notify!(undefined);
      await r.settle();
      expect(reads.sort()).toEqual(['q0', 'q1']);
    } finally {
      await r.stop();
    }
    expect(monitor.closed).toBe(true);
  });

  it('a subscription that fails is tried again at a later pass; one that comes after stop is closed at once', async () => {
    let attempts = 0;
    const late: { resolve?: (m: { close(): void }) => void; closed: boolean } = { closed: false };
    const { r, reads } = await setup(async (onChange) => {
      attempts++;
      if (attempts === 1) throw new Error('ETIMEDOUT');
      onChange(2);
      return { close: () => undefined };
    }, 30);
    try {
      expect(attempts).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 60));
      reads.length = 0;
      r.wake('EthernetStatusController', { ifindex: 3 });
      await r.settle();
      await new Promise((resolve) => setImmediate(resolve));
      await r.settle();
      // subscribed at that pass; its notification (about q0) and the read-all after subscribing came through
      expect(attempts).toBe(2);
      expect(reads.sort()).toEqual(['q0', 'q0', 'q1', 'q1']);
    } finally {
      await r.stop();
    }
    const pending = await setup(() => new Promise((resolve) => (late.resolve = resolve)));
    await pending.r.stop();
    late.resolve!({ close: () => void (late.closed = true) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(late.closed).toBe(true);
  });

  it('a read that fails for a passing reason keeps what was shown and is tried again soon', async () => {
    const { r, reads, busy } = await setup();
    try {
      reads.length = 0;
      busy.add('q1');
      r.wake('EthernetStatusController', { ifindex: 3 });
      await r.settle();
      // the status read before is still there, and the link is read again (requeued) until it answers
      expect(r.store.get(NS.network, T.EthernetStatus, 'q1')).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await r.settle();
      expect(reads).toEqual(['q1', 'q1']);
      expect(r.store.get(NS.network, T.EthernetStatus, 'q1')).toBeDefined();
    } finally {
      await r.stop();
    }
  });
});
