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

/**
 * Routes by destination ("10.0.0.0/8", "" for default): few share one.
 *
 * Kept in columns, one row per route (typed arrays for the numbers, arrays for
 * the strings): a listing of 100k routes holds ~45 B a route here, where a
 * KernelRoute object each took ~110 B, and a listing is decoded into its rows
 * as it arrives (store()), never held as 100k objects at once. find() and the
 * iterator give a KernelRoute made for the caller.
 */
export class KernelRoutes {
  private readonly byDst = new Map<string, number | number[]>();
  /** Rows stored (some perhaps by a listing that was retried, never indexed). */
  private rows = 0;
  private capacity = 0;
  private families = new Uint8Array(0);
  private tables = new Uint32Array(0);
  private priorities = new Uint32Array(0);
  private oifs = new Uint32Array(0);
  private mtus = new Uint32Array(0);
  /** scope | type << 8 | protocol << 16 */
  private kinds = new Uint32Array(0);
  private dsts: string[] = [];
  private gateways: string[] = [];
  private srcs: string[] = [];
  /** Routes indexed. */
  size = 0;

  private grow(): void {
    const capacity = Math.max(64, this.capacity * 2);
    const more = <A extends Uint8Array | Uint32Array>(a: A, make: (n: number) => A): A => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.families = more(this.families, (n) => new Uint8Array(n));
    this.tables = more(this.tables, (n) => new Uint32Array(n));
    this.priorities = more(this.priorities, (n) => new Uint32Array(n));
    this.oifs = more(this.oifs, (n) => new Uint32Array(n));
    this.mtus = more(this.mtus, (n) => new Uint32Array(n));
    this.kinds = more(this.kinds, (n) => new Uint32Array(n));
    this.capacity = capacity;
  }

  /** Stores a route as a row, not indexed yet (see addRow): a listing stores each route as it is decoded. */
  store(r: RouteMessage): number {
    return this.storeRoute(kernelRoute(r));
  }

  private storeRoute(r: KernelRoute): number {
    if (this.rows === this.capacity) this.grow();
    const row = this.rows++;
    this.families[row] = r.family === 'inet6' ? 1 : 0;
    this.tables[row] = r.table;
    this.priorities[row] = r.priority;
    this.oifs[row] = r.oif;
    this.mtus[row] = r.mtu;
    this.kinds[row] = r.scope | (r.type << 8) | (r.protocol << 16);
    this.dsts.push(r.dst);
    this.gateways.push(r.gateway);
    this.srcs.push(r.src);
    return row;
  }

  /** Rows stored so far (indexed or not). */
  get stored(): number {
    return this.rows;
  }

  /**
   * After a listing that began at row `start` gave `rows` (those of its last
   * attempt, stored one after another): drops the rows of the attempts before
   * it (a dump the kernel interrupts is retried whole, each attempt stored as it
   * arrived) and gives the rows kept, to be indexed.
   */
  settle(start: number, rows: readonly number[]): readonly number[] {
    const first = rows.length > 0 ? rows[0]! : this.rows;
    if (first === start) return rows;
    const n = this.rows - first;
    if (n !== rows.length || (n > 0 && rows[n - 1] !== this.rows - 1)) return rows; // not one run of rows: kept as they are
    for (const a of [this.families, this.tables, this.priorities, this.oifs, this.mtus, this.kinds]) a.copyWithin(start, first, first + n);
    for (const a of [this.dsts, this.gateways, this.srcs]) a.splice(start, first - start);
    this.rows = start + n;
    return Array.from({ length: n }, (_, i) => start + i);
  }

  /** Indexes a stored row. */
  addRow(row: number): void {
    const dst = this.dsts[row]!;
    const existing = this.byDst.get(dst);
    if (existing === undefined) this.byDst.set(dst, row);
    else if (typeof existing === 'number') this.byDst.set(dst, [existing, row]);
    else existing.push(row);
    this.size++;
  }

  /** Stores and indexes a route (its numbers as the kernel gives them: u32, and u8 for scope, type and protocol). */
  add(r: KernelRoute): void {
    this.addRow(this.storeRoute(r));
  }

  /** The route of a row, as an object of its own. */
  route(row: number): KernelRoute {
    const kind = this.kinds[row]!;
    return {
      family: this.families[row] === 1 ? 'inet6' : 'inet4',
      dst: this.dsts[row]!,
      table: this.tables[row]!,
      priority: this.priorities[row]!,
      gateway: this.gateways[row]!,
      oif: this.oifs[row]!,
      scope: kind & 0xff,
      type: (kind >> 8) & 0xff,
      protocol: (kind >> 16) & 0xff,
      src: this.srcs[row]!,
      mtu: this.mtus[row]!,
    };
  }

  /** The route with this identity (for IPv6 also this out-link, when one is given). */
  find(family: Family, table: number, dst: string, gateway: string, metric: number, oif: number | undefined): KernelRoute | undefined {
    const found = this.byDst.get(dst);
    if (found === undefined) return undefined;
    const fam = family === 'inet6' ? 1 : 0;
    const match = (row: number): boolean => this.families[row] === fam && this.tables[row] === table && this.priorities[row] === metric && this.gateways[row] === gateway && (fam === 0 || oif === undefined || this.oifs[row] === oif);
    if (typeof found === 'number') return match(found) ? this.route(found) : undefined;
    const row = found.find(match);
    return row === undefined ? undefined : this.route(row);
  }

  *[Symbol.iterator](): IterableIterator<KernelRoute> {
    for (const v of this.byDst.values()) {
      if (typeof v === 'number') yield this.route(v);
      else for (const row of v) yield this.route(row);
    }
  }
}
