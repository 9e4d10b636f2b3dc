// RouteSpecController: makes kernel routes match the merged RouteSpecs. A kernel
// route with the same identity (family, table, destination, gateway, metric, and
// the out-link for IPv6) is "the" route; if it differs in scope, type, protocol,
// out-link, source or MTU it is replaced. Removal deletes only routes netcfg
// added, restoring a route it replaced.
//
// It sees the kernel through the link statuses and the routes the route status
// controller listed (only routes of the tables and protocols netcfg uses),
// indexed by destination with the kernel's numbers. A route that is
// refused because one of the same identity exists (EEXIST: someone else's, of
// another protocol) is looked for on its own and replaced as above.
//
// Written for bulk: 100k routes are planned as plain objects (no closures per
// route) and sent in pipelined segments.
import type { Request } from '../../netlink/connection.js';
import { LazyAddRouteRequest, LazyDeleteRouteRequest, type RouteParams } from '../../netlink/rtnetlink/route.js';
import { NS } from '../../resources/resource.js';
import { RouteProtocol, RouteType, Scope, routeTableNumber } from '../../resources/network/enums.js';
import { RT_SCOPE_UNIVERSE, RTN_UNICAST, RTPROT_STATIC } from '../../netlink/rtnetlink/constants.js';
import { T, routeCreated, type AppliedRoute, type LinkStatus, type RouteRecord, type RouteSpec, type WrittenRouteRecord } from '../../resources/network/types.js';
import type { Change, ChangeAction } from '../../runtime/changes.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { isNetlinkErrno } from '../../netlink/errors.js';
import { KernelRoutes, kernelRoute, routeIdentity, routeRecord, type KernelRoute } from '../status/kernel-routes.js';
import type { Kernel } from '../kernel.js';
import { StatusLinks } from '../link-resolver.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, forget, hold, keep, partition } from './applied.js';
import { OwnWrites } from './own-writes.js';

const IPV6_DEFAULT_METRIC = 1024;

function metricOf(r: Pick<RouteRecord, 'family' | 'priority'>): number {
  return r.family === 'inet6' && r.priority === 0 ? IPV6_DEFAULT_METRIC : r.priority;
}

/** A record of a route written for the purpose: whether netcfg made the route, and the route's fields. */
function appliedFromSpec(s: RouteRecord, created: boolean): WrittenRouteRecord {
  return {
    family: s.family,
    dst: s.dst,
    src: s.src,
    gateway: s.gateway,
    outLinkName: s.outLinkName,
    table: s.table,
    priority: metricOf(s),
    scope: s.scope,
    type: s.type,
    protocol: s.protocol,
    mtu: s.mtu,
    created,
  };
}

/**
 * The record of a route netcfg makes: the spec itself when it says all the
 * record would (no route replaced, the metric the kernel shows), else one
 * written for the purpose. A bulk apply then holds one object per route.
 */
function madeRecord(spec: RouteSpec, replaced: RouteRecord | undefined): AppliedRoute {
  if (!replaced && metricOf(spec) === spec.priority) return spec;
  const rec = appliedFromSpec(spec, true);
  if (replaced) rec.replaced = replaced;
  return rec;
}

export function describeRoute(r: RouteRecord): string {
  let text = `route ${r.dst === '' ? 'default' : r.dst}`;
  if (r.gateway) text += ` via ${r.gateway}`;
  if (r.outLinkName) text += ` dev ${r.outLinkName}`;
  if (r.table !== 'main') text += ` table ${r.table}`;
  return `${text} metric ${r.priority}`;
}

function params(r: RouteRecord, oif: number | undefined): RouteParams {
  const slash = r.dst.lastIndexOf('/');
  const { table, protocol, scope, type } = wanted(r);
  const p: RouteParams = { family: r.family, dstLen: slash < 0 ? 0 : Number(r.dst.slice(slash + 1)), table, priority: r.priority, protocol, scope, type };
  if (slash >= 0) p.dst = r.dst.slice(0, slash);
  if (r.gateway) p.gateway = r.gateway;
  if (oif !== undefined && oif !== 0) p.oif = oif;
  if (r.src) p.prefsrc = r.src;
  if (r.mtu) p.mtu = r.mtu;
  return p;
}

/**
 * Requests that keep only the record and the out-interface: the netlink
 * parameters are built as each is sent, and the text only if an error needs it.
 */
class AddRoute extends LazyAddRouteRequest {
  constructor(
    readonly record: RouteRecord,
    readonly oif: number | undefined,
  ) {
    super();
  }

  routeParams(): RouteParams {
    return params(this.record, this.oif);
  }

  override describe(): string {
    return `add ${describeRoute(this.record)}`;
  }
}

class DeleteRoute extends LazyDeleteRouteRequest {
  constructor(
    readonly record: RouteRecord,
    readonly oif: number | undefined,
  ) {
    super();
  }

  routeParams(): RouteParams {
    return params(this.record, this.oif);
  }

  override describe(): string {
    return `delete ${describeRoute(this.record)}`;
  }
}

function restoreRequest(r: RouteRecord, oif: number | undefined): Request {
  const req = new AddRoute(r, oif);
  req.okErrors = ['EEXIST'];
  return req;
}

/** Kernel numbers of a record's enums, computed once per record. */
interface Wanted {
  table: number;
  scope: number;
  type: number;
  protocol: number;
}

function wanted(r: RouteRecord): Wanted {
  return {
    table: routeTableNumber(r.table),
    scope: Scope.number(r.scope) ?? RT_SCOPE_UNIVERSE,
    type: RouteType.number(r.type) ?? RTN_UNICAST,
    protocol: RouteProtocol.number(r.protocol) ?? RTPROT_STATIC,
  };
}

/** A route netcfg just wrote, as the statuses will show it. */
function writtenRoute(rec: RouteRecord, oif: number | undefined): KernelRoute {
  const w = wanted(rec);
  return { family: rec.family, dst: rec.dst, table: w.table, priority: metricOf(rec), gateway: rec.gateway, oif: oif ?? 0, scope: w.scope, type: w.type, protocol: w.protocol, src: rec.src, mtu: rec.mtu };
}

/**
 * What this controller wrote since the route statuses were last listed (see
 * OwnWrites). The ops are kept as they are: the routes are built only if another
 * pass needs them.
 */
class Written extends OwnWrites<RouteOp> {
  /** Identity → the route there now (added), or undefined (deleted), in the order written. */
  overlay(): Map<string, KernelRoute | undefined> {
    const out = new Map<string, KernelRoute | undefined>();
    const added = (record: RouteRecord, oif: number | undefined) => {
      const r = writtenRoute(record, oif);
      out.set(routeIdentity(r), r);
    };
    for (const op of this.writes) {
      // an add's request is built only when sent: its record and interface are the op's
      if (op.plan === 'add') {
        added(op.next!, op.oif);
        continue;
      }
      for (const req of op.requests) {
        if (req instanceof AddRoute) added(req.record, req.oif);
        else if (req instanceof DeleteRoute) out.set(routeIdentity(writtenRoute(req.record, req.oif)), undefined);
      }
    }
    return out;
  }
}

/** Whether the kernel route already is what is wanted (no allocation in the common case). */
function same(want: RouteRecord, w: Wanted, r: KernelRoute, oif: number | undefined): boolean {
  return (
    r.scope === w.scope &&
    r.type === w.type &&
    r.protocol === w.protocol &&
    r.src === want.src &&
    r.mtu === want.mtu &&
    (want.outLinkName === '' || oif === undefined || r.oif === oif)
  );
}

function differences(want: RouteRecord, have: RouteRecord, checkLink: boolean): string[] {
  const out: string[] = [];
  for (const field of ['scope', 'type', 'protocol', 'src', 'mtu'] as const) {
    if (want[field] !== have[field]) out.push(`${field} ${have[field] === '' ? '-' : have[field]} → ${want[field] === '' ? '-' : want[field]}`);
  }
  if (checkLink && want.outLinkName !== '' && want.outLinkName !== have.outLinkName) out.push(`dev ${have.outLinkName} → ${want.outLinkName}`);
  return out;
}

type OpKind = 'add' | 'replace' | 'undo';

/**
 * Batch order (stable, linear): removals through gateways, other removals,
 * direct routes, routes through gateways.
 */
function inBatchOrder(ops: readonly RouteOp[]): RouteOp[] {
  const buckets: RouteOp[][] = [[], [], [], []];
  for (const op of ops) {
    const viaGateway = (op.shown?.gateway ?? '') !== '';
    buckets[op.plan === 'undo' ? (viaGateway ? 0 : 1) : viaGateway ? 3 : 2]!.push(op);
  }
  // a bulk apply's ops mostly fall in one bucket: that one, not a copy of it
  const filled = buckets.filter((b) => b.length > 0);
  return filled.length === 1 ? filled[0]! : buckets.flat();
}

/** What only a replace or an undo has: what differed, the route that was there and its out-interface, or a teardown. */
interface OpDetail {
  diff?: string;
  have?: RouteRecord;
  haveOif?: number;
  tearingDown?: boolean;
}

/**
 * One planned change, and once done the change recorded (a bulk apply holds
 * 100k of these: an add keeps only its records and out-interface). Its text is
 * built only when shown; callbacks dispatch to the pass that planned it.
 */
class RouteOp implements Operation, Change {
  /**
   * `sends`: an add's out-interface (undefined: none), its request built each
   * time it is asked for (when the op is run, and when a large batch is counted
   * for progress); the requests themselves for the other ops.
   */
  constructor(
    readonly pass: Pass,
    readonly id: string,
    private readonly sends: Request[] | number | undefined,
    readonly next: AppliedRoute | undefined,
    readonly previous: AppliedRoute | undefined,
    private readonly extra?: OpDetail,
  ) {}

  /** An add sends one request it builds itself; a replace has a route to put there; an undo does not. */
  get plan(): OpKind {
    return typeof this.sends !== 'object' ? 'add' : this.next ? 'replace' : 'undo';
  }

  get requests(): Request[] {
    const sends = this.sends;
    return typeof sends === 'object' ? sends : [new AddRoute(this.next!, sends)];
  }

  /** The out-interface an add goes through (only adds are asked: a refused add is what conflicts). */
  get oif(): number | undefined {
    return typeof this.sends === 'object' ? undefined : this.sends;
  }

  get kind(): 'route' {
    return 'route';
  }

  get action(): ChangeAction {
    return this.plan === 'undo' ? 'remove' : this.plan === 'add' ? 'add' : 'change';
  }

  /** The route shown to the user: the one wanted, or the one removed. */
  get shown(): RouteRecord | undefined {
    return this.next ?? this.previous;
  }

  get diff(): string {
    return this.extra?.diff ?? '';
  }

  get have(): RouteRecord | undefined {
    return this.extra?.have;
  }

  get haveOif(): number | undefined {
    return this.extra?.haveOif;
  }

  get tearingDown(): boolean {
    return this.extra?.tearingDown ?? false;
  }

  get detail(): string {
    const shown = this.shown;
    if (!shown) return '';
    return this.diff ? `${describeRoute(shown)}: ${this.diff}` : describeRoute(shown);
  }

  toJSON(): Change {
    return { action: this.action, kind: this.kind, id: this.id, detail: this.detail };
  }

  ok(): void {
    this.pass.ok(this);
  }

  failed(error: Error, succeeded: number): void {
    this.pass.failed(this, error, succeeded);
  }
}

/** The state of one reconcile pass. */
class Pass {
  readonly ops: RouteOp[] = [];
  written: Written | undefined;
  readonly followUps: Operation[] = [];
  readonly errors: Error[] = [];
  /** Adds refused because a route of the same identity exists that the statuses do not show (another protocol). */
  readonly conflicts: Array<{ op: RouteOp; error: Error }> = [];

  constructor(readonly ctx: ReconcileContext) {}

  ok(op: RouteOp): void {
    const { ctx } = this;
    ctx.changes.record(op);
    if (!ctx.dryRun) this.written?.record(op);
    if (op.plan === 'undo') finishUndo(ctx, T.RouteSpec, T.AppliedRoute, op.id, op.tearingDown);
  }

  failed(op: RouteOp, error: Error, succeeded: number): void {
    if (op.plan === 'add' && isNetlinkErrno(error, 'EEXIST') && op.next) {
      this.conflicts.push({ op, error });
      return;
    }
    this.errors.push(error);
    if (op.plan === 'undo') return;
    // the old route is gone but the new one was refused: put the old one back
    if (op.plan === 'replace' && succeeded >= 1 && op.have) {
      this.followUps.push({ requests: [restoreRequest(op.have, op.haveOif)], ok: () => {}, failed: (e) => this.errors.push(e) });
    }
    if (op.previous) keep(this.ctx, T.AppliedRoute, op.id, op.previous);
    else forget(this.ctx, T.AppliedRoute, op.id);
  }
}

/** Plans a replace for a route the kernel refused as existing: the one it found, looked up on its own. */
function conflictOp(pass: Pass, op: RouteOp, found: KernelRoute, links: StatusLinks): RouteOp {
  // a new record object: the store holds the one written before the add was refused
  const have = routeRecord(found, (i) => links.nameOf(i));
  // `created` in the record is written before the add (intent first): after a crash it does not mean
  // that the route found is netcfg's. It is only if it is the route the record describes; any other
  // (another protocol, gateway or interface) is someone else's, to put back when netcfg's goes.
  const prev = op.previous;
  const ours = prev !== undefined && routeCreated(prev) && prev.protocol === have.protocol && prev.gateway === have.gateway && prev.outLinkName === have.outLinkName;
  const replaced = ours ? prev.replaced : have;
  const next = appliedFromSpec(op.next!, true);
  if (replaced) next.replaced = replaced;
  const oif = next.outLinkName === '' ? undefined : op.oif;
  return new RouteOp(pass, op.id, [new DeleteRoute(have, found.oif), new AddRoute(next, oif)], next, op.previous, { diff: differences(next, have, true).join(', '), have, haveOif: found.oif });
}

export class RouteSpecController implements Controller {
  readonly name = 'RouteSpecController';
  readonly bootPath = true;
  // AppliedAlias: a link got the alias config names it by
  readonly inputs = [
    { namespace: NS.network, type: T.RouteSpec },
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.network, type: T.RouteStatus },
    { namespace: NS.state, type: T.AppliedAlias },
  ];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedRoute, kind: 'exclusive' as const }];
  /** A route through a gateway needs the link and the address that reach it; statuses fresh. */
  readonly after = ['LinkSpecController', 'AddressSpecController', 'LinkStatusController', 'RouteStatusController'];

  private readonly written = new Written();

  /**
   * `statuses`: the route status controller: the routes it saw, and its pass count (when it caught up with our writes).
   * `pauseRouteEvents` (the daemon's): stops route events while routes are written; the function it returns resumes them
   * and wakes the route statuses (see KernelWatch.pauseRoutes).
   */
  constructor(
    private readonly kernel: Kernel,
    private readonly statuses: { readonly generation: number; readonly routes: KernelRoutes },
    private readonly options: { pauseRouteEvents?: () => () => void } = {},
  ) {}

  /**
   * Routes refused with EEXIST: a route of the same kernel identity is there but
   * not in the statuses (another protocol, so not listed). Its table is listed
   * for it alone (an IPv6 route's through its interface, filtered by the kernel)
   * and the route, when found, replaced (and put back when netcfg's goes);
   * otherwise the refusal stands. Rare: it costs one dump per such route.
   */
  private async resolveConflicts(pass: Pass, links: StatusLinks): Promise<void> {
    const retries: RouteOp[] = [];
    for (const { op, error } of pass.conflicts) {
      const rec = op.next!;
      const oif = rec.outLinkName === '' ? undefined : op.oif;
      // the table (filtered in the kernel); for IPv6 only through the route's interface, which is part of
      // its identity there: an IPv4 route of the same identity may go through any interface
      const candidates = await this.kernel.listRoutes({ family: rec.family, table: routeTableNumber(rec.table), ...(oif !== undefined && rec.family === 'inet6' ? { oif } : {}) });
      const found = candidates.map(kernelRoute).find((k) => k.dst === rec.dst && k.priority === metricOf(rec) && (rec.family === 'inet4' || (k.gateway === rec.gateway && (oif === undefined || k.oif === oif))));
      if (!found) {
        pass.errors.push(error);
        if (op.previous) keep(pass.ctx, T.AppliedRoute, op.id, op.previous);
        else forget(pass.ctx, T.AppliedRoute, op.id);
        continue;
      }
      if (same(rec, wanted(rec), found, oif)) continue; // already as wanted (an earlier write of ours)
      retries.push(conflictOp(pass, op, found, links));
    }
    if (retries.length === 0) return;
    for (const op of retries) keep(pass.ctx, T.AppliedRoute, op.id, op.next!);
    await pass.ctx.flushState();
    await runOperations(this.kernel, retries);
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<RouteSpec, AppliedRoute>(ctx, T.RouteSpec, T.AppliedRoute);
    // never against routes not listed yet: after a failed listing, netcfg's own routes would look gone, and every
    // one of them be sent again (and refused, and looked up one table dump each); the statuses retry the listing
    if (this.statuses.generation === 0 && (running.length > 0 || undo.length > 0)) throw new Error('the routes have not been listed yet');
    const links = new StatusLinks(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => ({ ...r.spec, name: r.metadata.id })));
    const kernel = this.statuses.routes;
    const written = this.written;
    written.sync(this.statuses.generation);
    const overlay = written.overlay();
    const find = (rec: RouteRecord, oif: number | undefined): KernelRoute | undefined => {
      const table = routeTableNumber(rec.table);
      const metric = metricOf(rec);
      if (overlay.size > 0) {
        const key = routeIdentity({ family: rec.family, table, dst: rec.dst, gateway: rec.gateway, priority: metric, oif: oif ?? 0 });
        if (overlay.has(key)) return overlay.get(key);
      }
      return kernel.find(rec.family, table, rec.dst, rec.gateway, metric, oif);
    };
    const pass = new Pass(ctx);
    pass.written = written;

    for (const { id, record: rec, tearingDown } of undo) {
      const requests: Request[] = [];
      if (rec) {
        const link = rec.outLinkName ? links.resolve(rec.outLinkName) : undefined;
        const current = find(rec, link?.index);
        if (routeCreated(rec) && current && RouteProtocol.name(current.protocol) === rec.protocol) requests.push(new DeleteRoute(rec, current.oif));
        if (rec.replaced) {
          const old = rec.replaced;
          requests.push(restoreRequest(old, old.outLinkName ? links.resolve(old.outLinkName)?.index : undefined));
        }
      }
      if (requests.length === 0) finishUndo(ctx, T.RouteSpec, T.AppliedRoute, id, tearingDown);
      else pass.ops.push(new RouteOp(pass, id, requests, undefined, rec, tearingDown ? { tearingDown } : undefined));
    }

    for (const r of running) {
      const spec = r.spec;
      const id = r.metadata.id;
      hold(ctx, this.name, T.RouteSpec, r);
      let oif: number | undefined;
      if (spec.outLinkName !== '') {
        const link = links.resolve(spec.outLinkName);
        if (!link) {
          ctx.changes.wait(`route/${id}`, `${describeRoute(appliedFromSpec(spec, false))}: link ${spec.outLinkName} is not present`);
          ctx.requeueAfter(5000);
          continue;
        }
        oif = link.index;
      }
      const previous = record(id);
      const current = find(spec, oif);
      if (!current) {
        pass.ops.push(new RouteOp(pass, id, oif, madeRecord(spec, previous?.replaced), previous));
        continue;
      }
      if (same(spec, wanted(spec), current, oif)) {
        if (!previous) keep(ctx, T.AppliedRoute, id, appliedFromSpec(spec, false)); // someone else's route: left alone on removal
        continue;
      }
      const have = routeRecord(current, (i) => links.nameOf(i));
      const diff = differences(spec, have, true);
      const next = madeRecord(spec, previous !== undefined && routeCreated(previous) ? previous.replaced : have);
      pass.ops.push(new RouteOp(pass, id, [new DeleteRoute(have, current.oif), new AddRoute(next, oif)], next, previous, { diff: diff.join(', '), have, haveOif: current.oif }));
    }

    // the kernel takes a batch in order: a route through a gateway goes after the
    // link route that reaches that gateway, and is removed before it
    const ordered = inBatchOrder(pass.ops);
    pass.ops.length = 0; // in `ordered` from now on (100k routes: 0.8 MB less while they are written)
    if (ctx.dryRun) {
      for (const op of ordered) op.ok();
      return;
    }
    // record intent first: a crash after the kernel change still leaves netcfg knowing the route is its own
    for (const op of ordered) if (op.next) keep(ctx, T.AppliedRoute, op.id, op.next);
    if (ordered.length > 0) await ctx.flushState();
    // Each of these writes would send the daemon a route event, read only to wake the re-list that follows
    // them anyway (100k routes: ~0.3 s of its CPU, and the kernel's for sending them): the events stop
    // meanwhile, and their end wakes the re-list once, which finds whatever else changed meanwhile.
    const resume = ordered.length > 0 ? this.options.pauseRouteEvents?.() : undefined;
    try {
      await runOperations(this.kernel, ordered);
      await this.resolveConflicts(pass, links);
      await runOperations(this.kernel, pass.followUps);
    } finally {
      resume?.();
    }
    // the daemon checks its writes once the statuses have caught up (see AddressSpecController)
    if (ordered.length > 0) ctx.requeueAfter(0);
    if (pass.errors.length > 0) throw new ReconcileErrors(pass.errors);
  }
}
