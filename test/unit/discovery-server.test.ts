// The discovery server's state and watch delivery: the merge/GC steps of
// talos-vectors.json (TestAffiliateMutations), the GC endpoint-expiry case
// (where netcfg sends the live affiliate instead of the reference server's
// ID-only deletion), limits, Hello's client IP and version label, snapshots.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { clientIP, versionLabel } from '../../src/discovery-server/client-ip.js';
import { IPRateLimiter, RateLimitExceeded } from '../../src/discovery-server/limiter.js';
import { encodeSnapshot, loadSnapshot } from '../../src/discovery-server/snapshot.js';
import { Affiliate, Cluster, LIMITS, State, StateError, type Notification } from '../../src/discovery-server/state.js';
import { WatchQueue, type WatchSink } from '../../src/discovery-server/watch.js';
import { describeWithShared, sharedPath } from '../helpers/shared.js';

interface Vector {
  id: string;
  kind: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}

const vector = (id: string): Vector => (JSON.parse(fs.readFileSync(sharedPath('specs', 'talos-vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors.find((v) => v.id === id)!;
const b = (s: string) => Buffer.from(s);
const text = (list: Buffer[]) => list.map((x) => x.toString());
const minutes = (s: string) => Number(/^\+(\d+)m?$/.exec(s)![1]) * 60_000;

function headers(h: Record<string, string> = {}) {
  return { get: (k: string) => (h[k.toLowerCase()] !== undefined ? [h[k.toLowerCase()]!] : []) };
}

describeWithShared('discovery server (talos-vectors.json)', () => {
  it('merges endpoints and collects garbage as TestAffiliateMutations', () => {
    const steps = vector('server-affiliate-merge-gc').input.steps as Array<Record<string, unknown>>;
    const a = new Affiliate('a');
    for (const s of steps) {
      const what = JSON.stringify(s);
      if (s.op === 'Update') expect(a.update(b(s.data as string), minutes(s.expires as string)), what).toBe(s.expect_changed);
      if (s.op === 'MergeEndpoints') expect(a.mergeEndpoints((s.endpoints as string[]).map(b), minutes(s.expires as string)), what).toBe(s.expect_changed);
      if (s.op === 'GarbageCollect') {
        const r = a.collect(minutes(s.at as string));
        expect(r === 'remove', what).toBe(s.expect_remove);
        if (r !== 'remove') expect(r, what).toBe(s.expect_changed);
      }
      if (s.expect_endpoints) expect(text(a.endpoints.map((e) => e.data)), what).toEqual(s.expect_endpoints);
    }
  });

  it('keeps a live affiliate for watchers when only an endpoint expires (the reference server sends deleted=true)', () => {
    const v = vector('server-gc-endpoint-expiry-quirk');
    const upstream = v.expected.watch_messages as Array<{ deleted: boolean }>;
    expect(upstream[2]!.deleted).toBe(true); // what the reference server does
    const c = new Cluster('gc-quirk-cluster');
    const seen: Notification[] = [];
    c.subscribe({ notify: (n) => (seen.push(n), true), lost: () => {} });
    c.update({ affiliateId: 'a', data: b('data'), endpoints: [b('long')], ttlMs: 60_000 }, 0);
    c.update({ affiliateId: 'a', data: Buffer.alloc(0), endpoints: [b('short')], ttlMs: 1000 }, 0);
    expect(c.collect(6000)).toBe(0);
    expect(seen.map((n) => (n.affiliate ? { id: n.id, data: n.affiliate.data.toString(), endpoints: text(n.affiliate.endpoints) } : { id: n.id, deleted: true }))).toEqual([
      { id: 'a', data: 'data', endpoints: ['long'] },
      { id: 'a', data: 'data', endpoints: ['long', 'short'] },
      { id: 'a', data: 'data', endpoints: ['long'] },
    ]);
    expect(c.list().map((x) => ({ id: x.id, data: x.data.toString(), endpoints: text(x.endpoints) }))).toEqual(v.expected.list_after);
  });

  it("answers Hello with the client IP the reference server's tests expect", () => {
    for (const id of ['hello-client-ip-loopback', 'hello-client-ip-x-real-ip', 'hello-client-ip-x-forwarded-for']) {
      const v = vector(id);
      const h = Object.fromEntries(Object.entries(v.input.metadata as Record<string, string>).map(([k, x]) => [k.toLowerCase(), x]));
      const ip = clientIP(headers(h), `${v.input.peer as string}:43210`, { trustXRealIP: true, trustXForwardedFor: true });
      expect(ip.bytes.toString('hex'), id).toBe(v.expected.client_ip_hex);
    }
  });

  it('labels client versions as the reference server', () => {
    const v = vector('version-label');
    expect((v.input.versions as string[]).map(versionLabel)).toEqual(v.expected.labels);
  });
});

it('takes the peer address when the headers are not trusted, and IPv4-mapped peers as IPv4', () => {
  expect(clientIP(headers({ 'x-real-ip': '1.2.3.4' }), '::ffff:192.0.2.7:5000', { trustXRealIP: false, trustXForwardedFor: false }).bytes.toString('hex')).toBe('c0000207');
  expect(clientIP(headers(), '::1:5000', { trustXRealIP: true, trustXForwardedFor: true }).bytes.length).toBe(16);
});

it('enforces the limits of pkg/limits', () => {
  const c = new Cluster('c');
  const err = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return e instanceof StateError ? e.code : 'other';
    }
    return 'none';
  };
  expect(err(() => c.update({ affiliateId: '', data: b('x'), endpoints: [], ttlMs: 1000 }, 0))).toBe('InvalidArgument');
  expect(err(() => c.update({ affiliateId: 'x'.repeat(257), data: b('x'), endpoints: [], ttlMs: 1000 }, 0))).toBe('InvalidArgument');
  expect(err(() => c.update({ affiliateId: 'a', data: Buffer.alloc(2049), endpoints: [], ttlMs: 1000 }, 0))).toBe('InvalidArgument');
  expect(err(() => c.update({ affiliateId: 'a', data: b('x'), endpoints: [Buffer.alloc(33)], ttlMs: 1000 }, 0))).toBe('InvalidArgument');
  expect(err(() => c.update({ affiliateId: 'a', data: b('x'), endpoints: [], ttlMs: LIMITS.ttlMaxMs + 1 }, 0))).toBe('InvalidArgument');
  const many = Array.from({ length: 64 }, (_, i) => b(`e${i}`));
  expect(err(() => c.update({ affiliateId: 'a', data: b('x'), endpoints: many, ttlMs: 1000 }, 0))).toBe('none');
  expect(err(() => c.update({ affiliateId: 'a', data: b('y'), endpoints: [b('one more')], ttlMs: 1000 }, 0))).toBe('ResourceExhausted');
  expect(c.affiliates.get('a')!.data.toString()).toBe('x'); // nothing changed by the refused update
  for (let i = 1; i < 1024; i++) c.update({ affiliateId: `n${i}`, data: b('x'), endpoints: [], ttlMs: 1000 }, 0);
  expect(err(() => c.update({ affiliateId: 'n1024', data: b('x'), endpoints: [], ttlMs: 1000 }, 0))).toBe('ResourceExhausted');
  expect(err(() => new State().cluster(''))).toBe('InvalidArgument');
});

it('creates an affiliate from an endpoints-only update, deletes with a notification, collects empty clusters nobody watches', () => {
  const s = new State();
  const c = s.cluster('c');
  const seen: Notification[] = [];
  const unsubscribe = c.subscribe({ notify: (n) => (seen.push(n), true), lost: () => {} });
  c.update({ affiliateId: 'a', data: Buffer.alloc(0), endpoints: [b('e')], ttlMs: 1000 }, 0);
  c.update({ affiliateId: 'a', data: Buffer.alloc(0), endpoints: [b('e')], ttlMs: 5000 }, 0); // refresh only: no notification
  c.delete('a');
  c.delete('unknown');
  expect(seen.map((n) => [n.id, n.affiliate !== undefined])).toEqual([
    ['a', true],
    ['a', false],
  ]);
  expect(s.collect(10).clusters).toBe(0); // still watched
  unsubscribe();
  expect(s.collect(10).clusters).toBe(1);
  expect(s.clusters.size).toBe(0);
});

it('expires a whole affiliate with a deletion', () => {
  const c = new Cluster('c');
  const seen: Notification[] = [];
  c.subscribe({ notify: (n) => (seen.push(n), true), lost: () => {} });
  c.update({ affiliateId: 'a', data: b('d'), endpoints: [], ttlMs: 1000 }, 0);
  expect(c.collect(1001)).toBe(1);
  expect(seen.at(-1)).toEqual({ id: 'a' });
});

class FakeSink implements WatchSink {
  written: Buffer[] = [];
  callbacks: Array<() => void> = [];
  accept = true;
  aborted = false;
  drain: () => void = () => {};
  write(message: Buffer, done: () => void): boolean {
    this.written.push(message);
    this.callbacks.push(done);
    return this.accept;
  }
  onDrain(fn: () => void): void {
    this.drain = fn;
  }
  abort(): void {
    this.aborted = true;
  }
}

it('delivers the snapshot first, coalesces changes of one affiliate while the client is slow, and aborts a stuck watcher', () => {
  let now = 0;
  const sink = new FakeSink();
  const q = new WatchQueue(sink, (n) => b(`${n.id}:${n.affiliate?.data.toString() ?? 'deleted'}`), () => now, 10_000);
  q.first(b('snapshot'));
  sink.accept = false;
  expect(q.notify({ id: 'a', affiliate: { id: 'a', data: b('1'), endpoints: [] } })).toBe(true);
  // the transport is full: these wait, the later change of "b" replaces the earlier one
  for (const [id, d] of [['b', '1'], ['c', '1'], ['b', '2']] as const) q.notify({ id, affiliate: { id, data: b(d), endpoints: [] } });
  expect(q.waiting).toBe(2);
  sink.accept = true;
  for (const cb of sink.callbacks.splice(0)) cb();
  sink.drain();
  expect(sink.written.map(String)).toEqual(['snapshot', 'a:1', 'b:2', 'c:1']);
  // a client that takes nothing for longer than the limit while changes wait is dropped
  sink.accept = false;
  q.notify({ id: 'd', affiliate: { id: 'd', data: b('1'), endpoints: [] } });
  q.notify({ id: 'e', affiliate: { id: 'e', data: b('1'), endpoints: [] } });
  now = 10_001;
  expect(q.stuck()).toBe(true);
  expect(q.notify({ id: 'f', affiliate: { id: 'f', data: b('1'), endpoints: [] } })).toBe(false);
});

it('aborts stuck watchers from the GC pass with the lost-update status', () => {
  const c = new Cluster('c');
  let lost = false;
  c.subscribe({ notify: () => true, lost: () => (lost = true), stuck: () => true });
  c.collect(0);
  expect(lost).toBe(true);
  expect(c.subscribers.size).toBe(0);
});

it('rate-limits per IP: waits for a token within the deadline, refuses past it', () => {
  let now = 0;
  const l = new IPRateLimiter(15, 60, () => now);
  for (let i = 0; i < 60; i++) expect(l.reserve('1.2.3.4')).toBe(0);
  expect(l.reserve('1.2.3.4')).toBeCloseTo(1000 / 15, 5);
  expect(l.reserve('5.6.7.8')).toBe(0);
  expect(() => l.reserve('1.2.3.4', now + 10)).toThrow(RateLimitExceeded);
  now = 10_000;
  expect(l.reserve('1.2.3.4')).toBe(0);
  l.close();
});

it('snapshots the state with remaining TTLs (counted from the load, as upstream) and loads it back', () => {
  const s = new State();
  const c = s.cluster('cluster-1');
  c.update({ affiliateId: 'a', data: b('blob-a'), endpoints: [b('e1')], ttlMs: 60_000 }, 1_000_000);
  c.update({ affiliateId: 'a', data: Buffer.alloc(0), endpoints: [b('e2')], ttlMs: 5_000 }, 1_000_000);
  c.update({ affiliateId: 'b', data: b('blob-b'), endpoints: [], ttlMs: 2_000 }, 1_000_000);
  const { chunks } = encodeSnapshot(s, 1_000_000);
  const loaded = new State();
  const stats = loadSnapshot(Buffer.concat(chunks), loaded, 1_003_000);
  expect(stats).toMatchObject({ clusters: 1, affiliates: 2, endpoints: 2 });
  expect(loaded.cluster('cluster-1').affiliates.get('b')!.expiration).toBe(1_005_000);
  const a = loaded.cluster('cluster-1').affiliates.get('a')!;
  expect(a.data.toString()).toBe('blob-a');
  expect(a.expiration).toBe(1_063_000);
  expect(a.endpoints.map((e) => [e.data.toString(), e.expiration])).toEqual([
    ['e1', 1_063_000],
    ['e2', 1_008_000],
  ]);
});
