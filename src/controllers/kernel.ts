// What the spec and status controllers need from the kernel; RtnlClient
// provides it, and tests may substitute an in-memory kernel.
import type { Outcome, Request } from '../netlink/connection.js';
import type { AddressMessage } from '../netlink/rtnetlink/address.js';
import type { LinkMessage } from '../netlink/rtnetlink/link.js';
import type { RouteDumpFilter, RouteMessage } from '../netlink/rtnetlink/route.js';
import type { Family } from '../net/ip.js';
import type { WgChange, WgDevice } from '../netlink/wireguard.js';

export interface WireguardKernel {
  getDevice(name: string): Promise<WgDevice | undefined>;
  setDevice(name: string, change: WgChange): Promise<void>;
}

export interface Kernel {
  listLinks(): Promise<LinkMessage[]>;
  listAddresses(family?: Family): Promise<AddressMessage[]>;
  listRoutes(filter?: RouteDumpFilter): Promise<RouteMessage[]>;
  execAll(requests: readonly Request[]): Promise<Outcome[]>;
  /** WireGuard configuration (generic netlink) in the same namespace. */
  wireguard?(): WireguardKernel;
}

/** Links by index, name, alias and altname. */
export class LinkIndex {
  private readonly byIndex = new Map<number, LinkMessage>();
  private readonly byName = new Map<string, LinkMessage>();
  private readonly byOtherName = new Map<string, LinkMessage>();

  constructor(readonly links: readonly LinkMessage[]) {
    for (const l of links) {
      this.byIndex.set(l.index, l);
      this.byName.set(l.name, l);
    }
    for (const l of links) {
      for (const alt of l.altNames) if (!this.byOtherName.has(alt)) this.byOtherName.set(alt, l);
      if (l.alias && !this.byOtherName.has(l.alias)) this.byOtherName.set(l.alias, l);
    }
  }

  index(i: number): LinkMessage | undefined {
    return this.byIndex.get(i);
  }

  /** Exact name only (logical links). */
  exact(name: string): LinkMessage | undefined {
    return this.byName.get(name);
  }

  /** Name, then altname or alias (physical links and references from config). */
  resolve(name: string): LinkMessage | undefined {
    return this.byName.get(name) ?? this.byOtherName.get(name);
  }

  nameOf(index: number): string {
    return this.byIndex.get(index)?.name ?? '';
  }
}
