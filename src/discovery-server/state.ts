// The discovery server's state (discovery-and-kubespan.md §1.3, §5.2, §5.3):
// clusters of affiliates holding opaque encrypted blobs, endpoints merged by
// byte equality with their own expiry, garbage collection, and watchers
// notified of every change. Pure: time is passed in, nothing here does I/O.
//
// Where this differs from the reference server, on purpose:
//  * GC that expires some endpoints of an affiliate that stays alive notifies
//    watchers with the full affiliate (its data and remaining endpoints). The
//    reference server sends an ID-only `deleted=true`, which makes every client
//    drop a live node until its next data refresh (up to 15 minutes in Talos).
//  * An update is validated as a whole before anything changes (the reference
//    server may store the data and then fail on the endpoint limit).
//  * Deleting an unknown affiliate notifies nobody.

export const LIMITS = {
  clusterIdMax: 256,
  affiliateIdMax: 256,
  affiliateDataMax: 2048,
  affiliateEndpointMax: 32,
  affiliateEndpointsMax: 64,
  clusterAffiliatesMax: 1024,
  ttlMaxMs: 30 * 60 * 1000,
} as const;

export type ErrorCode = 'InvalidArgument' | 'ResourceExhausted';

export class StateError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export interface EndpointRecord {
  data: Buffer;
  expiration: number;
}

/** What watchers and List see of an affiliate. */
export interface AffiliateView {
  id: string;
  data: Buffer;
  endpoints: Buffer[];
}

/** One change: `affiliate` absent means the affiliate is gone. */
export interface Notification {
  id: string;
  affiliate?: AffiliateView;
  /** The server caches the encoded WatchResponse here (one encoding for every watcher). */
  encoded?: Buffer;
}

export interface Subscriber {
  /** Delivers a change; false when the subscriber cannot keep up (it is then dropped: "lost update"). */
  notify(n: Notification): boolean;
  /** Called once when the state drops the subscriber. */
  lost(): void;
  /** True when the subscriber has stopped taking changes (checked at each GC pass). */
  stuck?(): boolean;
}

export class Affiliate {
  data: Buffer = Buffer.alloc(0);
  expiration = 0;
  readonly endpoints: EndpointRecord[] = [];

  constructor(readonly id: string) {}

  /** New data (always a change: the GCM nonce makes equal data impossible in practice). */
  update(data: Buffer, expiration: number): boolean {
    this.data = data;
    this.expiration = expiration;
    return true;
  }

  /** How many of `blobs` are not held yet. */
  newEndpoints(blobs: readonly Buffer[]): number {
    let n = 0;
    const seen = new Set<string>();
    for (const b of blobs) {
      const k = b.toString('latin1');
      if (seen.has(k)) continue;
      seen.add(k);
      if (!this.endpoints.some((e) => e.data.equals(b))) n++;
    }
    return n;
  }

  /** Byte-equal endpoints have their expiry raised (no change); new ones are appended (a change). The affiliate lives at least as long. */
  mergeEndpoints(blobs: readonly Buffer[], expiration: number): boolean {
    let changed = false;
    for (const b of blobs) {
      const existing = this.endpoints.find((e) => e.data.equals(b));
      if (existing) existing.expiration = Math.max(existing.expiration, expiration);
      else {
        this.endpoints.push({ data: b, expiration });
        changed = true;
      }
    }
    this.expiration = Math.max(this.expiration, expiration);
    return changed;
  }

  /** 'remove' when the affiliate expired; true when some endpoints expired; false when nothing did. */
  collect(now: number): 'remove' | boolean {
    if (this.expiration < now) return 'remove';
    const before = this.endpoints.length;
    for (let i = this.endpoints.length - 1; i >= 0; i--) if (this.endpoints[i]!.expiration < now) this.endpoints.splice(i, 1);
    return this.endpoints.length !== before;
  }

  view(): AffiliateView {
    return { id: this.id, data: this.data, endpoints: this.endpoints.map((e) => e.data) };
  }
}

export interface UpdateRequest {
  affiliateId: string;
  /** Empty: data not touched. */
  data: Buffer;
  endpoints: Buffer[];
  ttlMs: number;
}

export function validateClusterId(id: string): void {
  const n = Buffer.byteLength(id);
  if (n < 1 || n > LIMITS.clusterIdMax) throw new StateError('InvalidArgument', n === 0 ? 'cluster ID is empty' : 'cluster ID is too long');
}

function validateUpdate(r: UpdateRequest): void {
  const n = Buffer.byteLength(r.affiliateId);
  if (n < 1 || n > LIMITS.affiliateIdMax) throw new StateError('InvalidArgument', n === 0 ? 'affiliate ID is empty' : 'affiliate ID is too long');
  if (r.data.length > LIMITS.affiliateDataMax) throw new StateError('InvalidArgument', 'affiliate data is too big');
  if (r.endpoints.some((e) => e.length > LIMITS.affiliateEndpointMax)) throw new StateError('InvalidArgument', 'affiliate endpoint is too big');
  if (r.ttlMs > LIMITS.ttlMaxMs || r.ttlMs < 0) throw new StateError('InvalidArgument', 'TTL is too long');
}

export class Cluster {
  readonly affiliates = new Map<string, Affiliate>();
  readonly subscribers = new Set<Subscriber>();
  /** Bumped on every change watchers are told about (a cache key for encoded snapshots). */
  version = 0;

  constructor(readonly id: string) {}

  update(r: UpdateRequest, now: number): void {
    validateUpdate(r);
    let a = this.affiliates.get(r.affiliateId);
    const created = a === undefined;
    if (created && this.affiliates.size >= LIMITS.clusterAffiliatesMax) throw new StateError('ResourceExhausted', 'too many affiliates in the cluster');
    if ((a?.endpoints.length ?? 0) + (a ?? new Affiliate('')).newEndpoints(r.endpoints) > LIMITS.affiliateEndpointsMax) {
      throw new StateError('ResourceExhausted', 'too many endpoints in the affiliate');
    }
    if (!a) {
      a = new Affiliate(r.affiliateId);
      this.affiliates.set(a.id, a);
    }
    const expiration = now + r.ttlMs;
    let changed = created;
    if (r.data.length > 0) changed = a.update(r.data, expiration) || changed;
    changed = a.mergeEndpoints(r.endpoints, expiration) || changed;
    if (changed) this.notify({ id: a.id, affiliate: a.view() });
  }

  delete(affiliateId: string): void {
    validateUpdate({ affiliateId, data: Buffer.alloc(0), endpoints: [], ttlMs: 0 });
    if (this.affiliates.delete(affiliateId)) this.notify({ id: affiliateId });
  }

  list(): AffiliateView[] {
    return [...this.affiliates.values()].map((a) => a.view());
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  private notify(n: Notification): void {
    this.version++;
    for (const s of this.subscribers) {
      if (s.notify(n)) continue;
      this.subscribers.delete(s);
      s.lost();
    }
  }

  /** Expires affiliates and endpoints, drops stuck subscribers; returns how many affiliates were removed. */
  collect(now: number): number {
    for (const s of this.subscribers) {
      if (!s.stuck?.()) continue;
      this.subscribers.delete(s);
      s.lost();
    }
    let removed = 0;
    for (const a of [...this.affiliates.values()]) {
      const r = a.collect(now);
      if (r === 'remove') {
        this.affiliates.delete(a.id);
        removed++;
        this.notify({ id: a.id });
      } else if (r) {
        this.notify({ id: a.id, affiliate: a.view() });
      }
    }
    return removed;
  }

  endpointCount(): number {
    let n = 0;
    for (const a of this.affiliates.values()) n += a.endpoints.length;
    return n;
  }
}

export interface Counts {
  clusters: number;
  affiliates: number;
  endpoints: number;
  subscriptions: number;
}

export class State {
  readonly clusters = new Map<string, Cluster>();

  /** The cluster, created on first touch. */
  cluster(id: string): Cluster {
    validateClusterId(id);
    let c = this.clusters.get(id);
    if (!c) {
      c = new Cluster(id);
      this.clusters.set(id, c);
    }
    return c;
  }

  /** One GC pass: expired affiliates and endpoints, then empty clusters nobody watches. */
  collect(now: number): { affiliates: number; clusters: number } {
    let affiliates = 0;
    let clusters = 0;
    for (const [id, c] of this.clusters) {
      affiliates += c.collect(now);
      if (c.affiliates.size === 0 && c.subscribers.size === 0) {
        this.clusters.delete(id);
        clusters++;
      }
    }
    return { affiliates, clusters };
  }

  counts(): Counts {
    const out: Counts = { clusters: this.clusters.size, affiliates: 0, endpoints: 0, subscriptions: 0 };
    for (const c of this.clusters.values()) {
      out.affiliates += c.affiliates.size;
      out.endpoints += c.endpointCount();
      out.subscriptions += c.subscribers.size;
    }
    return out;
  }
}
