// Bookkeeping shared by the spec controllers: which merged specs are being torn
// down, which ownership records are orphaned, and finishing a teardown.
import { NS, type Resource } from '../../resources/resource.js';
import type { ReconcileContext } from '../../runtime/controller.js';

export interface SpecSet<S, A> {
  running: Array<Resource<S>>;
  /** Specs tearing down and records with no spec: what netcfg did must be undone. */
  undo: Array<{ id: string; record: A | undefined; tearingDown: boolean }>;
  records: Map<string, A>;
}

export function partition<S, A>(ctx: ReconcileContext, specType: string, appliedType: string): SpecSet<S, A> {
  const specs = ctx.list<S>(NS.network, specType);
  const records = new Map<string, A>();
  for (const r of ctx.list<A>(NS.state, appliedType)) records.set(r.metadata.id, r.spec);
  const running: Array<Resource<S>> = [];
  const undo: SpecSet<S, A>['undo'] = [];
  const seen = new Set<string>();
  for (const s of specs) {
    seen.add(s.metadata.id);
    if (s.metadata.phase === 'running') running.push(s);
    else undo.push({ id: s.metadata.id, record: records.get(s.metadata.id), tearingDown: true });
  }
  for (const [id, record] of records) if (!seen.has(id)) undo.push({ id, record, tearingDown: false });
  return { running, undo, records };
}

/** The kernel object is gone (or was never ours): drop the record and release the spec. */
export function finishUndo(ctx: ReconcileContext, specType: string, appliedType: string, id: string, tearingDown: boolean): void {
  if (ctx.dryRun) return;
  ctx.destroy(NS.state, appliedType, id);
  if (tearingDown) ctx.removeFinalizer(NS.network, specType, id);
}

/** Holds a finalizer on a running spec so it is not destroyed before netcfg undoes it. */
export function hold(ctx: ReconcileContext, controller: string, specType: string, r: Resource<unknown>): void {
  if (ctx.longRunning && !ctx.dryRun && !r.metadata.finalizers.includes(controller)) ctx.addFinalizer(NS.network, specType, r.metadata.id);
}

/** Writes an ownership record (not in dry-run). */
export function keep<A>(ctx: ReconcileContext, appliedType: string, id: string, record: A): void {
  if (!ctx.dryRun) ctx.put(NS.state, appliedType, id, record);
}

/** Drops an ownership record (not in dry-run). */
export function forget(ctx: ReconcileContext, appliedType: string, id: string): void {
  if (!ctx.dryRun) ctx.destroy(NS.state, appliedType, id);
}
