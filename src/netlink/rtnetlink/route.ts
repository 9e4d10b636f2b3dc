// Routes: struct rtmsg + RTA_* attributes (RTM_NEWROUTE/DELROUTE/GETROUTE).
import { AttrReader, NlWriter, readS32, readU16, readU32 } from '../codec.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../constants.js';
import type { Request } from '../connection.js';
import { NetlinkDecodeError } from '../errors.js';
import type { NlMessage } from '../message.js';
import { AF_INET, AF_INET6, familyOfAf, formatBytes, parseIP, parseIPv4, type Family } from '../../net/ip.js';
import {
  ROUTE_ATTR_NAMES,
  RTAX_MTU,
  RTA_DST,
  RTA_GATEWAY,
  RTA_IIF,
  RTA_METRICS,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTA_VIA,
  RTMSG_LEN,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RT_SCOPE_NOWHERE,
  RT_TABLE_COMPAT,
  RTM_F_FIB_MATCH,
} from './constants.js';

export interface NextHop {
  gateway?: string;
  oif: number;
  /** rtnh_hops + 1 */
  weight: number;
  flags: number;
}

export interface RouteMessage {
  family: Family;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
  /** Destination address without the length; undefined for a default route. */
  dst?: string;
  src?: string;
  /** RTA_GATEWAY, or RTA_VIA for a next hop of the other family. */
  gateway?: string;
  oif?: number;
  iif?: number;
  priority: number;
  prefsrc?: string;
  mtu?: number;
  nextHops?: NextHop[];
  pref?: number;
}

function decodeVia(r: AttrReader): string | undefined {
  if (r.length < 2) return undefined;
  const len = r.length - 2;
  if (len !== 4 && len !== 16) return undefined;
  return formatBytes(r.buf, r.offset + 2, len);
}

function decodeMultipath(r: AttrReader): NextHop[] {
  const hops: NextHop[] = [];
  const b = r.buf;
  let pos = r.offset;
  const end = r.offset + r.length;
  while (pos + 8 <= end) {
    const len = readU16(b, pos);
    if (len < 8 || pos + len > end) throw new NetlinkDecodeError(`rtnexthop length ${len}`, pos);
    const hop: NextHop = { flags: b[pos + 2] ?? 0, weight: (b[pos + 3] ?? 0) + 1, oif: readS32(b, pos + 4) };
    const attrs = new AttrReader(b, pos + 8, pos + len);
    while (attrs.next()) {
      if (attrs.type === RTA_GATEWAY) hop.gateway = attrs.ip();
      else if (attrs.type === RTA_VIA) {
        const via = decodeVia(attrs);
        if (via) hop.gateway = via;
      }
    }
    hops.push(hop);
    pos += (len + 3) & ~3;
  }
  return hops;
}

const reader = new AttrReader(Buffer.alloc(0), 0, 0);

export function decodeRoute(m: NlMessage): RouteMessage | undefined {
  if (m.length < RTMSG_LEN) throw new NetlinkDecodeError(`rtmsg of ${m.length} bytes`, m.offset);
  const b = m.buf;
  const o = m.offset;
  const family = familyOfAf(b[o] ?? 0);
  if (!family) return undefined;
  const route: RouteMessage = {
    family,
    dstLen: b[o + 1] ?? 0,
    srcLen: b[o + 2] ?? 0,
    tos: b[o + 3] ?? 0,
    table: b[o + 4] ?? 0,
    protocol: b[o + 5] ?? 0,
    scope: b[o + 6] ?? 0,
    type: b[o + 7] ?? 0,
    flags: readU32(b, o + 8),
    priority: 0,
  };
  const r = reader.reset(b, o + RTMSG_LEN, o + m.length);
  while (r.next()) {
    switch (r.type) {
      case RTA_DST:
        route.dst = r.ip();
        break;
      case RTA_SRC:
        route.src = r.ip();
        break;
      case RTA_GATEWAY:
        route.gateway = r.ip();
        break;
      case RTA_VIA: {
        const via = decodeVia(r);
        if (via) route.gateway = via;
        break;
      }
      case RTA_OIF:
        route.oif = r.u32();
        break;
      case RTA_IIF:
        route.iif = r.u32();
        break;
      case RTA_PRIORITY:
        route.priority = r.u32();
        break;
      case RTA_PREFSRC:
        route.prefsrc = r.ip();
        break;
      case RTA_TABLE:
        route.table = r.u32();
        break;
      case RTA_PREF:
        route.pref = r.u8();
        break;
      case RTA_METRICS: {
        const metrics = r.nested();
        while (metrics.next()) if (metrics.type === RTAX_MTU) route.mtu = metrics.u32();
        break;
      }
      case RTA_MULTIPATH:
        route.nextHops = decodeMultipath(r);
        break;
      default:
        break;
    }
  }
  return route;
}

export interface RouteDumpFilter {
  family?: Family;
  /** Only this table (the kernel filters thanks to NETLINK_GET_STRICT_CHK). */
  table?: number;
  /** Only routes of this protocol (filtered in the kernel too: a full BGP table is walked, never sent). */
  protocol?: number;
  /** Only routes through this interface (RTA_OIF; filtered in the kernel). */
  oif?: number;
}

export function dumpRoutesRequest(filter: RouteDumpFilter = {}): Request {
  return {
    type: RTM_GETROUTE,
    write: false,
    headerLength: RTMSG_LEN,
    encode(w) {
      const af = filter.family === undefined ? 0 : filter.family === 'inet4' ? AF_INET : AF_INET6;
      const table = filter.table ?? 0;
      w.u8(af).u8(0).u8(0).u8(0).u8(table > 255 ? 0 : table).u8(filter.protocol ?? 0).u8(0).u8(0).u32(0);
      if (table > 255) w.attrU32(RTA_TABLE, table);
      if (filter.oif !== undefined) w.attrU32(RTA_OIF, filter.oif);
    },
    describe: () => `list routes${filter.table ? ` in table ${filter.table}` : ''}${filter.protocol ? ` of protocol ${filter.protocol}` : ''}`,
    attributeName: (t) => ROUTE_ATTR_NAMES[t],
  };
}

/**
 * RTM_GETROUTE for one destination, with RTM_F_FIB_MATCH: the FIB entry a
 * lookup of that address would use, through the routing rules (strict checking
 * takes no table here; the kernel answers ENETUNREACH when nothing matches).
 */
export function lookupRouteRequest(family: Family, address: string): Request {
  return {
    type: RTM_GETROUTE,
    write: false,
    headerLength: RTMSG_LEN,
    encode(w) {
      const bytes = parseIP(address)?.bytes;
      if (!bytes) throw new Error(`invalid address "${address}"`);
      w.u8(family === 'inet4' ? AF_INET : AF_INET6).u8(bytes.length * 8).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(RTM_F_FIB_MATCH);
      w.attrBytes(RTA_DST, bytes);
    },
    describe: () => `look up the route to ${address}`,
    attributeName: (t) => ROUTE_ATTR_NAMES[t],
  };
}

export interface RouteParams {
  family: Family;
  dst?: string;
  dstLen: number;
  src?: string;
  srcLen?: number;
  gateway?: string;
  oif?: number;
  table: number;
  priority: number;
  protocol: number;
  scope: number;
  type: number;
  flags?: number;
  prefsrc?: string;
  mtu?: number;
  /** For messages: "route 10.0.0.0/8 via 192.0.2.1 dev eth0". */
  label?: string;
}

function labelOf(p: RouteParams): string {
  return p.label ?? `route ${p.dst ?? 'default'}/${p.dstLen}${p.gateway ? ` via ${p.gateway}` : ''}`;
}

const ipCache = new Map<string, Uint8Array>();

/** Where an IPv4 destination is parsed, to be copied into the message right away (no array per route encoded). */
const scratch4 = new Uint8Array(4);

/**
 * Bytes of an address, valid until the next call (written into the message at
 * once); gateways and sources repeat, so a few are cached.
 */
function addressBytes(text: string, family: Family, cache = false): Uint8Array {
  if (!cache && family === 'inet4' && text.indexOf(':') < 0 && parseIPv4(text, scratch4)) return scratch4;
  let bytes = cache ? ipCache.get(text) : undefined;
  if (!bytes) {
    const ip = parseIP(text);
    if (!ip) throw new Error(`invalid IP address "${text}"`);
    if (ip.family !== family) throw new Error(`address ${text} is not ${family}`);
    bytes = ip.bytes;
    if (cache && ipCache.size < 1024) ipCache.set(text, bytes);
  }
  return bytes;
}

function encodeRoute(w: NlWriter, p: RouteParams, forDelete: boolean): void {
  w.u8(p.family === 'inet4' ? AF_INET : AF_INET6)
    .u8(p.dstLen)
    .u8(p.srcLen ?? 0)
    .u8(0)
    .u8(p.table > 255 ? RT_TABLE_COMPAT : p.table)
    .u8(p.protocol)
    .u8(forDelete ? RT_SCOPE_NOWHERE : p.scope)
    .u8(p.type)
    .u32(p.flags ?? 0);
  w.attrU32(RTA_TABLE, p.table);
  if (p.dst !== undefined && p.dstLen > 0) w.attrBytes(RTA_DST, addressBytes(p.dst, p.family));
  if (p.src !== undefined && (p.srcLen ?? 0) > 0) w.attrBytes(RTA_SRC, addressBytes(p.src, p.family));
  w.attrU32(RTA_PRIORITY, p.priority);
  if (p.oif !== undefined) w.attrU32(RTA_OIF, p.oif);
  if (p.gateway !== undefined) {
    const sameFamily = p.gateway.includes(':') === (p.family === 'inet6');
    if (sameFamily) {
      w.attrBytes(RTA_GATEWAY, addressBytes(p.gateway, p.family, true));
    } else {
      const gw = parseIP(p.gateway);
      if (!gw) throw new Error(`invalid gateway "${p.gateway}"`);
      // an IPv4 route via an IPv6 next hop (RFC 5549)
      const via = Buffer.alloc(2 + gw.bytes.length);
      via.writeUInt16LE(gw.family === 'inet4' ? AF_INET : AF_INET6, 0);
      via.set(gw.bytes, 2);
      w.attrBytes(RTA_VIA, via);
    }
  }
  if (!forDelete) {
    if (p.prefsrc !== undefined) w.attrBytes(RTA_PREFSRC, addressBytes(p.prefsrc, p.family, true));
    if (p.mtu !== undefined && p.mtu !== 0) {
      const m = w.beginNested(RTA_METRICS);
      w.attrU32(RTAX_MTU, p.mtu);
      w.endNested(m);
    }
  }
}

/**
 * RTM_NEWROUTE or RTM_DELROUTE whose parameters come from the subclass when it
 * is encoded: a bulk apply holds 100k of these, each keeping only what it needs
 * to build them. The constant fields live on the prototype.
 */
abstract class RouteWrite implements Request {
  declare okErrors?: readonly string[];

  /** The route's netlink parameters (built when the request is encoded or described). */
  abstract routeParams(): RouteParams;

  get write(): boolean {
    return true;
  }

  get headerLength(): number {
    return RTMSG_LEN;
  }

  abstract get type(): number;

  encode(w: NlWriter): void {
    encodeRoute(w, this.routeParams(), this.type === RTM_DELROUTE);
  }

  /** What the request does, for errors (the subclass knows the route best). */
  abstract describe(): string;

  attributeName(t: number): string | undefined {
    return ROUTE_ATTR_NAMES[t];
  }
}

/** RTM_NEWROUTE (create; exclusive unless `replace`) of the parameters given. */
export class AddRouteRequest extends RouteWrite {
  readonly flags: number;

  constructor(
    readonly params: RouteParams,
    replace = false,
  ) {
    super();
    this.flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  }

  get type(): number {
    return RTM_NEWROUTE;
  }

  routeParams(): RouteParams {
    return this.params;
  }

  describe(): string {
    return `add ${labelOf(this.params)}`;
  }
}

/** RTM_NEWROUTE (create, exclusive) whose parameters the subclass builds when it is sent. */
export abstract class LazyAddRouteRequest extends RouteWrite {
  get type(): number {
    return RTM_NEWROUTE;
  }

  get flags(): number {
    return NLM_F_CREATE | NLM_F_EXCL;
  }
}

const DELETE_OK_ERRORS: readonly string[] = Object.freeze(['ESRCH', 'ENOENT']);

export abstract class LazyDeleteRouteRequest extends RouteWrite {
  constructor() {
    super();
    this.okErrors = DELETE_OK_ERRORS;
  }

  get type(): number {
    return RTM_DELROUTE;
  }
}

export function addRouteRequest(p: RouteParams, replace = false): AddRouteRequest {
  return new AddRouteRequest(p, replace);
}
