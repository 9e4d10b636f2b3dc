// Writes exactly the desired set of a controller's outputs: puts what is wanted
// (no-op when unchanged) and destroys the rest of what the controller owns.
import type { ReconcileContext } from '../runtime/controller.js';

export function syncOutputs<S>(ctx: ReconcileContext, owner: string, namespace: string, type: string, desired: ReadonlyMap<string, S>): void {
  desired.forEach((spec, id) => ctx.put(namespace, type, id, spec));
  // every desired ID now exists; anything beyond that many is stale (or another writer's)
  if (ctx.count(namespace, type) === desired.size) return;
  for (const r of ctx.list<S>(namespace, type)) {
    if (r.metadata.owner !== owner || desired.has(r.metadata.id)) continue;
    if (ctx.teardown(namespace, type, r.metadata.id)) ctx.destroy(namespace, type, r.metadata.id);
  }
}
