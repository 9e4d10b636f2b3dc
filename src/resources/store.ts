// The in-memory resource store: versioned resources, single-owner writes,
// finalizer-guarded teardown, and synchronous watches.
import { deepEqual } from '../util/equal.js';
import { describePointer, type Metadata, type Pointer, type Resource } from './resource.js';

export type WatchEventType = 'created' | 'updated' | 'destroyed';

export interface WatchEvent<S = unknown> {
  type: WatchEventType;
  resource: Resource<S>;
  old?: Resource<S>;
}

export type Watcher = (event: WatchEvent) => void;

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

/** The resources of one (namespace, type) and who watches them. */
interface Kind {
  items: Map<string, Resource>;
  watchers: Set<Watcher>;
}

const NO_FINALIZERS: readonly string[] = Object.freeze([]);

export class Store {
  private readonly namespaces = new Map<string, Map<string, Kind>>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  private kind(namespace: string, type: string): Kind {
    let types = this.namespaces.get(namespace);
    if (!types) {
      types = new Map();
      this.namespaces.set(namespace, types);
    }
    let k = types.get(type);
    if (!k) {
      k = { items: new Map(), watchers: new Set() };
      types.set(type, k);
    }
    return k;
  }

  private bucket(namespace: string, type: string): Map<string, Resource> | undefined {
    return this.namespaces.get(namespace)?.get(type)?.items;
  }

  get<S>(namespace: string, type: string, id: string): Resource<S> | undefined {
    return this.bucket(namespace, type)?.get(id) as Resource<S> | undefined;
  }

  list<S>(namespace: string, type: string): Resource<S>[] {
    const m = this.bucket(namespace, type);
    return m ? ([...m.values()] as Resource<S>[]) : [];
  }

  count(namespace: string, type: string): number {
    return this.bucket(namespace, type)?.size ?? 0;
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

  private write(existing: Resource | undefined, metadata: Metadata, spec: unknown): Resource {
    const next: Resource = { metadata, spec };
    const k = this.kind(metadata.namespace, metadata.type);
    k.items.set(metadata.id, next);
    if (k.watchers.size > 0) {
      const event: WatchEvent = existing ? { type: 'updated', resource: next, old: existing } : { type: 'created', resource: next };
      for (const w of k.watchers) w(event);
    }
    return next;
  }

  /**
   * Creates or updates a resource owned by `owner`. A spec deep-equal to the
   * current one is a no-op: no version bump, no watch event.
   */
  put<S>(namespace: string, type: string, id: string, spec: S, owner: string, expectedVersion?: number): Resource<S> {
    const p = { namespace, type, id };
    const existing = this.get<S>(namespace, type, id);
    if (existing) {
      if (existing.metadata.owner !== owner) throw new OwnershipError(p, existing.metadata.owner, owner);
      if (expectedVersion !== undefined && existing.metadata.version !== expectedVersion) {
        throw new ConflictError(p, expectedVersion, existing.metadata.version);
      }
      if (existing.metadata.phase === 'running' && deepEqual(existing.spec, spec)) return existing;
      const old = existing.metadata;
      const md: Metadata = { namespace, type, id, version: old.version + 1, phase: 'running', owner, finalizers: old.finalizers, created: old.created, updated: this.now() };
      return this.write(existing, md, spec) as Resource<S>;
    }
    const t = this.now();
    const md: Metadata = { namespace, type, id, version: 1, phase: 'running', owner, finalizers: NO_FINALIZERS, created: t, updated: t };
    return this.write(undefined, md, spec) as Resource<S>;
  }

  /**
   * Moves a resource to the tearingDown phase. Returns true when it has no
   * finalizers left (the owner may destroy it now).
   */
  teardown(namespace: string, type: string, id: string, owner: string): boolean {
    const existing = this.get(namespace, type, id);
    if (!existing) return true;
    if (existing.metadata.owner !== owner) throw new OwnershipError({ namespace, type, id }, existing.metadata.owner, owner);
    if (existing.metadata.phase !== 'tearingDown') {
      const md: Metadata = { ...existing.metadata, phase: 'tearingDown', version: existing.metadata.version + 1, updated: this.now() };
      this.write(existing, md, existing.spec);
    }
    return existing.metadata.finalizers.length === 0;
  }

  destroy(namespace: string, type: string, id: string, owner: string): void {
    const existing = this.get(namespace, type, id);
    if (!existing) return;
    const p = { namespace, type, id };
    if (existing.metadata.owner !== owner) throw new OwnershipError(p, existing.metadata.owner, owner);
    if (existing.metadata.finalizers.length > 0) throw new PendingFinalizersError(p, existing.metadata.finalizers);
    const k = this.kind(namespace, type);
    k.items.delete(id);
    for (const w of k.watchers) w({ type: 'destroyed', resource: existing });
  }

  addFinalizer(namespace: string, type: string, id: string, finalizer: string): void {
    const existing = this.get(namespace, type, id);
    if (!existing || existing.metadata.finalizers.includes(finalizer)) return;
    const md: Metadata = { ...existing.metadata, finalizers: [...existing.metadata.finalizers, finalizer], version: existing.metadata.version + 1 };
    this.write(existing, md, existing.spec);
  }

  removeFinalizer(namespace: string, type: string, id: string, finalizer: string): void {
    const existing = this.get(namespace, type, id);
    if (!existing || !existing.metadata.finalizers.includes(finalizer)) return;
    const md: Metadata = {
      ...existing.metadata,
      finalizers: existing.metadata.finalizers.filter((f) => f !== finalizer),
      version: existing.metadata.version + 1,
    };
    this.write(existing, md, existing.spec);
  }
}
