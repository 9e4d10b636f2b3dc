// RtnlClient: rtnetlink over one NetlinkConnection: typed dumps plus request
// execution (single or pipelined).
import { NETLINK_ROUTE } from '../constants.js';
import { NetlinkConnection, type ConnectionOptions, type Outcome, type Request, type WriteProgress } from '../connection.js';
import type { OpenOptions } from '../transport.js';
import { decodeAddress, dumpAddressesRequest, type AddressMessage } from './address.js';
import { decodeLink, dumpLinksRequest, getLinkRequest, type LinkMessage } from './link.js';
import { isNetlinkErrno } from '../errors.js';
import { decodeRoute, dumpRoutesRequest, lookupRouteRequest, type RouteDumpFilter, type RouteMessage } from './route.js';
import { RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWRULE } from './constants.js';
import { AddRuleRequest, DeleteRuleRequest, decodeRule, dumpRulesRequest, type RuleMessage } from './rule.js';
import type { Family } from '../../net/ip.js';
import './drivers/index.js';
import { GenlClient } from '../genetlink.js';
import { WireguardClient } from '../wireguard.js';
import { openKernelWatch, type KernelEvents, type KernelWatchOptions } from './watch.js';

export class RtnlClient {
  private wg: WireguardClient | undefined;

  constructor(
    readonly conn: NetlinkConnection,
    private readonly options: OpenOptions & ConnectionOptions = {},
  ) {}

  static open(options: OpenOptions & ConnectionOptions = {}): RtnlClient {
    return new RtnlClient(NetlinkConnection.open(NETLINK_ROUTE, options), options);
  }

  /** WireGuard over generic netlink, in the same namespace (opened on first use). */
  wireguard(): WireguardClient {
    this.wg ??= new WireguardClient(GenlClient.open(this.options));
    return this.wg;
  }

  /** Requests of this connection and of the WireGuard one (writes count both). */
  get stats(): NetlinkConnection['stats'] {
    const wg = this.wg?.genl.conn.stats;
    if (!wg) return this.conn.stats;
    const s = this.conn.stats;
    return { writes: s.writes + wg.writes, requests: s.requests + wg.requests, dumps: s.dumps + wg.dumps, dumpRetries: s.dumpRetries + wg.dumpRetries, overruns: s.overruns + wg.overruns };
  }

  /** Write requests queued and answered, on this connection and the WireGuard one. */
  get progress(): WriteProgress {
    const wg = this.wg?.genl.conn.progress;
    const p = this.conn.progress;
    return wg ? { queued: p.queued + wg.queued, done: p.done + wg.done } : { queued: p.queued, done: p.done };
  }

  /** Kernel events on a socket of their own, in the same namespace. */
  watch(options: KernelWatchOptions): KernelEvents {
    return openKernelWatch(options, this.options);
  }

  listLinks(): Promise<LinkMessage[]> {
    return this.conn.dump(dumpLinksRequest(), (m) => (m.type === RTM_NEWLINK ? decodeLink(m) : undefined));
  }

  /** One link by name; undefined when there is no such link. */
  async getLink(name: string): Promise<LinkMessage | undefined> {
    try {
      return await this.conn.query(getLinkRequest(name), (m) => (m.type === RTM_NEWLINK ? decodeLink(m) : undefined));
    } catch (err) {
      if (isNetlinkErrno(err, 'ENODEV')) return undefined;
      throw err;
    }
  }

  listAddresses(family?: Family): Promise<AddressMessage[]> {
    return this.conn.dump(dumpAddressesRequest(family), (m) => (m.type === RTM_NEWADDR ? decodeAddress(m) : undefined));
  }

  listRoutes(filter?: RouteDumpFilter): Promise<RouteMessage[]>;
  listRoutes<T>(filter: RouteDumpFilter, map: (r: RouteMessage) => T | undefined): Promise<T[]>;
  listRoutes<T>(filter: RouteDumpFilter = {}, map?: (r: RouteMessage) => T | undefined): Promise<Array<T | RouteMessage>> {
    return this.conn.dump(dumpRoutesRequest(filter), (m) => {
      if (m.type !== RTM_NEWROUTE) return undefined;
      const r = decodeRoute(m);
      return r && map ? map(r) : r;
    });
  }

  /** The FIB entry a lookup of `address` would use (through the rules); undefined when none matches. */
  async lookupRoute(family: Family, address: string): Promise<RouteMessage | undefined> {
    try {
      return await this.conn.query(lookupRouteRequest(family, address), (m) => (m.type === RTM_NEWROUTE ? decodeRoute(m) : undefined));
    } catch (err) {
      if (isNetlinkErrno(err, 'ENETUNREACH') || isNetlinkErrno(err, 'EHOSTUNREACH') || isNetlinkErrno(err, 'ESRCH')) return undefined;
      throw err;
    }
  }

  /** Routing rules of one family, or of both (IPv4 first). */
  listRules(family?: Family): Promise<RuleMessage[]> {
    return this.conn.dump(dumpRulesRequest(family), (m) => (m.type === RTM_NEWRULE ? decodeRule(m) : undefined));
  }

  /** Adds a rule (EEXIST when an identical one is there). */
  addRule(rule: RuleMessage): Promise<void> {
    return this.conn.exec(new AddRuleRequest(rule));
  }

  /** Deletes the rule matching every field given (no error when there is none). */
  deleteRule(rule: RuleMessage): Promise<void> {
    return this.conn.exec(new DeleteRuleRequest(rule));
  }

  exec(request: Request): Promise<void> {
    return this.conn.exec(request);
  }

  execAll(requests: readonly Request[]): Promise<Outcome[]> {
    return this.conn.execAll(requests);
  }

  announceWrites(writes: number): void {
    this.conn.announceWrites(writes);
  }

  close(): void {
    this.wg?.close();
    this.conn.close();
  }
}
