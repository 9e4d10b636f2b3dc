// Bookkeeping shared by the spec controllers: which merged specs are being torn
// down, which ownership records are orphaned, and finishing a teardown.
import { NS, type Resource } from '../../resources/resource.js';
import type { ReconcileContext } from '../../runtime/controller.js';

export interface SpecSet<S, A> {
  running: Array<Resource<S>>;
  /** Specs tearing down and records with no spec: what netcfg did must be undone. */
  undo: Array<{ id: string; record: A | undefined; tearingDown: boolean }>;
  /** The ownership record of a spec ID. */
  record(id: string): A | undefined;
}

export function partition<S, A>(ctx: ReconcileContext, specType: string, appliedType: string): SpecSet<S, A> {
  const record = (id: string): A | undefined => ctx.get<A>(NS.state, appliedType, id)?.spec;
  const running: Array<Resource<S>> = [];
  const undo: SpecSet<S, A>['undo'] = [];
  for (const s of ctx.list<S>(NS.network, specType)) {
    if (s.metadata.phase === 'running') running.push(s);
    else undo.push({ id: s.metadata.id, record: record(s.metadata.id), tearingDown: true });
  }
  for (const r of ctx.list<A>(NS.state, appliedType)) {
    if (!ctx.get(NS.network, specType, r.metadata.id)) undo.push({ id: r.metadata.id, record: r.spec, tearingDown: false });
  }
  return { running, undo, record };
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
