// The in-memory resource store: versioned resources, single-owner writes,
// finalizer-guarded teardown, and synchronous watches.
//
// Each stored resource is one small object that is both the resource and its
// metadata, the metadata shared with the resources written beside it (bulk
// configs hold several hundred thousand of them).
import { deepEqual } from '../util/equal.js';
import { describePointer, type Metadata, type Phase, type Pointer, type Resource } from './resource.js';

export type WatchEventType = 'created' | 'updated' | 'destroyed';

export interface WatchEvent<S = unknown> {
  type: WatchEventType;
  resource: Resource<S>;
  old?: Resource<S>;
}

/** Called synchronously for every change of a watched kind (no event object is allocated). */
export type Watcher = (type: WatchEventType, resource: Resource, old: Resource | undefined) => void;

export class OwnershipError extends Error {
  constructor(p: Pointer, owner: string, writer: string) {
    super(`${describePointer(p)} is owned by ${owner}; ${writer} may not change it`);
    this.name = 'OwnershipError';
  }
}

export class PendingFinalizersError extends Error {
  constructor(p: Pointer, finalizers: readonly string[]) {
    super(`${describePointer(p)} cannot be destroyed: finalizers ${finalizers.join(', ')} pending`);
    this.name = 'PendingFinalizersError';
  }
}

export class ConflictError extends Error {
  constructor(p: Pointer, expected: number, actual: number) {
    super(`${describePointer(p)}: version conflict (expected ${expected}, found ${actual})`);
    this.name = 'ConflictError';
  }
}

const NO_FINALIZERS: readonly string[] = Object.freeze([]);

/**
 * The one-finalizer lists, one frozen array per finalizer: a daemon holds a
 * finalizer on every spec it applied (100k routes: 100k equal arrays, ~5 MB).
 */
const ONE_FINALIZER = new Map<string, readonly string[]>();

function withFinalizer(list: readonly string[], finalizer: string): readonly string[] {
  if (list.length > 0) return [...list, finalizer];
  let one = ONE_FINALIZER.get(finalizer);
  if (!one) ONE_FINALIZER.set(finalizer, (one = Object.freeze([finalizer])));
  return one;
}

/**
 * What the resources of one kind written by one owner share, and the store's
 * time origin: times are kept as milliseconds since it, which fit in a small
 * integer (a plain number in the object) for 24 days, instead of a boxed one.
 */
interface Origin {
  readonly namespace: string;
  readonly type: string;
  readonly owner: string;
  readonly epoch: number;
}

/**
 * A resource's metadata but its ID. Resources written together (a 100k-route
 * pass puts hundreds in the same millisecond, with the same version, phase and
 * finalizers) share one: a stored resource is then three fields (48 B, not 88).
 */
class Meta {
  constructor(
    readonly origin: Origin,
    readonly version: number,
    readonly phase: Phase,
    readonly finalizers: readonly string[],
    readonly createdSince: number,
    readonly updatedSince: number,
  ) {}

  is(origin: Origin, version: number, phase: Phase, finalizers: readonly string[], createdSince: number, updatedSince: number): boolean {
    return this.origin === origin && this.version === version && this.phase === phase && this.finalizers === finalizers && this.createdSince === createdSince && this.updatedSince === updatedSince;
  }
}

class StoredResource<S = unknown> implements Resource<S>, Metadata {
  constructor(
    /** Its metadata but the ID, shared with the resources written beside it. */
    readonly meta: Meta,
    readonly id: string,
    readonly spec: S,
  ) {}

  get metadata(): Metadata {
    return this;
  }

  get namespace(): string {
    return this.meta.origin.namespace;
  }

  get type(): string {
    return this.meta.origin.type;
  }

  get owner(): string {
    return this.meta.origin.owner;
  }

  get version(): number {
    return this.meta.version;
  }

  get phase(): Phase {
    return this.meta.phase;
  }

  get finalizers(): readonly string[] {
    return this.meta.finalizers;
  }

  get created(): number {
    return this.meta.origin.epoch + this.meta.createdSince;
  }

  get updated(): number {
    return this.meta.origin.epoch + this.meta.updatedSince;
  }
}

/**
 * The resources of one (namespace, type), who watches them, and one Origin per
 * owner (bulk kinds hold several hundred thousand resources: each keeps only
 * what is its own).
 */
interface Kind {
  items: Map<string, StoredResource>;
  watchers: Set<Watcher>;
  origins: Map<string, Origin>;
  /** The metadata last written in this kind: the next write reuses it when it is the same. */
  last: Meta | undefined;
  /** Counts the writes and removals in this kind (see Store.revision). */
  revision: number;
}

export class Store {
  /** Whether the last write call changed anything (a no-op put does not). */
  lastWriteChanged = false;
  private readonly namespaces = new Map<string, Map<string, Kind>>();
  private readonly now: () => number;
  private readonly epoch: number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.epoch = now();
  }

  /** Now, in milliseconds since the store's epoch. */
  private since(): number {
    return this.now() - this.epoch;
  }

  private origin(k: Kind, namespace: string, type: string, owner: string): Origin {
    let o = k.origins.get(owner);
    if (!o) k.origins.set(owner, (o = { namespace, type, owner, epoch: this.epoch }));
    return o;
  }

  /** Metadata for a write, the kind's last one when it is the same. */
  private meta(k: Kind, origin: Origin, version: number, phase: Phase, finalizers: readonly string[], createdSince: number, updatedSince: number): Meta {
    const last = k.last;
    if (last?.is(origin, version, phase, finalizers, createdSince, updatedSince)) return last;
    return (k.last = new Meta(origin, version, phase, finalizers, createdSince, updatedSince));
  }

  /** A copy of `r` with some metadata changed (and optionally a new spec); `updatedSince` in ms since the epoch. */
  private with<S>(k: Kind, r: StoredResource<S>, changes: { version: number; phase?: Phase; finalizers?: readonly string[]; updatedSince?: number }, spec: S = r.spec): StoredResource<S> {
    const m = r.meta;
    return new StoredResource(this.meta(k, m.origin, changes.version, changes.phase ?? m.phase, changes.finalizers ?? m.finalizers, m.createdSince, changes.updatedSince ?? m.updatedSince), r.id, spec);
  }

  private kind(namespace: string, type: string): Kind {
    let types = this.namespaces.get(namespace);
    if (!types) {
      types = new Map();
      this.namespaces.set(namespace, types);
    }
    let k = types.get(type);
    if (!k) {
      k = { items: new Map(), watchers: new Set(), origins: new Map(), last: undefined, revision: 0 };
      types.set(type, k);
    }
    return k;
  }

  get<S>(namespace: string, type: string, id: string): Resource<S> | undefined {
    return this.namespaces.get(namespace)?.get(type)?.items.get(id) as Resource<S> | undefined;
  }

  list<S>(namespace: string, type: string): Resource<S>[] {
    const m = this.namespaces.get(namespace)?.get(type)?.items;
    return m ? ([...m.values()] as Resource<S>[]) : [];
  }

  count(namespace: string, type: string): number {
    return this.namespaces.get(namespace)?.get(type)?.items.size ?? 0;
  }

  /**
   * A number that changes whenever a resource of the kind is written or
   * removed (metadata included): equal revisions, the same resources. Lets a
   * reader keep what it made of a kind without holding the resources.
   */
  revision(namespace: string, type: string): number {
    return this.namespaces.get(namespace)?.get(type)?.revision ?? 0;
  }

  /** Types in a namespace that hold at least one resource. */
  kindsIn(namespace: string): string[] {
    const out: string[] = [];
    for (const [type, k] of this.namespaces.get(namespace) ?? []) if (k.items.size > 0) out.push(type);
    return out.sort();
  }

  watch(namespace: string, type: string, watcher: Watcher): () => void {
    const set = this.kind(namespace, type).watchers;
    set.add(watcher);
    return () => set.delete(watcher);
  }

  private write(k: Kind, existing: StoredResource | undefined, next: StoredResource): StoredResource {
    this.lastWriteChanged = true;
    k.revision++;
    k.items.set(next.id, next);
    if (k.watchers.size > 0) for (const w of k.watchers) w(existing ? 'updated' : 'created', next, existing);
    return next;
  }

  /**
   * Creates or updates a resource owned by `owner`. A spec deep-equal to the
   * current one is a no-op: no version bump, no watch event.
   */
  put<S>(namespace: string, type: string, id: string, spec: S, owner: string, expectedVersion?: number): Resource<S> {
    this.lastWriteChanged = false;
    const k = this.kind(namespace, type);
    const existing = k.items.get(id) as StoredResource<S> | undefined;
    if (existing) {
      if (existing.owner !== owner) throw new OwnershipError({ namespace, type, id }, existing.owner, owner);
      if (expectedVersion !== undefined && existing.version !== expectedVersion) {
        throw new ConflictError({ namespace, type, id }, expectedVersion, existing.version);
      }
      if (existing.phase === 'running' && deepEqual(existing.spec, spec)) return existing;
      return this.write(k, existing, this.with(k, existing, { version: existing.version + 1, phase: 'running', updatedSince: this.since() }, spec)) as StoredResource<S>;
    }
    const t = this.since();
    return this.write(k, undefined, new StoredResource(this.meta(k, this.origin(k, namespace, type, owner), 1, 'running', NO_FINALIZERS, t, t), id, spec)) as StoredResource<S>;
  }

  /**
   * Moves a resource to the tearingDown phase. Returns true when it has no
   * finalizers left (the owner may destroy it now).
   */
  teardown(namespace: string, type: string, id: string, owner: string): boolean {
    this.lastWriteChanged = false;
    const k = this.kind(namespace, type);
    const existing = k.items.get(id);
    if (!existing) return true;
    if (existing.owner !== owner) throw new OwnershipError({ namespace, type, id }, existing.owner, owner);
    if (existing.phase !== 'tearingDown') this.write(k, existing, this.with(k, existing, { version: existing.version + 1, phase: 'tearingDown', updatedSince: this.since() }));
    return existing.finalizers.length === 0;
  }

  destroy(namespace: string, type: string, id: string, owner: string): void {
    this.lastWriteChanged = false;
    const k = this.kind(namespace, type);
    const existing = k.items.get(id);
    if (!existing) return;
    const p = { namespace, type, id };
    if (existing.owner !== owner) throw new OwnershipError(p, existing.owner, owner);
    if (existing.finalizers.length > 0) throw new PendingFinalizersError(p, existing.finalizers);
    k.items.delete(id);
    k.revision++;
    this.lastWriteChanged = true;
    for (const w of k.watchers) w('destroyed', existing, undefined);
  }

  addFinalizer(namespace: string, type: string, id: string, finalizer: string): void {
    this.lastWriteChanged = false;
    const k = this.kind(namespace, type);
    const existing = k.items.get(id);
    if (!existing || existing.finalizers.includes(finalizer)) return;
    this.write(k, existing, this.with(k, existing, { version: existing.version + 1, finalizers: withFinalizer(existing.finalizers, finalizer) }));
  }

  removeFinalizer(namespace: string, type: string, id: string, finalizer: string): void {
    this.lastWriteChanged = false;
    const k = this.kind(namespace, type);
    const existing = k.items.get(id);
    if (!existing || !existing.finalizers.includes(finalizer)) return;
    const rest = existing.finalizers.filter((f) => f !== finalizer);
    this.write(k, existing, this.with(k, existing, { version: existing.version + 1, finalizers: rest.length === 0 ? NO_FINALIZERS : rest }));
  }
}
