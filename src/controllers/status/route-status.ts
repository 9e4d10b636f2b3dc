// RouteStatusController: the kernel routes netcfg may care about, and no others.
// A host may carry a routing daemon's full table (a million routes) beside
// netcfg's few; those are never held, decoded or diffed here. So:
//  - only tables netcfg has routes (specs or records) in are listed, and only
//    routes of the protocols netcfg's routes have: the kernel filters the dump
//    (strict checking), so a full BGP table is walked by the kernel, never sent;
//  - (daemon) the default route a lookup of 0.0.0.0 and :: finds (through the
//    rules), per family: connectivity readiness (Talos §7.5) without listing main;
//  - events are filtered the same way before they wake anyone (`concerns`).
// The routes it sees are indexed for the route spec controller (`routes`,
// kernel numbers, no resource per route); the daemon also publishes them as
// RouteStatus resources (its readiness and `get` over the control socket use
// them). `netcfg get routes` shows every route, streamed straight from the kernel.
import { formatBytes, isKernelIPv4Prefix, networkOf, parsePrefix, type Family } from '../../net/ip.js';
import type { RouteMessage } from '../../netlink/rtnetlink/route.js';
import { NS } from '../../resources/resource.js';
import { RouteProtocol, RouteType, RoutingTable, Scope, routeTableNumber } from '../../resources/network/enums.js';
import { routeId } from '../../resources/network/ids.js';
import { T, type AppliedRoute, type LinkStatus, type RouteRecord, type RouteSpec, type RouteStatus } from '../../resources/network/types.js';
import { RT_TABLE_MAIN, RTPROT_STATIC } from '../../netlink/rtnetlink/constants.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel, RouteEventHeader } from '../kernel.js';
import { syncOutputs } from '../sync.js';
import { KernelRoutes, kernelRoute, type KernelRoute } from './kernel-routes.js';

export function routeStatus(r: RouteMessage, linkName: (index: number) => string): RouteStatus {
  return statusOf(kernelRoute(r), linkName);
}

function statusOf(k: KernelRoute, linkName: (index: number) => string): RouteStatus {
  return {
    family: k.family,
    dst: k.dst,
    src: k.src,
    gateway: k.gateway,
    outLinkIndex: k.oif,
    outLinkName: k.oif !== 0 ? linkName(k.oif) : '',
    table: RoutingTable.name(k.table),
    priority: k.priority,
    scope: Scope.name(k.scope),
    type: RouteType.name(k.type),
    flags: '',
    protocol: RouteProtocol.name(k.protocol),
    mtu: k.mtu,
  };
}

/**
 * A destination as the kernel writes it (masked by the kernel already; "" for a
 * default route). The daemon keeps one per managed route: the text given is
 * kept when it already is that (the common case; a new string per route, and a
 * template literal's cons string at that, was ~6 MB at 100k routes).
 */
function canonicalDst(dst: string): string {
  if (dst === '' || isKernelIPv4Prefix(dst)) return dst;
  const p = parsePrefix(dst);
  if (!p) return dst;
  if (p.bits === 0) return '';
  // host bits cleared, as the kernel holds it (route specs are masked, records of older netcfgs may not be)
  const canonical = [formatBytes(networkOf(p).bytes), p.bits].join('/');
  return canonical === dst ? dst : canonical;
}

/** What netcfg's routes span: tables, the protocols in each, (for event filtering) the destinations in each. */
export class ManagedRoutes {
  readonly protocols = new Map<number, Set<number>>();
  readonly destinations = new Map<number, Set<string>>();

  /** `withDestinations`: keep the destinations too (the daemon filters route events by them). */
  constructor(private readonly withDestinations = true) {}

  add(r: Pick<RouteRecord, 'table' | 'protocol' | 'dst'>): void {
    const table = routeTableNumber(r.table);
    let protocols = this.protocols.get(table);
    if (!protocols) this.protocols.set(table, (protocols = new Set<number>()));
    protocols.add(RouteProtocol.number(r.protocol) ?? RTPROT_STATIC);
    if (!this.withDestinations) return;
    let dsts = this.destinations.get(table);
    if (!dsts) this.destinations.set(table, (dsts = new Set<string>()));
    dsts.add(canonicalDst(r.dst));
  }

  /** Whether a route event could concern netcfg: its table and destination are netcfg's. */
  concerns(h: RouteEventHeader): boolean {
    return this.destinations.get(h.table)?.has(h.dst) ?? false;
  }
}

/** The revisions (Store.revision) of the route specs and of the records: what the managed routes are made from. */
export interface RouteRevisions {
  specs: number;
  records: number;
}

/** What a one-shot pass listed the routes for: the specs' and records' revisions, and the links that were up. */
export interface ListedFor extends RouteRevisions {
  /** ifindex of every link with IFF_UP. */
  up: ReadonlySet<number>;
}

/**
 * Whether the routes listed for `before` are still those of `now` (one-shot runs,
 * which watch no route events: their own writes are the only route changes
 * there). True when no spec or record was written or removed since, and no
 * link that was up went down or away: the kernel drops routes with a link going
 * down (IPv4) or away, never with one coming up.
 */
export function listingHolds(before: ListedFor | undefined, now: ListedFor): boolean {
  if (!before) return false;
  if (before.specs !== now.specs || before.records !== now.records) return false;
  for (const index of before.up) if (!now.up.has(index)) return false;
  return true;
}

function upLinks(ctx: ReconcileContext): Set<number> {
  const up = new Set<number>();
  for (const l of ctx.list<LinkStatus>(NS.network, T.LinkStatus)) if (l.spec.flags.split(',').includes('UP')) up.add(l.spec.index);
  return up;
}

export class RouteStatusController implements Controller {
  readonly name = 'RouteStatusController';
  readonly inputs = [
    { namespace: NS.network, type: T.LinkStatus },
    { namespace: NS.network, type: T.RouteSpec },
    // routes netcfg still has to remove: read each pass (they only ever follow a spec)
    { namespace: NS.state, type: T.AppliedRoute, passive: true },
  ];
  readonly outputs = [{ namespace: NS.network, type: T.RouteStatus, kind: 'exclusive' as const }];
  /** (daemon) Not while the route controller writes: its own routes' events would wake a re-list per batch. */
  readonly waitsOut: readonly string[];
  /** What the last pass covered: the kernel watch lets through only events about it. */
  managed = new ManagedRoutes();
  /** The routes the last pass saw, for the route spec controller. */
  routes = new KernelRoutes();
  /** Completed passes: the route controller trusts its own recent writes until the next one. */
  generation = 0;

  /**
   * `daemon`: also look up the default route of each family (connectivity
   * readiness), keep the destinations for event filtering, and publish
   * RouteStatus resources.
   */
  constructor(
    private readonly kernel: Kernel,
    private readonly options: { daemon: boolean } = { daemon: false },
  ) {
    this.waitsOut = options.daemon ? ['RouteSpecController'] : [];
  }

  /** One-shot: what the last listing was for (see listingHolds). */
  private listedFor: ListedFor | undefined;
  /**
   * The revisions of the specs and records `managed` was made from (not the
   * resources: 100k of them, held between passes, would keep their old
   * versions too): a pass on the same ones (the daemon's, woken by a route
   * event) keeps it.
   */
  private managedFor: RouteRevisions | undefined;

  /** What netcfg's routes span (see ManagedRoutes): the specs and records are listed only when one was written or removed. */
  private managedRoutes(ctx: ReconcileContext, revisions: RouteRevisions): ManagedRoutes {
    const before = this.managedFor;
    if (before && before.specs === revisions.specs && before.records === revisions.records) return this.managed;
    const daemon = this.options.daemon;
    const managed = new ManagedRoutes(daemon);
    for (const r of ctx.list<RouteSpec>(NS.network, T.RouteSpec)) managed.add(r.spec);
    for (const r of ctx.list<AppliedRoute>(NS.state, T.AppliedRoute)) {
      managed.add(r.spec);
      if (r.spec.replaced) managed.add(r.spec.replaced);
    }
    if (daemon) managed.destinations.set(RT_TABLE_MAIN, (managed.destinations.get(RT_TABLE_MAIN) ?? new Set()).add(''));
    this.managedFor = revisions;
    return managed;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const daemon = this.options.daemon;
    const revisions: RouteRevisions = { specs: ctx.revision(NS.network, T.RouteSpec), records: ctx.revision(NS.state, T.AppliedRoute) };
    // one-shot, woken because a link came up (the links are an input): the index holds, and a listing is a
    // walk of each managed table (~100 ms beside a routing daemon's 500k routes in main). The generation
    // stays: the route controller still trusts its own writes.
    const listingFor: ListedFor | undefined = daemon ? undefined : { ...revisions, up: upLinks(ctx) };
    if (listingFor && listingHolds(this.listedFor, listingFor)) return;
    const managed = this.managedRoutes(ctx, revisions);
    this.managed = managed;

    const names = new Map<number, string>();
    if (daemon) for (const l of ctx.list<LinkStatus>(NS.network, T.LinkStatus)) names.set(l.spec.index, l.metadata.id);
    const linkName = (index: number) => names.get(index) ?? '';
    const desired = new Map<string, RouteStatus>();
    const routes = new KernelRoutes();
    const keep = (row: number) => {
      routes.addRow(row);
      if (!daemon) return;
      const status = statusOf(routes.route(row), linkName);
      const id = routeId(status);
      // the ID string of netcfg's own route when it is one (kept once, not twice: ~5.6 MB at 100k routes)
      desired.set(ctx.get(NS.network, T.RouteSpec, id)?.metadata.id ?? id, status);
    };
    // each route is decoded straight into its row of the index (none is held as a message or an object);
    // a dump the kernel interrupts is retried whole: only the rows of its last attempt are kept
    const asRow = (r: RouteMessage) => (r.type === 0 ? undefined : routes.store(r));
    let n = 0;
    for (const [table, protocols] of managed.protocols) {
      for (const protocol of protocols) {
        const start = routes.stored;
        for (const row of routes.settle(start, await this.kernel.listRoutes({ table, protocol }, asRow))) {
          keep(row);
          if (++n % 5000 === 0) await ctx.yield();
        }
      }
    }
    if (daemon && this.kernel.lookupRoute) {
      for (const [family, address] of [['inet4', '0.0.0.0'], ['inet6', '::']] as Array<[Family, string]>) {
        const r = await this.kernel.lookupRoute(family, address);
        if (r && r.dstLen === 0 && r.type !== 0) keep(routes.store(r));
      }
    }
    this.routes = routes;
    // only a listing that completed counts (a failed one is retried in full)
    this.listedFor = listingFor;
    if (daemon) syncOutputs(ctx, this.name, NS.network, T.RouteStatus, desired);
    this.generation++;
  }
}
