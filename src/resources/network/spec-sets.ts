// The RouteSpecs a RouteSpecSet holds, as `get` and watches show them: each
// its own network-config RouteSpec, with its layered ID and the set's metadata.
// Made only when listed or watched; the store holds the set alone. The routes
// of a set share its version and times: a change to one of them is a new
// version of all (a watch tells only the routes that changed).
import { deepEqual } from '../../util/equal.js';
import { NS, type Metadata, type Resource } from '../resource.js';
import type { Store, Watcher } from '../store.js';
import { layeredId } from './ids.js';
import { T, type RouteSpec, type RouteSpecSet } from './types.js';

/** One route of a set, as a resource of its own. */
class SetMember implements Resource<RouteSpec> {
  private made: Metadata | undefined;

  constructor(
    private readonly set: Resource<RouteSpecSet>,
    private readonly index: number,
  ) {}

  get spec(): RouteSpec {
    return this.set.spec.specs[this.index]!;
  }

  get metadata(): Metadata {
    if (this.made) return this.made;
    const m = this.set.metadata;
    const id = layeredId(this.set.spec.layer, this.set.spec.ids[this.index]!);
    return (this.made = { namespace: m.namespace, type: T.RouteSpec, id, version: m.version, phase: m.phase, owner: m.owner, finalizers: m.finalizers, created: m.created, updated: m.updated });
  }
}

const holdsSets = (namespace: string, type: string): boolean => namespace === NS.networkConfig && type === T.RouteSpec;

/** The routes of a set, one resource each. */
function* members(set: Resource<RouteSpecSet>): Generator<SetMember> {
  for (let i = 0; i < set.spec.specs.length; i++) yield new SetMember(set, i);
}

/** The resources of a kind, with the routes of its sets for network-config RouteSpecs. */
export function listResources(store: Store, namespace: string, type: string): Resource[] {
  const out = store.list(namespace, type);
  if (holdsSets(namespace, type)) for (const set of store.list<RouteSpecSet>(namespace, T.RouteSpecSet)) for (const m of members(set)) out.push(m);
  return out;
}

/**
 * Watches a kind; for network-config RouteSpecs, a change of a set is told as
 * the changes of its routes: created, updated (spec or phase), destroyed. The
 * routes are told apart by their merged IDs (one layer: each once in a set).
 */
export function watchResources(store: Store, namespace: string, type: string, watcher: Watcher): () => void {
  const stop = store.watch(namespace, type, watcher);
  if (!holdsSets(namespace, type)) return stop;
  const stopSets = store.watch(namespace, T.RouteSpecSet, (event, resource, old) => {
    const set = resource as Resource<RouteSpecSet>;
    if (event !== 'updated' || !old) {
      for (const m of members(set)) watcher(event, m, undefined);
      return;
    }
    const was = old as Resource<RouteSpecSet>;
    const before = new Map(was.spec.ids.map((id, i) => [id, i]));
    const phaseChanged = was.metadata.phase !== set.metadata.phase;
    const { specs, ids } = set.spec;
    for (let i = 0; i < specs.length; i++) {
      const j = before.get(ids[i]!);
      before.delete(ids[i]!);
      if (j === undefined) watcher('created', new SetMember(set, i), undefined);
      // the same object (a re-apply keeps each unchanged route's): unchanged without a look inside
      else if (phaseChanged || (was.spec.specs[j] !== specs[i] && !deepEqual(was.spec.specs[j], specs[i]))) watcher('updated', new SetMember(set, i), new SetMember(was, j));
    }
    for (const j of before.values()) watcher('destroyed', new SetMember(was, j), undefined);
  });
  return () => {
    stop();
    stopSets();
  };
}
