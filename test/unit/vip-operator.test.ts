// The VIP operator against an in-memory etcd (just what the election uses) and
// a manual clock: it holds the VIP while its lease is provably alive, drops it
// at the last answered renewal's send time + TTL − margin, takes it back when a
// renewal is answered again, and on stop revokes its lease only after the
// address has left the kernel.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { EtcdClient, StreamHandlers } from '../../src/operators/vip/etcd/client.js';
import type { KeyValue, LeaseKeepAliveResponse, RangeRequest, TxnRequest, WatchResponse } from '../../src/operators/vip/etcd/messages.js';
import { fields } from '../../src/operators/vip/etcd/wire.js';
import { fenceMarginMs, vipOperator } from '../../src/operators/vip/operator.js';
import { vipOptions } from '../../src/operators/vip/options.js';
import type { KernelView, OperatorContext } from '../../src/operators/operator.js';
import type { AddressStatus } from '../../src/resources/network/types.js';
import { ManualClock } from '../helpers/manual-clock.js';

const header = (revision: bigint) => ({ clusterId: 1n, memberId: 1n, revision, raftTerm: 1n });
const flush = () => new Promise((r) => setTimeout(r, 5));

/** Keys, leases, keepalive answers (switchable) and prefix watches: the slice of etcd an election uses. */
class FakeEtcd {
  rev = 1n;
  kvs = new Map<string, KeyValue>();
  leases = new Set<bigint>();
  answering = true;
  revoked: bigint[] = [];
  private watches: Array<{ key: string; end: string; h: StreamHandlers<WatchResponse> }> = [];
  private nextLease = 0x100n;

  private events(type: 'put' | 'delete', kv: KeyValue): void {
    for (const w of this.watches) {
      const k = kv.key.toString();
      if (k >= w.key && k < w.end) w.h.data({ header: header(this.rev), watchId: 1n, created: false, canceled: false, compactRevision: 0n, cancelReason: '', events: [{ type, kv }] });
    }
  }

  private range(r: RangeRequest): KeyValue[] {
    const key = r.key.toString();
    const end = r.rangeEnd ? r.rangeEnd.toString() : undefined;
    const all = [...this.kvs.values()].filter((kv) => (end === undefined ? kv.key.toString() === key : kv.key.toString() >= key && kv.key.toString() < end));
    all.sort((a, b) => (a.createRevision < b.createRevision ? -1 : 1));
    return r.limit ? all.slice(0, r.limit) : all;
  }

  client(): EtcdClient {
    const c = {
      endpoint: { url: 'http://127.0.0.1:2379', target: '127.0.0.1:2379', tls: false },
      leaseGrant: async (ttl: number) => {
        const id = this.nextLease++;
        this.leases.add(id);
        return { header: header(this.rev), id, ttl: BigInt(ttl), error: '' };
      },
      leaseRevoke: async (id: bigint) => {
        this.revoked.push(id);
        this.leases.delete(id);
        for (const kv of [...this.kvs.values()]) {
          if (kv.lease === id) {
            this.kvs.delete(kv.key.toString());
            this.rev++;
            this.events('delete', kv);
          }
        }
        return { header: header(this.rev) };
      },
      range: async (r: RangeRequest) => ({ header: header(this.rev), kvs: this.range(r), more: false, count: 0n }),
      txn: async (t: TxnRequest) => {
        const cmp = t.compare[0]!;
        const existing = this.kvs.get(cmp.key.toString());
        const ok = cmp.target === 'create' ? (existing?.createRevision ?? 0n) === cmp.createRevision : cmp.target === 'lease' ? existing?.lease === cmp.lease : false;
        for (const op of ok ? t.success : t.failure) {
          if ('put' in op) {
            this.rev++;
            const kv: KeyValue = { key: Buffer.from(op.put.key), value: Buffer.from(op.put.value), createRevision: this.rev, modRevision: this.rev, version: 1n, lease: op.put.lease ?? 0n };
            this.kvs.set(kv.key.toString(), kv);
            this.events('put', kv);
          } else if ('deleteRange' in op && existing) {
            this.kvs.delete(existing.key.toString());
            this.rev++;
            this.events('delete', existing);
          }
        }
        return { header: header(this.rev), succeeded: ok, responses: [] };
      },
      keepAlive: (h: StreamHandlers<LeaseKeepAliveResponse>) => ({
        write: (id: bigint) => {
          if (!this.answering) return;
          const ttl = this.leases.has(id) ? 2n : 0n;
          queueMicrotask(() => h.data({ header: header(this.rev), id, ttl }));
        },
        cancel: () => {},
      }),
      watch: (h: StreamHandlers<WatchResponse>) => ({
        write: (buf: Buffer) => {
          const create = fields(buf).find((f) => f.no === 1);
          if (!create?.bytes) return;
          const f = fields(create.bytes);
          const key = f.find((x) => x.no === 1)!.bytes!.toString();
          const end = f.find((x) => x.no === 2)!.bytes!.toString();
          this.watches.push({ key, end, h });
          queueMicrotask(() => h.data({ header: header(this.rev), watchId: 1n, created: true, canceled: false, compactRevision: 0n, cancelReason: '', events: [] }));
        },
        cancel: () => {
          this.watches = this.watches.filter((w) => w.h !== h);
        },
      }),
      close: () => {},
    };
    return c as unknown as EtcdClient;
  }
}

function context(addresses: AddressStatus[], notified: { n: number }, listeners: Set<() => void>): OperatorContext {
  const view: KernelView = {
    link: () => undefined,
    addresses: () => addresses,
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return {
    spec: { operator: 'vip', linkName: 'eth0', requireUp: true, vip: { ip: '192.0.2.100', gratuitousARP: true }, layer: 'configuration' },
    link: { name: 'eth0', index: 2, hardwareAddr: '02:00:00:00:00:01' },
    netnsPath: '/run/netns/test',
    view,
    log: silentLogger(),
    hostname: undefined,
    nodeHostname: 'cp1',
    notify: () => void notified.n++,
    previous: undefined,
  };
}

describe('VIP operator (in-memory etcd, manual clock)', () => {
  it('holds the VIP while the lease is provably alive, fences at send time + TTL − margin, and resumes on a renewal', async () => {
    const etcd = new FakeEtcd();
    const clock = new ManualClock(10_000);
    const notified = { n: 0 };
    const op = vipOperator(vipOptions({ leaseTtl: '2s' }, undefined, () => false), clock, async () => etcd.client())(context([], notified, new Set()));
    op.start();
    for (let i = 0; i < 20 && op.specs().addresses.length === 0; i++) await flush();
    expect(op.specs().addresses).toEqual([expect.objectContaining({ address: '192.0.2.100/32', announceWithARP: true, layer: 'operator', flags: 'permanent' })]);
    expect(op.status?.()).toMatchObject({ owner: 'cp1', thisNode: true, state: 'owner', leaseTTL: 2 });
    const key = [...etcd.kvs.keys()][0]!;
    expect(key).toMatch(/^talos:v1:vip:election:192\.0\.2\.100\/[0-9a-f]+$/);
    expect(etcd.kvs.get(key)!.value.toString()).toBe('cp1');

    // etcd stops answering: the last answered renewal was sent at t = 10000 (the first tick)
    etcd.answering = false;
    const margin = fenceMarginMs(2);
    clock.advance(2000 - margin - 1);
    await flush();
    expect(op.specs().addresses.length).toBe(1);
    clock.advance(1);
    await flush();
    expect(op.specs().addresses).toEqual([]);
    expect(op.status?.()).toMatchObject({ thisNode: false, state: 'fenced' });

    // a renewal is answered again: after confirming it still leads, it holds the VIP again
    etcd.answering = true;
    clock.advance(700);
    for (let i = 0; i < 20 && op.specs().addresses.length === 0; i++) await flush();
    expect(op.specs().addresses.length).toBe(1);
    await op.stop();
  });

  it('on stop, revokes its lease only once the VIP has left the kernel', async () => {
    const etcd = new FakeEtcd();
    const clock = new ManualClock(10_000);
    const addresses: AddressStatus[] = [{ address: '192.0.2.100/32', local: '192.0.2.100', broadcast: '', linkIndex: 2, linkName: 'eth0', family: 'inet4', scope: 'global', flags: 'permanent', priority: 0 }];
    const listeners = new Set<() => void>();
    const op = vipOperator(vipOptions({ leaseTtl: '2s' }, undefined, () => false), clock, async () => etcd.client())(context(addresses, { n: 0 }, listeners));
    op.start();
    for (let i = 0; i < 20 && op.specs().addresses.length === 0; i++) await flush();
    expect(op.specs().addresses.length).toBe(1);
    const stopped = op.stop();
    await flush();
    expect(op.specs().addresses).toEqual([]);
    // the address is still in the kernel: nobody else may win yet
    expect(etcd.revoked).toEqual([]);
    expect(etcd.kvs.size).toBe(1);
    addresses.length = 0;
    for (const l of listeners) l();
    await stopped;
    expect(etcd.revoked.length).toBe(1);
    expect(etcd.kvs.size).toBe(0);
  });

  it('lets a leftover key of its own go and waits behind another node', async () => {
    const etcd = new FakeEtcd();
    const clock = new ManualClock(10_000);
    // cp2 leads; an older key of cp1 (a previous run) is still there
    const other = await etcd.client().leaseGrant(2, 1000);
    await etcd.client().txn({ compare: [{ key: 'talos:v1:vip:election:192.0.2.100/aa', target: 'create', result: 0, createRevision: 0n }], success: [{ put: { key: 'talos:v1:vip:election:192.0.2.100/aa', value: 'cp2', lease: other.id } }], failure: [] }, 1000);
    const stale = await etcd.client().leaseGrant(2, 1000);
    await etcd.client().txn({ compare: [{ key: 'talos:v1:vip:election:192.0.2.100/bb', target: 'create', result: 0, createRevision: 0n }], success: [{ put: { key: 'talos:v1:vip:election:192.0.2.100/bb', value: 'cp1', lease: stale.id } }], failure: [] }, 1000);
    const op = vipOperator(vipOptions({ leaseTtl: '2s' }, undefined, () => false), clock, async () => etcd.client())(context([], { n: 0 }, new Set()));
    op.start();
    for (let i = 0; i < 20 && op.status?.().owner !== 'cp2'; i++) await flush();
    expect(op.status?.()).toMatchObject({ owner: 'cp2', thisNode: false, state: 'standby' });
    expect(etcd.kvs.has('talos:v1:vip:election:192.0.2.100/bb')).toBe(false);
    expect(op.specs().addresses).toEqual([]);
    // cp2 goes: this node wins
    await etcd.client().leaseRevoke(other.id, 1000);
    for (let i = 0; i < 20 && op.specs().addresses.length === 0; i++) await flush();
    expect(op.status?.()).toMatchObject({ owner: 'cp1', thisNode: true });
    await op.stop();
  });
});
