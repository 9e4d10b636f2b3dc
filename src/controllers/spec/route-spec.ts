// RouteSpecController: makes kernel routes match the merged RouteSpecs. A kernel
// route with the same identity (family, table, destination, gateway, metric, and
// the out-link for IPv6) is "the" route; if it differs in scope, type, protocol,
// out-link, source or MTU it is replaced. Removal deletes only routes netcfg
// added, restoring a route it replaced.
import { parsePrefix } from '../../net/ip.js';
import type { Request } from '../../netlink/connection.js';
import { addRouteRequest, deleteRouteRequest, type RouteMessage, type RouteParams } from '../../netlink/rtnetlink/route.js';
import { NS } from '../../resources/resource.js';
import { RouteProtocol, RouteType, RoutingTable, Scope } from '../../resources/network/enums.js';
import { T, type AppliedRoute, type RouteRecord, type RouteSpec } from '../../resources/network/types.js';
import { ReconcileErrors, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel } from '../kernel.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, forget, hold, keep, partition } from './applied.js';

const IPV6_DEFAULT_METRIC = 1024;

function metricOf(r: Pick<RouteRecord, 'family' | 'priority'>): number {
  return r.family === 'inet6' && r.priority === 0 ? IPV6_DEFAULT_METRIC : r.priority;
}

/** Identity of a route; `oif` only counts for IPv6. */
function identity(family: string, table: number, dst: string, gateway: string, priority: number, oif: number): string {
  return family === 'inet6' ? `${family}|${table}|${dst}|${gateway}|${priority}|${oif}` : `${family}|${table}|${dst}|${gateway}|${priority}`;
}

function kernelIdentity(r: RouteMessage): string {
  const dst = r.dst !== undefined && r.dstLen > 0 ? `${r.dst}/${r.dstLen}` : '';
  return identity(r.family, r.table, dst, r.gateway ?? '', r.priority, r.oif ?? 0);
}

function recordOf(r: RouteMessage, links: LinkIndex): RouteRecord {
  return {
    family: r.family,
    dst: r.dst !== undefined && r.dstLen > 0 ? `${r.dst}/${r.dstLen}` : '',
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

function toRecord(s: RouteSpec): RouteRecord {
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
  const dst = r.dst === '' ? undefined : parsePrefix(r.dst);
  const p: RouteParams = {
    family: r.family,
    dstLen: dst?.bits ?? 0,
    table: RoutingTable.number(r.table) ?? 254,
    priority: r.priority,
    protocol: RouteProtocol.number(r.protocol) ?? 4,
    scope: Scope.number(r.scope) ?? 0,
    type: RouteType.number(r.type) ?? 1,
    label: describeRoute(r),
  };
  if (dst) p.dst = r.dst.slice(0, r.dst.lastIndexOf('/'));
  if (r.gateway) p.gateway = r.gateway;
  if (oif !== undefined && oif !== 0) p.oif = oif;
  if (r.src) p.prefsrc = r.src;
  if (r.mtu) p.mtu = r.mtu;
  return p;
}

function differences(want: RouteRecord, have: RouteRecord, checkLink: boolean): string[] {
  const out: string[] = [];
  for (const field of ['scope', 'type', 'protocol', 'src', 'mtu'] as const) {
    if (want[field] !== have[field]) out.push(`${field} ${have[field] === '' ? '-' : have[field]} → ${want[field] === '' ? '-' : want[field]}`);
  }
  if (checkLink && want.outLinkName !== '' && want.outLinkName !== have.outLinkName) out.push(`dev ${have.outLinkName} → ${want.outLinkName}`);
  return out;
}

export class RouteSpecController implements Controller {
  readonly name = 'RouteSpecController';
  readonly inputs = [{ namespace: NS.network, type: T.RouteSpec }];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedRoute, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, records } = partition<RouteSpec, AppliedRoute>(ctx, T.RouteSpec, T.AppliedRoute);
    const tables = new Set<number>();
    for (const r of running) tables.add(RoutingTable.number(r.spec.table) ?? 254);
    for (const u of undo) if (u.record) tables.add(RoutingTable.number(u.record.table) ?? 254);
    const links = new LinkIndex(await this.kernel.listLinks());
    // only the tables netcfg uses are listed (the kernel filters them: strict checking)
    const dumps = await Promise.all([...tables].map((table) => this.kernel.listRoutes({ table })));
    const kernel = new Map<string, RouteMessage>();
    const kernelAnyLink = new Map<string, RouteMessage>();
    for (const list of dumps) {
      for (const r of list) {
        kernel.set(kernelIdentity(r), r);
        if (r.family === 'inet6') {
          const dst = r.dst !== undefined && r.dstLen > 0 ? `${r.dst}/${r.dstLen}` : '';
          kernelAnyLink.set(identity('inet6', r.table, dst, r.gateway ?? '', r.priority, 0), r);
        }
      }
    }
    const find = (rec: RouteRecord, oif: number | undefined): RouteMessage | undefined => {
      const table = RoutingTable.number(rec.table) ?? 254;
      const id = identity(rec.family, table, rec.dst, rec.gateway, metricOf(rec), oif ?? 0);
      return rec.family === 'inet6' && oif === undefined ? kernelAnyLink.get(id) : kernel.get(id);
    };
    const ops: Operation[] = [];
    const errors: Error[] = [];
    const intents: Array<() => void> = [];

    for (const { id, record: rec, tearingDown } of undo) {
      const requests: Request[] = [];
      if (rec) {
        const link = rec.outLinkName ? links.resolve(rec.outLinkName) : undefined;
        const current = find(rec, link?.index);
        if (rec.created && current && RouteProtocol.name(current.protocol) === rec.protocol) requests.push(deleteRouteRequest(params(rec, current.oif)));
        if (rec.replaced) {
          const old = rec.replaced;
          const oldLink = old.outLinkName ? links.resolve(old.outLinkName) : undefined;
          requests.push({ ...addRouteRequest(params(old, oldLink?.index)), okErrors: ['EEXIST'] });
        }
      }
      if (requests.length === 0) {
        finishUndo(ctx, T.RouteSpec, T.AppliedRoute, id, tearingDown);
        continue;
      }
      ops.push({
        requests,
        ok: () => {
          ctx.changes.record({ action: 'remove', kind: 'route', id, detail: rec ? describeRoute(rec) : undefined });
          finishUndo(ctx, T.RouteSpec, T.AppliedRoute, id, tearingDown);
        },
        failed: (err) => errors.push(err),
      });
    }

    for (const r of running) {
      const spec = r.spec;
      const id = r.metadata.id;
      hold(ctx, this.name, T.RouteSpec, r);
      let oif: number | undefined;
      if (spec.outLinkName !== '') {
        const link = links.resolve(spec.outLinkName);
        if (!link) {
          ctx.changes.wait(`route/${id}`, `${describeRoute(toRecord(spec))}: link ${spec.outLinkName} is not present`);
          ctx.requeueAfter(5000);
          continue;
        }
        oif = link.index;
      }
      const want = toRecord(spec);
      const previous = records.get(id);
      const current = find(want, oif);
      if (!current) {
        const next: AppliedRoute = { ...want, created: true, ...(previous?.replaced ? { replaced: previous.replaced } : {}) };
        intents.push(() => keep(ctx, T.AppliedRoute, id, next));
        ops.push({
          requests: [addRouteRequest(params(want, oif))],
          ok: () => ctx.changes.record({ action: 'add', kind: 'route', id, detail: describeRoute(want) }),
          failed: (err) => {
            errors.push(err);
            if (previous) keep(ctx, T.AppliedRoute, id, previous);
            else forget(ctx, T.AppliedRoute, id);
          },
        });
        continue;
      }
      const have = recordOf(current, links);
      const diff = differences(want, have, true);
      if (diff.length === 0) {
        if (!previous) keep(ctx, T.AppliedRoute, id, { ...want, created: false });
        continue;
      }
      const mine = previous?.created === true;
      const replaced = mine ? previous?.replaced : have;
      const next: AppliedRoute = { ...want, created: true, ...(replaced ? { replaced } : {}) };
      intents.push(() => keep(ctx, T.AppliedRoute, id, next));
      ops.push({
        requests: [deleteRouteRequest(params(have, current.oif)), addRouteRequest(params(want, oif))],
        ok: () => ctx.changes.record({ action: 'change', kind: 'route', id, detail: `${describeRoute(want)}: ${diff.join(', ')}` }),
        failed: (err, succeeded) => {
          errors.push(err);
          if (succeeded >= 1) ops.push({ requests: [{ ...addRouteRequest(params(have, current.oif)), okErrors: ['EEXIST'] }], ok: () => {}, failed: (e) => errors.push(e) });
          if (previous) keep(ctx, T.AppliedRoute, id, previous);
          else forget(ctx, T.AppliedRoute, id);
        },
      });
    }

    if (ctx.dryRun) {
      for (const op of ops) op.ok();
      return;
    }
    for (const intent of intents) intent();
    await ctx.flushState();
    const first = ops.length;
    await runOperations(this.kernel, ops);
    if (ops.length > first) await runOperations(this.kernel, ops.slice(first));
    if (errors.length > 0) throw new ReconcileErrors(errors);
  }
}
