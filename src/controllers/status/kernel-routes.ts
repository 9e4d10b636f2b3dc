// The kernel routes the route status controller observed, indexed for the
// route spec controller: by destination, with the kernel's numbers (no name
// lookups per route). A 100k-route apply reads them without a resource per
// route; the daemon also publishes them as RouteStatus resources.
import type { RouteMessage } from '../../netlink/rtnetlink/route.js';
import type { Family } from '../../net/ip.js';
import { RouteProtocol, RouteType, RoutingTable, Scope } from '../../resources/network/enums.js';
import type { RouteRecord } from '../../resources/network/types.js';

export interface KernelRoute {
  family: Family;
  /** "10.0.0.0/8"; "" for a default route. */
  dst: string;
  table: number;
  priority: number;
  gateway: string;
  /** 0: none. */
  oif: number;
  scope: number;
  type: number;
  protocol: number;
  src: string;
  mtu: number;
}

/** Gateways and sources repeat across many routes: one string each, not one per route decoded. */
const shared = new Map<string, string>();

function sharedText(s: string): string {
  const known = shared.get(s);
  if (known !== undefined) return known;
  if (shared.size < 4096) shared.set(s, s);
  return s;
}

export function kernelRoute(r: RouteMessage): KernelRoute {
  const gateway = r.gateway ?? r.nextHops?.[0]?.gateway;
  return {
    family: r.family,
    // join builds one flat string; `+` makes a cons string of 13+ characters (two more objects per route held)
    dst: r.dst !== undefined && r.dstLen > 0 ? [r.dst, r.dstLen].join('/') : '',
    table: r.table,
    priority: r.priority,
    gateway: gateway === undefined ? '' : sharedText(gateway),
    oif: r.oif ?? 0,
    scope: r.scope,
    type: r.type,
    protocol: r.protocol,
    src: r.prefsrc === undefined ? '' : sharedText(r.prefsrc),
    mtu: r.mtu ?? 0,
  };
}

/** A kernel route as netcfg records it (names, the out-link by name). */
export function routeRecord(r: KernelRoute, linkName: (index: number) => string): RouteRecord {
  return {
    family: r.family,
    dst: r.dst,
    src: r.src,
    gateway: r.gateway,
    outLinkName: r.oif !== 0 ? linkName(r.oif) : '',
    table: RoutingTable.name(r.table),
    priority: r.priority,
    scope: Scope.name(r.scope),
    type: RouteType.name(r.type),
    protocol: RouteProtocol.name(r.protocol),
    mtu: r.mtu,
  };
}

/** The kernel identity of a route: family, table, destination, gateway, metric (IPv6 routes also differ by out-link). */
export function routeIdentity(r: Pick<KernelRoute, 'family' | 'table' | 'dst' | 'gateway' | 'priority' | 'oif'>): string {
  return [r.family, r.table, r.dst, r.gateway, r.priority, r.family === 'inet6' ? r.oif : ''].join('|');
}

/** Routes by destination ("10.0.0.0/8", "" for default): few share one. */
export class KernelRoutes {
  private readonly byDst = new Map<string, KernelRoute | KernelRoute[]>();
  size = 0;

  add(r: KernelRoute): void {
    const existing = this.byDst.get(r.dst);
    if (existing === undefined) this.byDst.set(r.dst, r);
    else if (Array.isArray(existing)) existing.push(r);
    else this.byDst.set(r.dst, [existing, r]);
    this.size++;
  }

  /** The route with this identity (for IPv6 also this out-link, when one is given). */
  find(family: Family, table: number, dst: string, gateway: string, metric: number, oif: number | undefined): KernelRoute | undefined {
    const found = this.byDst.get(dst);
    if (found === undefined) return undefined;
    const match = (r: KernelRoute): boolean => r.family === family && r.table === table && r.priority === metric && r.gateway === gateway && (family !== 'inet6' || oif === undefined || r.oif === oif);
    if (!Array.isArray(found)) return match(found) ? found : undefined;
    return found.find(match);
  }

  *[Symbol.iterator](): IterableIterator<KernelRoute> {
    for (const v of this.byDst.values()) {
      if (Array.isArray(v)) yield* v;
      else yield v;
    }
  }
}
