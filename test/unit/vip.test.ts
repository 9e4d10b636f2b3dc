// The VIP operator's parts without a network: the etcd message codec, the
// announcement frames and their repeats, the daemon flags, and the lease
// session's timing (when the lease is provably alive, when it gives up).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProtoWriter, fields } from '../../src/operators/vip/etcd/wire.js';
import {
  CompareResult,
  SortOrder,
  SortTarget,
  decodeLeaseKeepAlive,
  decodeRange,
  decodeWatch,
  encodeRange,
  encodeTxn,
  encodeWatchCreate,
  prefixEnd,
} from '../../src/operators/vip/etcd/messages.js';
import { gratuitousArp, unsolicitedNeighborAdvertisement, announcement } from '../../src/net/announce.js';
import { PacketAnnouncer } from '../../src/controllers/spec/announce.js';
import { parseLeaseTtl, vipOptions, KUBEADM_ETCD_CLIENT } from '../../src/operators/vip/options.js';
import { LeaseSession } from '../../src/operators/vip/session.js';
import type { EtcdClient, StreamHandlers } from '../../src/operators/vip/etcd/client.js';
import { EtcdError } from '../../src/operators/vip/etcd/client.js';
import type { LeaseKeepAliveResponse } from '../../src/operators/vip/etcd/messages.js';
import { fenceMarginMs } from '../../src/operators/vip/operator.js';
import { electionPrefix } from '../../src/operators/vip/election.js';
import { isPrivateIP } from '../../src/operators/vip/platform/hcloud.js';
import { silentLogger } from '../../src/log.js';
import { ManualClock } from '../helpers/manual-clock.js';

const hex = (b: Buffer) => b.toString('hex');

describe('etcd messages (protobuf)', () => {
  it('encodes a range request with etcd field numbers', () => {
    const b = encodeRange({ key: 'a', rangeEnd: 'b', limit: 1, sortOrder: SortOrder.ascend, sortTarget: SortTarget.create });
    // 1:'a' 2:'b' 3:1 5:1 6:2
    expect(hex(b)).toBe('0a0161120162180128013002');
  });

  it('keeps a oneof compare value even at its default (create_revision = 0)', () => {
    const b = encodeTxn({ compare: [{ key: 'k', target: 'create', result: CompareResult.equal, createRevision: 0n }], success: [], failure: [] });
    const compare = fields(b)[0]!.bytes!;
    // target CREATE (2:1), key (3:'k'), create_revision present (5:0)
    expect(hex(compare)).toBe('1001' + '1a016b' + '2800');
  });

  it('decodes responses, with 64-bit lease IDs and negative TTLs', () => {
    const kv = new ProtoWriter().bytesField(1, 'talos:v1:vip:election:192.0.2.1/694d').varint(2, 7n).varint(3, 7n).varint(4, 1n).bytesField(5, 'cp1').varint(6, 0x694d8c3d1f2a6b04n).finish();
    const header = new ProtoWriter().varint(3, 9n).finish();
    const res = decodeRange(new ProtoWriter().bytesField(1, header).bytesField(2, kv).varint(4, 1n).finish());
    expect(res.header.revision).toBe(9n);
    expect(res.kvs[0]!.value.toString()).toBe('cp1');
    expect(res.kvs[0]!.lease).toBe(0x694d8c3d1f2a6b04n);
    expect(res.kvs[0]!.createRevision).toBe(7n);
    const ka = decodeLeaseKeepAlive(new ProtoWriter().varint(2, 5n).varint(3, -1n).finish());
    expect(ka.ttl).toBe(-1n);
  });

  it('decodes watch events and tells puts from deletes', () => {
    const ev = (type: number, key: string) => new ProtoWriter().varint(1, type).bytesField(2, new ProtoWriter().bytesField(1, key).finish()).finish();
    const res = decodeWatch(new ProtoWriter().varint(2, 1n).bytesField(11, ev(0, 'a'), true).bytesField(11, ev(1, 'b'), true).finish());
    expect(res.events.map((e) => [e.type, e.kv.key.toString()])).toEqual([
      ['put', 'a'],
      ['delete', 'b'],
    ]);
    // a create request is field 1 of WatchRequest
    expect(fields(encodeWatchCreate({ key: 'p/', rangeEnd: 'p0', startRevision: 5n }))[0]!.no).toBe(1);
  });

  it('computes prefix range ends as clientv3 does', () => {
    expect(prefixEnd('talos:v1:vip:election:192.0.2.1/').toString()).toBe('talos:v1:vip:election:192.0.2.10');
    expect(hex(prefixEnd(Buffer.from([0x61, 0xff])))).toBe('62');
    expect(hex(prefixEnd(Buffer.from([0xff])))).toBe('00');
    expect(electionPrefix('192.0.2.100')).toBe('talos:v1:vip:election:192.0.2.100');
  });
});

describe('announcements', () => {
  afterEach(() => vi.useRealTimers());

  it('builds a gratuitous ARP request: sender = target = the VIP, from the link MAC, target MAC broadcast', () => {
    expect(hex(gratuitousArp('192.0.2.100', '02:00:00:00:00:01'))).toBe(
      '0001' + '0800' + '06' + '04' + '0001' + '020000000001' + 'c0000264' + 'ffffffffffff' + 'c0000264',
    );
  });

  it('builds an unsolicited neighbour advertisement: override flag, all-nodes, hop limit 255, valid checksum', () => {
    const p = unsolicitedNeighborAdvertisement('2001:db8::100', '02:00:00:00:00:01');
    expect(p.length).toBe(72);
    expect(p[6]).toBe(58);
    expect(p[7]).toBe(255);
    expect(hex(p.subarray(24, 40))).toBe('ff020000000000000000000000000001');
    const icmp = p.subarray(40);
    expect(icmp[0]).toBe(136);
    expect(icmp.readUInt32BE(4)).toBe(0x20000000); // O set; R and S clear
    expect(hex(icmp.subarray(8, 24))).toBe(hex(p.subarray(8, 24))); // target = source = the VIP
    expect(hex(icmp.subarray(24, 32))).toBe('0201' + '020000000001');
    // the one's-complement sum over pseudo-header and message, checksum included, is 0xffff
    const pseudo = Buffer.alloc(40);
    p.copy(pseudo, 0, 8, 40);
    pseudo.writeUInt32BE(32, 32);
    pseudo[39] = 58;
    const all = Buffer.concat([pseudo, icmp]);
    let sum = 0;
    for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    expect(announcement('2001:db8::100', '02:00:00:00:00:01')).toMatchObject({ protocol: 0x86dd, destination: '33:33:00:00:00:01' });
    expect(announcement('192.0.2.100', '02:00:00:00:00:01')).toMatchObject({ protocol: 0x0806, destination: 'ff:ff:ff:ff:ff:ff' });
  });

  it('sends at once, repeats three times within 2 s, and stops repeating once the address is gone', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const a = new PacketAnnouncer(() => sent.push(Date.now()), silentLogger());
    const link = { index: 2, name: 'eth0', hardwareAddr: '02:00:00:00:00:01' };
    const t0 = Date.now();
    a.announce(link, '192.0.2.100/32');
    expect(sent.length).toBe(1);
    vi.advanceTimersByTime(2000);
    expect(sent.map((t) => t - t0)).toEqual([0, 250, 750, 1500]);
    sent.length = 0;
    a.announce(link, '192.0.2.100/32');
    vi.advanceTimersByTime(300);
    a.cancel('eth0', '192.0.2.100/32');
    vi.advanceTimersByTime(3000);
    expect(sent.length).toBe(2);
    // a link without a 6-byte MAC announces nothing (as Talos)
    a.announce({ index: 3, name: 'wg0', hardwareAddr: '' }, '192.0.2.100/32');
    expect(sent.length).toBe(2);
  });
});

describe('daemon flags', () => {
  it('defaults to the local etcd, with kubeadm client certificates when they exist', () => {
    const none = vipOptions({}, undefined, () => false);
    expect(none.endpoints.map((e) => e.url)).toEqual(['http://127.0.0.1:2379']);
    expect(none.tls).toBeUndefined();
    expect(none.leaseTtl).toBe(3);
    const kubeadm = vipOptions({}, undefined, (f) => Object.values(KUBEADM_ETCD_CLIENT).includes(f));
    expect(kubeadm.endpoints.map((e) => e.url)).toEqual(['https://127.0.0.1:2379']);
    expect(kubeadm.tls).toEqual(KUBEADM_ETCD_CLIENT);
  });

  it('takes endpoints, TLS files and a lease TTL, and says what is wrong', () => {
    const o = vipOptions({ endpoints: 'https://10.0.0.1:2379,https://[fd00::1]', ca: '/ca', cert: '/c', key: '/k', leaseTtl: '2s' }, undefined, () => true);
    expect(o.endpoints.map((e) => e.target)).toEqual(['10.0.0.1:2379', '[fd00::1]:2379']);
    expect(o.leaseTtl).toBe(2);
    expect(parseLeaseTtl('3000ms')).toBe(3);
    expect(() => parseLeaseTtl('1s')).toThrow(/at least 2s/);
    expect(() => parseLeaseTtl('2.5s')).toThrow(/whole seconds/);
    expect(() => vipOptions({ endpoints: 'http://a:2379,https://b:2379' }, undefined, () => true)).toThrow(/https for all endpoints or for none/);
    expect(() => vipOptions({ endpoints: 'ftp://a' }, undefined, () => true)).toThrow(/scheme/);
    expect(() => vipOptions({ cert: '/c' }, undefined, () => true)).toThrow(/go together/);
    expect(() => vipOptions({ ca: '/missing' }, undefined, () => false)).toThrow(/no such file/);
  });

  it('fences with a margin of a quarter TTL, 0.5 to 2 s', () => {
    expect(fenceMarginMs(2)).toBe(500);
    expect(fenceMarginMs(3)).toBe(750);
    expect(fenceMarginMs(60)).toBe(2000);
  });

  it('knows private VIPs (Hetzner alias IPs) from public ones (floating IPs)', () => {
    expect(isPrivateIP('10.0.0.5')).toBe(true);
    expect(isPrivateIP('172.20.1.1')).toBe(true);
    expect(isPrivateIP('fd00::5')).toBe(true);
    expect(isPrivateIP('203.0.113.7')).toBe(false);
  });
});

/** An etcd client with one lease: keepalive streams whose answers the test sends. */
function fakeEtcd(ttl: number) {
  const streams: Array<{ handlers: StreamHandlers<LeaseKeepAliveResponse>; writes: number; cancelled: boolean }> = [];
  const client = {
    endpoint: { url: 'http://127.0.0.1:2379', target: '127.0.0.1:2379', tls: false },
    leaseGrant: async () => ({ header: { clusterId: 0n, memberId: 0n, revision: 1n, raftTerm: 1n }, id: 0x42n, ttl: BigInt(ttl), error: '' }),
    keepAlive: (handlers: StreamHandlers<LeaseKeepAliveResponse>) => {
      const s = { handlers, writes: 0, cancelled: false };
      streams.push(s);
      return { write: () => void s.writes++, cancel: () => void (s.cancelled = true) };
    },
    leaseRevoke: async () => ({ header: { clusterId: 0n, memberId: 0n, revision: 2n, raftTerm: 1n } }),
  };
  const answer = (s: (typeof streams)[number], ttlLeft: number) => s.handlers.data({ header: { clusterId: 0n, memberId: 0n, revision: 1n, raftTerm: 1n }, id: 0x42n, ttl: BigInt(ttlLeft) });
  return { client: client as unknown as EtcdClient, streams, answer };
}

describe('lease session', () => {
  it('counts a renewal from when it was sent, renews every TTL/3, and gives up two TTLs after the last proof', async () => {
    const clock = new ManualClock(1000);
    const { client, streams, answer } = fakeEtcd(3);
    const session = await LeaseSession.grant(client, 3, clock);
    // granted at 1000: alive until 4000 at least
    expect(session.aliveUntil()).toBe(4000);
    const lost: string[] = [];
    let renewed = 0;
    session.start({ renewed: () => renewed++, lost: (r) => lost.push(r) });
    expect(streams[0]!.writes).toBe(1); // a renewal at once
    clock.advance(300);
    answer(streams[0]!, 3); // sent at 1000, answered at 1300: counts from 1000
    expect(session.aliveUntil()).toBe(4000);
    expect(renewed).toBe(1);
    clock.advance(700); // 2000: the next renewal
    expect(streams[0]!.writes).toBe(2);
    answer(streams[0]!, 3);
    expect(session.aliveUntil()).toBe(5000);
    // etcd stops answering: at the next tick the stuck stream is replaced by a fresh one
    clock.advance(1000); // 3000: renewal sent on stream 0
    clock.advance(1000); // 4000: unanswered → new stream
    expect(streams[0]!.cancelled).toBe(true);
    expect(streams.length).toBe(2);
    clock.advance(5000 + 6000 - 4000 - 1); // just before 5000 + 2 × 3 s
    expect(lost).toEqual([]);
    clock.advance(2);
    expect(lost.length).toBe(1);
    expect(lost[0]).toMatch(/no keepalive answered/);
    expect(session.ended).toBe(true);
  });

  it('ends at once when etcd says the lease is gone', async () => {
    const clock = new ManualClock(1000);
    const { client, streams, answer } = fakeEtcd(2);
    const session = await LeaseSession.grant(client, 2, clock);
    const lost: string[] = [];
    session.start({ renewed: () => {}, lost: (r) => lost.push(r) });
    answer(streams[0]!, 0);
    expect(lost).toEqual(['the lease expired on the etcd side']);
    const again = await LeaseSession.grant(client, 2, clock);
    const lost2: string[] = [];
    again.start({ renewed: () => {}, lost: (r) => lost2.push(r) });
    streams.at(-1)!.handlers.end(new EtcdError('http://127.0.0.1:2379', 5, 'NOT_FOUND: etcdserver: requested lease not found'));
    expect(lost2).toEqual(['the lease is gone on the etcd side']);
  });
});
