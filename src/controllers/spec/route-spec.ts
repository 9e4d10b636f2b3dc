// RouteSpecController: makes kernel routes match the merged RouteSpecs. A kernel
// route with the same identity (family, table, destination, gateway, metric, and
// the out-link for IPv6) is "the" route; if it differs in scope, type, protocol,
// out-link, source or MTU it is replaced. Removal deletes only routes netcfg
// added, restoring a route it replaced.
//
// Written for bulk: 100k routes are planned as plain objects (no closures per
// route) and sent in pipelined segments.
import type { Request } from '../../netlink/connection.js';
import { AddRouteRequest, DeleteRouteRequest, type RouteMessage, type RouteParams } from '../../netlink/rtnetlink/route.js';
import { NS } from '../../resources/resource.js';
import { RouteProtocol, RouteType, RoutingTable, Scope, routeTableNumber } from '../../resources/network/enums.js';
import { RT_SCOPE_UNIVERSE, RTN_UNICAST, RTPROT_STATIC } from '../../netlink/rtnetlink/constants.js';
import { T, type AppliedRoute, type RouteRecord, type RouteSpec } from '../../resources/network/types.js';
import type { Change, ChangeAction } from '../../runtime/changes.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel } from '../kernel.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, forget, hold, keep, partition } from './applied.js';

const IPV6_DEFAULT_METRIC = 1024;

function metricOf(r: Pick<RouteRecord, 'family' | 'priority'>): number {
  return r.family === 'inet6' && r.priority === 0 ? IPV6_DEFAULT_METRIC : r.priority;
}

function kernelDst(r: RouteMessage): string {
  return r.dst !== undefined && r.dstLen > 0 ? `${r.dst}/${r.dstLen}` : '';
}

function recordOf(r: RouteMessage, links: LinkIndex): RouteRecord {
  return {
    family: r.family,
    dst: kernelDst(r),
    src: r.prefsrc ?? '',
    gateway: r.gateway ?? '',
    outLinkName: r.oif !== undefined ? links.nameOf(r.oif) : '',
    table: RoutingTable.name(r.table),
    priority: r.priority,
    scope: Scope.name(r.scope),
    type: RouteType.name(r.type),
    protocol: RouteProtocol.name(r.protocol),
    mtu: r.mtu ?? 0,
  };
}

/** The record netcfg keeps for a route it manages (created is filled in later). */
function appliedFromSpec(s: RouteSpec): AppliedRoute {
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
    created: false,
  };
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

/** Requests that describe themselves with the record (built only if an error needs it). */
class AddRoute extends AddRouteRequest {
  constructor(
    readonly record: RouteRecord,
    oif: number | undefined,
  ) {
    super(params(record, oif));
  }

  override describe(): string {
    return `add ${describeRoute(this.record)}`;
  }
}

class DeleteRoute extends DeleteRouteRequest {
  constructor(
    readonly record: RouteRecord,
    oif: number | undefined,
  ) {
    super(params(record, oif));
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

/** A route change whose text is built only when shown. */
class RouteChange implements Change {
  readonly kind = 'route';
  constructor(
    readonly action: ChangeAction,
    readonly id: string,
    private readonly op: RouteOp,
  ) {}

  get detail(): string {
    return this.op.detail();
  }

  toJSON(): Change {
    return { action: this.action, kind: this.kind, id: this.id, detail: this.detail };
  }
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

/** Routes by destination ("10.0.0.0/8", "" for default): few share one. */
class KernelRoutes {
  private readonly byDst = new Map<string, RouteMessage | RouteMessage[]>();

  add(r: RouteMessage): void {
    const dst = kernelDst(r);
    const existing = this.byDst.get(dst);
    if (existing === undefined) this.byDst.set(dst, r);
    else if (Array.isArray(existing)) existing.push(r);
    else this.byDst.set(dst, [existing, r]);
  }

  /** The route with this identity: family, table, destination, gateway, metric (and out-link for IPv6 when given). */
  find(rec: RouteRecord, table: number, oif: number | undefined): RouteMessage | undefined {
    const found = this.byDst.get(rec.dst);
    if (found === undefined) return undefined;
    const metric = metricOf(rec);
    const match = (r: RouteMessage): boolean =>
      r.family === rec.family &&
      r.table === table &&
      r.priority === metric &&
      (r.gateway ?? '') === rec.gateway &&
      (rec.family !== 'inet6' || oif === undefined || r.oif === oif);
    if (!Array.isArray(found)) return match(found) ? found : undefined;
    return found.find(match);
  }
}

/** Whether the kernel route already is what is wanted (no allocation in the common case). */
function same(want: RouteRecord, w: Wanted, r: RouteMessage, oif: number | undefined): boolean {
  return (
    r.scope === w.scope &&
    r.type === w.type &&
    r.protocol === w.protocol &&
    (r.prefsrc ?? '') === want.src &&
    (r.mtu ?? 0) === want.mtu &&
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
    buckets[op.kind === 'undo' ? (viaGateway ? 0 : 1) : viaGateway ? 3 : 2]!.push(op);
  }
  return buckets.flat();
}

/** One planned change; callbacks dispatch to the pass that planned it. */
class RouteOp implements Operation {
  constructor(
    readonly pass: Pass,
    readonly kind: OpKind,
    readonly id: string,
    readonly requests: Request[],
    readonly next: AppliedRoute | undefined,
    readonly previous: AppliedRoute | undefined,
    /** The route shown to the user, and what differed (for a replace). */
    readonly shown: RouteRecord | undefined,
    readonly diff: string,
    readonly tearingDown = false,
    /** For a replace: the route that was there, and its out-interface. */
    readonly have?: RouteRecord,
    readonly haveOif?: number,
  ) {}

  ok(): void {
    this.pass.ok(this);
  }

  detail(): string {
    if (!this.shown) return '';
    return this.diff ? `${describeRoute(this.shown)}: ${this.diff}` : describeRoute(this.shown);
  }

  failed(error: Error, succeeded: number): void {
    this.pass.failed(this, error, succeeded);
  }
}

/** The state of one reconcile pass. */
class Pass {
  readonly ops: RouteOp[] = [];
  readonly followUps: Operation[] = [];
  readonly errors: Error[] = [];

  constructor(readonly ctx: ReconcileContext) {}

  ok(op: RouteOp): void {
    const { ctx } = this;
    const action = op.kind === 'undo' ? 'remove' : op.kind === 'add' ? 'add' : 'change';
    ctx.changes.record(new RouteChange(action, op.id, op));
    if (op.kind === 'undo') finishUndo(ctx, T.RouteSpec, T.AppliedRoute, op.id, op.tearingDown);
  }

  failed(op: RouteOp, error: Error, succeeded: number): void {
    this.errors.push(error);
    if (op.kind === 'undo') return;
    // the old route is gone but the new one was refused: put the old one back
    if (op.kind === 'replace' && succeeded >= 1 && op.have) {
      this.followUps.push({ requests: [restoreRequest(op.have, op.haveOif)], ok: () => {}, failed: (e) => this.errors.push(e) });
    }
    if (op.previous) keep(this.ctx, T.AppliedRoute, op.id, op.previous);
    else forget(this.ctx, T.AppliedRoute, op.id);
  }
}

export class RouteSpecController implements Controller {
  readonly name = 'RouteSpecController';
  // AppliedAlias: a link got the alias config names it by
  readonly inputs = [{ namespace: NS.network, type: T.RouteSpec }, { namespace: NS.state, type: T.AppliedAlias }];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedRoute, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<RouteSpec, AppliedRoute>(ctx, T.RouteSpec, T.AppliedRoute);
    const tables = new Set<number>();
    for (const r of running) tables.add(routeTableNumber(r.spec.table));
    for (const u of undo) if (u.record) tables.add(routeTableNumber(u.record.table));
    const links = new LinkIndex(await this.kernel.listLinks());
    // only the tables netcfg uses are listed (the kernel filters them: strict checking)
    const kernel = new KernelRoutes();
    for (const table of tables) for (const r of await this.kernel.listRoutes({ table })) kernel.add(r);
    const find = (rec: RouteRecord, oif: number | undefined): RouteMessage | undefined => kernel.find(rec, routeTableNumber(rec.table), oif);
    const pass = new Pass(ctx);

    for (const { id, record: rec, tearingDown } of undo) {
      const requests: Request[] = [];
      if (rec) {
        const link = rec.outLinkName ? links.resolve(rec.outLinkName) : undefined;
        const current = find(rec, link?.index);
        if (rec.created && current && RouteProtocol.name(current.protocol) === rec.protocol) requests.push(new DeleteRoute(rec, current.oif));
        if (rec.replaced) {
          const old = rec.replaced;
          requests.push(restoreRequest(old, old.outLinkName ? links.resolve(old.outLinkName)?.index : undefined));
        }
      }
      if (requests.length === 0) finishUndo(ctx, T.RouteSpec, T.AppliedRoute, id, tearingDown);
      else pass.ops.push(new RouteOp(pass, 'undo', id, requests, undefined, rec, rec, '', tearingDown));
    }

    for (const r of running) {
      const spec = r.spec;
      const id = r.metadata.id;
      hold(ctx, this.name, T.RouteSpec, r);
      let oif: number | undefined;
      if (spec.outLinkName !== '') {
        const link = links.resolve(spec.outLinkName);
        if (!link) {
          ctx.changes.wait(`route/${id}`, `${describeRoute(appliedFromSpec(spec))}: link ${spec.outLinkName} is not present`);
          ctx.requeueAfter(5000);
          continue;
        }
        oif = link.index;
      }
      const next = appliedFromSpec(spec);
      const previous = record(id);
      const w = wanted(next);
      const current = kernel.find(next, w.table, oif);
      if (!current) {
        next.created = true;
        if (previous?.replaced) next.replaced = previous.replaced;
        pass.ops.push(new RouteOp(pass, 'add', id, [new AddRoute(next, oif)], next, previous, next, ''));
        continue;
      }
      if (same(next, w, current, oif)) {
        if (!previous) keep(ctx, T.AppliedRoute, id, next); // someone else's route: left alone on removal
        continue;
      }
      const have = recordOf(current, links);
      const diff = differences(next, have, true);
      next.created = true;
      const replaced = previous?.created === true ? previous.replaced : have;
      if (replaced) next.replaced = replaced;
      pass.ops.push(
        new RouteOp(
          pass,
          'replace',
          id,
          [new DeleteRoute(have, current.oif), new AddRoute(next, oif)],
          next,
          previous,
          next,
          diff.join(', '),
          false,
          have,
          current.oif,
        ),
      );
    }

    // the kernel takes a batch in order: a route through a gateway goes after the
    // link route that reaches that gateway, and is removed before it
    const ordered = inBatchOrder(pass.ops);
    if (ctx.dryRun) {
      for (const op of ordered) op.ok();
      return;
    }
    // record intent first: a crash after the kernel change still leaves netcfg knowing the route is its own
    for (const op of ordered) if (op.next) keep(ctx, T.AppliedRoute, op.id, op.next);
    await ctx.flushState();
    await runOperations(this.kernel, ordered);
    await runOperations(this.kernel, pass.followUps);
    if (pass.errors.length > 0) throw new ReconcileErrors(pass.errors);
  }
}
