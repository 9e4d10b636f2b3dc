// What the spec and status controllers need from the kernel; RtnlClient
// provides it, and tests may substitute an in-memory kernel.
import type { Outcome, Request } from '../netlink/connection.js';
import type { AddressMessage } from '../netlink/rtnetlink/address.js';
import type { LinkMessage } from '../netlink/rtnetlink/link.js';
import type { RouteDumpFilter, RouteMessage } from '../netlink/rtnetlink/route.js';
import type { RuleMessage } from '../netlink/rtnetlink/rule.js';
import type { Family } from '../net/ip.js';
import type { WgChange, WgDevice } from '../netlink/wireguard.js';
import { LinkResolver } from './link-resolver.js';
import type { KernelEvents, KernelWatchOptions } from '../netlink/rtnetlink/watch.js';

export type { KernelEventKind, KernelEvents, KernelWatchOptions, RouteEventHeader } from '../netlink/rtnetlink/watch.js';

export interface WireguardKernel {
  getDevice(name: string): Promise<WgDevice | undefined>;
  setDevice(name: string, change: WgChange): Promise<void>;
}

export interface Kernel {
  /** Subscribes to kernel events (link, address and route changes). */
  watch?(options: KernelWatchOptions): KernelEvents;
  listLinks(): Promise<LinkMessage[]>;
  listAddresses(family?: Family): Promise<AddressMessage[]>;
  /**
   * Routes, filtered by the kernel. With `map`, each route is handed to it as it
   * is decoded and only what it returns (not undefined) is kept: a 100k-route
   * table is never held as messages. `map` must have no side effects: a dump
   * the kernel interrupts is retried whole.
   */
  listRoutes(filter?: RouteDumpFilter): Promise<RouteMessage[]>;
  listRoutes<T>(filter: RouteDumpFilter, map: (r: RouteMessage) => T | undefined): Promise<T[]>;
  /** The FIB entry a lookup of `address` would use, through the rules (RTM_F_FIB_MATCH); undefined when none. */
  lookupRoute?(family: Family, address: string): Promise<RouteMessage | undefined>;
  /** Routing rules of one family, or of both. */
  listRules(family?: Family): Promise<RuleMessage[]>;
  execAll(requests: readonly Request[]): Promise<Outcome[]>;
  /** Counts writes that later execAll calls will bring as queued now (progress displays; see NetlinkConnection). */
  announceWrites?(writes: number): void;
  /** WireGuard configuration (generic netlink) in the same namespace. */
  wireguard?(): WireguardKernel;
}

/** Links by index, and by name, alias and altname (the shared LinkResolver rules). */
export class LinkIndex extends LinkResolver<LinkMessage> {
  private readonly byIndex = new Map<number, LinkMessage>();

  constructor(links: readonly LinkMessage[]) {
    super(links);
    for (const l of links) this.byIndex.set(l.index, l);
  }

  index(i: number): LinkMessage | undefined {
    return this.byIndex.get(i);
  }

  nameOf(index: number): string {
    return this.byIndex.get(index)?.name ?? '';
  }
}

/** What the link spec controllers read of the link statuses: the links of their last listing, whole, and how many listings completed. */
export interface LinkListing {
  readonly generation: number;
  readonly links: LinkIndex;
}
