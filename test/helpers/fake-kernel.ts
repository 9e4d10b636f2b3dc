// An in-memory kernel for controller tests. Requests are encoded to bytes and
// decoded back with netcfg's own codec, then applied with the kernel's rules for
// EEXIST / ESRCH / EADDRNOTAVAIL and a reachable IPv4 gateway.
import { nestedPauses } from '../../src/util/pauses.js';
import type { Kernel, KernelEventKind, KernelEvents, KernelWatchOptions } from '../../src/controllers/kernel.js';
import { NlWriter } from '../../src/netlink/codec.js';
import { NLM_F_EXCL } from '../../src/netlink/constants.js';
import type { Outcome, Request } from '../../src/netlink/connection.js';
import { NetlinkError, errnoNumber } from '../../src/netlink/errors.js';
import { parseMessages } from '../../src/netlink/message.js';
import { addressOf, decodeAddress, type AddressMessage } from '../../src/netlink/rtnetlink/address.js';
import {
  IFF_UP,
  IFLA_ALT_IFNAME,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_IFALIAS,
  IFF_MULTICAST,
  IFLA_PROP_LIST,
  RTM_DELADDR,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWLINKPROP,
  RTM_NEWROUTE,
  RTM_NEWRULE,
  RTM_DELRULE,
} from '../../src/netlink/rtnetlink/constants.js';
import { decodeRule, type RuleMessage } from '../../src/netlink/rtnetlink/rule.js';
import type { LinkMessage } from '../../src/netlink/rtnetlink/link.js';
import { decodeRoute, type RouteDumpFilter, type RouteMessage } from '../../src/netlink/rtnetlink/route.js';
import { parseIP, prefixContains, type Family } from '../../src/net/ip.js';
import { AttrReader, readU32 } from '../../src/netlink/codec.js';

function fail(code: string, message?: string): Outcome {
  const details = { errno: errnoNumber(code) ?? 22, ...(message ? { extack: { message } } : {}) };
  return { ok: false, error: new NetlinkError(details) };
}

function routeKey(r: RouteMessage): string {
  return `${r.family}|${r.table}|${r.dst ?? ''}/${r.dstLen}|${r.priority}${r.family === 'inet6' ? `|${r.gateway ?? ''}|${r.oif ?? 0}` : ''}`;
}

export class FakeKernel implements Kernel {
  links: LinkMessage[] = [];
  addresses: AddressMessage[] = [];
  routes: RouteMessage[] = [];
  rules: RuleMessage[] = [];
  writes = 0;
  log: string[] = [];
  /** Called after a link is renamed (a test's fake sysfs follows). */
  onRename?: (from: string, to: string) => void;
  private readonly watchers = new Set<KernelWatchOptions>();
  /** Watchers whose route events are paused (see KernelEvents.pauseRoutes). */
  private readonly paused = new Set<KernelWatchOptions>();

  /** Events as the kernel sends them: after each change, to every watcher of that kind (synchronous here). */
  watch(options: KernelWatchOptions): KernelEvents {
    this.watchers.add(options);
    const pause = nestedPauses(
      () => void this.paused.add(options),
      () => {
        this.paused.delete(options);
        options.onEvent('route');
      },
    );
    const pauseRoutes = (): (() => void) => (options.kinds.includes('route') ? pause() : () => {});
    return { barrier: async () => {}, pauseRoutes, close: () => void this.watchers.delete(options) };
  }

  /** Tells the watchers (tests call it after changing links, addresses or routes directly). */
  changed(kind: KernelEventKind, route?: RouteMessage): void {
    for (const w of this.watchers) {
      if (!w.kinds.includes(kind)) continue;
      if (kind === 'route' && this.paused.has(w)) continue;
      if (kind === 'route' && route && w.routeFilter && !w.routeFilter({ family: route.family, table: route.table, dst: route.dst !== undefined && route.dstLen > 0 ? `${route.dst}/${route.dstLen}` : '' })) continue;
      w.onEvent(kind);
    }
  }

  addLink(name: string, extra: Partial<LinkMessage> = {}): LinkMessage {
    const link: LinkMessage = { index: this.links.length + 1, type: 1, flags: 0, name, mtu: 1500, operState: 'down', altNames: [], ...extra };
    this.links.push(link);
    return link;
  }

  async listLinks(): Promise<LinkMessage[]> {
    return this.links.map((l) => ({ ...l, altNames: [...l.altNames] }));
  }

  async listAddresses(family?: Family): Promise<AddressMessage[]> {
    return this.addresses.filter((a) => family === undefined || a.family === family).map((a) => ({ ...a }));
  }

  /**
   * Set, the next route dump is interrupted as the kernel does when a table
   * changes under it: `map` sees the routes, this runs (the change), and the
   * dump starts over (what the first attempt returned is dropped).
   */
  interruptNextRouteDump: (() => void) | undefined;

  /** Dumps filter by table, family and protocol, as the kernel does with strict checking. */
  async listRoutes(filter?: RouteDumpFilter): Promise<RouteMessage[]>;
  async listRoutes<T>(filter: RouteDumpFilter, map: (r: RouteMessage) => T | undefined): Promise<T[]>;
  async listRoutes<T>(filter: RouteDumpFilter = {}, map?: (r: RouteMessage) => T | undefined): Promise<Array<T | RouteMessage>> {
    const change = this.interruptNextRouteDump;
    if (change && map) {
      this.interruptNextRouteDump = undefined;
      for (const r of this.routes) map({ ...r });
      change();
    }
    const routes = this.routes
      .filter(
        (r) =>
          (filter.table === undefined || r.table === filter.table) &&
          (filter.family === undefined || r.family === filter.family) &&
          (filter.protocol === undefined || r.protocol === filter.protocol) &&
          (filter.oif === undefined || r.oif === filter.oif),
      )
      .map((r) => ({ ...r }));
    if (!map) return routes;
    const out: T[] = [];
    for (const r of routes) {
      const v = map(r);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** RTM_F_FIB_MATCH: the longest prefix in main that holds the address, lowest metric first. */
  async lookupRoute(family: Family, address: string): Promise<RouteMessage | undefined> {
    const ip = parseIP(address);
    if (!ip) return undefined;
    const matches = this.routes.filter((r) => r.family === family && r.table === 254 && prefixContains({ ...parseIP(r.dst ?? (family === 'inet4' ? '0.0.0.0' : '::'))!, bits: r.dstLen }, ip));
    matches.sort((a, b) => b.dstLen - a.dstLen || a.priority - b.priority);
    return matches[0] ? { ...matches[0] } : undefined;
  }

  async listRules(family?: Family): Promise<RuleMessage[]> {
    return this.rules.filter((r) => family === undefined || r.family === family).map((r) => ({ ...r }));
  }

  async execAll(requests: readonly Request[]): Promise<Outcome[]> {
    return requests.map((req) => {
      if (req.write) this.writes++;
      const outcome = this.apply(req);
      if (outcome.ok && req.write) this.changed(req.type === RTM_NEWADDR || req.type === RTM_DELADDR ? 'address' : req.type === RTM_NEWROUTE || req.type === RTM_DELROUTE ? 'route' : 'link');
      this.log.push(`${outcome.ok ? 'ok' : 'fail'} ${req.describe()}`);
      if (!outcome.ok && req.okErrors?.includes((outcome.error as NetlinkError).code)) return { ok: true };
      if (!outcome.ok) return { ok: false, error: (outcome.error as NetlinkError).withOperation(req.describe()) };
      return outcome;
    });
  }

  /** Names and altnames share one namespace in the kernel. */
  private nameInUse(name: string): boolean {
    return this.links.some((l) => l.name === name || l.altNames.includes(name));
  }

  private apply(req: Request): Outcome {
    const w = new NlWriter();
    const start = w.beginMessage(req.type, req.flags ?? 0, 1, 0);
    req.encode(w);
    w.endMessage(start);
    const m = parseMessages(w.toBuffer())[0]!;
    switch (req.type) {
      case RTM_NEWLINK: {
        const change = decodeLinkChange(m.buf, m.offset);
        const link = this.links.find((l) => l.index === change.index);
        if (!link) return fail('ENODEV');
        const { mtu, name, alias } = requestedAttrs(m);
        // as do_setlink: the name first (refused while the link is up), then the flags
        if (name !== undefined && name !== link.name) {
          if (link.flags & IFF_UP) return fail('EBUSY');
          if (this.nameInUse(name)) return fail('EEXIST');
          const from = link.name;
          link.name = name;
          this.onRename?.(from, name);
        }
        if (change.mask & IFF_UP) link.flags = (link.flags & ~IFF_UP) | (change.flags & IFF_UP);
        if (change.mask & IFF_MULTICAST) link.flags = (link.flags & ~IFF_MULTICAST) | (change.flags & IFF_MULTICAST);
        if (mtu !== undefined) link.mtu = mtu;
        // an empty IFLA_IFALIAS removes the alias
        if (alias !== undefined) {
          if (alias === '') delete link.alias;
          else link.alias = alias;
        }
        return { ok: true };
      }
      case RTM_NEWLINKPROP: {
        const link = this.links.find((l) => l.index === readU32(m.buf, m.offset + 4));
        if (!link) return fail('ENODEV');
        for (const alt of requestedAltNames(m)) {
          if (this.nameInUse(alt)) return fail('EEXIST');
          link.altNames.push(alt);
        }
        return { ok: true };
      }
      case RTM_NEWADDR: {
        const a = decodeAddress(m)!;
        if (!this.links.some((l) => l.index === a.index)) return fail('ENODEV');
        const existing = this.addresses.find((x) => x.index === a.index && addressOf(x) === addressOf(a) && x.prefixLen === a.prefixLen);
        if (existing && (req.flags ?? 0) & NLM_F_EXCL) return fail('EEXIST');
        this.addresses = this.addresses.filter((x) => x !== existing);
        this.addresses.push({ ...a, flags: a.flags | 0x80 });
        return { ok: true };
      }
      case RTM_DELADDR: {
        const a = decodeAddress(m)!;
        const before = this.addresses.length;
        this.addresses = this.addresses.filter((x) => !(x.index === a.index && addressOf(x) === addressOf(a) && x.prefixLen === a.prefixLen));
        return this.addresses.length < before ? { ok: true } : fail('EADDRNOTAVAIL');
      }
      case RTM_NEWROUTE: {
        const r = decodeRoute(m)!;
        if (r.gateway && r.family === 'inet4') {
          const gw = parseIP(r.gateway)!;
          const onLink = (index: number) => r.oif === undefined || index === r.oif;
          const reachable =
            this.addresses.some((a) => a.family === 'inet4' && onLink(a.index) && prefixContains({ ...parseIP(addressOf(a)!)!, bits: a.prefixLen }, gw)) ||
            // or a direct (link-scope) route to it, as the kernel accepts
            this.routes.some((x) => x.family === 'inet4' && !x.gateway && x.oif !== undefined && onLink(x.oif) && prefixContains({ ...parseIP(x.dst ?? '0.0.0.0')!, bits: x.dstLen }, gw));
          if (!reachable) return fail('ENETUNREACH', 'Nexthop has invalid gateway');
        }
        if (this.routes.some((x) => routeKey(x) === routeKey(r))) return fail('EEXIST');
        this.routes.push(r);
        return { ok: true };
      }
      case RTM_DELROUTE: {
        const r = decodeRoute(m)!;
        const i = this.routes.findIndex(
          (x) => x.family === r.family && x.table === r.table && (x.dst ?? '') === (r.dst ?? '') && x.dstLen === r.dstLen && x.priority === r.priority && (r.gateway === undefined || x.gateway === r.gateway),
        );
        if (i < 0) return fail('ESRCH');
        this.routes.splice(i, 1);
        return { ok: true };
      }
      case RTM_NEWRULE: {
        const r = decodeRule(m)!;
        if ((req.flags ?? 0) & NLM_F_EXCL && this.rules.some((x) => sameRule(x, r))) return fail('EEXIST');
        this.rules.push(r);
        return { ok: true };
      }
      case RTM_DELRULE: {
        // as rule_find: every field sent must match (the protocol only when given)
        const r = decodeRule(m)!;
        const i = this.rules.findIndex((x) => sameRule(x, r, r.protocol === undefined));
        if (i < 0) return fail('ENOENT');
        this.rules.splice(i, 1);
        return { ok: true };
      }
      default:
        return fail('EOPNOTSUPP');
    }
  }
}

function sameRule(a: RuleMessage, b: RuleMessage, anyProtocol = false): boolean {
  const key = (r: RuleMessage) =>
    JSON.stringify([r.family, r.priority, r.action, r.table, r.src ?? '', r.srcLen, r.dst ?? '', r.dstLen, r.iifName ?? '', r.oifName ?? '', r.fwmark ?? 0, r.fwmask ?? (r.fwmark ? 0xffffffff : 0), r.suppressPrefixLength, anyProtocol ? 0 : (r.protocol ?? 0)]);
  return key(a) === key(b);
}

function decodeLinkChange(buf: Buffer, offset: number): { index: number; flags: number; mask: number } {
  return { index: readU32(buf, offset + 4), flags: readU32(buf, offset + 8), mask: readU32(buf, offset + 12) };
}

function requestedAttrs(m: ReturnType<typeof parseMessages>[number]): { mtu?: number; name?: string; alias?: string } {
  const out: { mtu?: number; name?: string; alias?: string } = {};
  const r = new AttrReader(m.buf, m.offset + 16, m.offset + m.length);
  while (r.next()) {
    if (r.type === IFLA_MTU) out.mtu = r.u32();
    if (r.type === IFLA_IFNAME) out.name = r.string();
    if (r.type === IFLA_IFALIAS) out.alias = r.string();
  }
  return out;
}

function requestedAltNames(m: ReturnType<typeof parseMessages>[number]): string[] {
  const out: string[] = [];
  const r = new AttrReader(m.buf, m.offset + 16, m.offset + m.length);
  while (r.next()) {
    if (r.type !== IFLA_PROP_LIST) continue;
    const props = r.nested();
    while (props.next()) if (props.type === IFLA_ALT_IFNAME) out.push(props.string());
  }
  return out;
}
