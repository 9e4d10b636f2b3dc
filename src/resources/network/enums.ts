// Kernel enumerations spelled the way Talos resources print them, with
// conversions both ways. Unknown numeric values print as their number.
import {
  ADDRESS_FLAG_NAMES,
  FR_ACT_BLACKHOLE,
  FR_ACT_GOTO,
  FR_ACT_NOP,
  FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  FR_ACT_UNSPEC,
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  ARPHRD_NONE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_NAT,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTN_UNSPEC,
  RTPROT_BOOT,
  RTPROT_DHCP,
  RTPROT_KERNEL,
  RTPROT_RA,
  RTPROT_REDIRECT,
  RTPROT_STATIC,
  RTPROT_UNSPEC,
} from '../../netlink/rtnetlink/constants.js';

function bimap(entries: ReadonlyArray<readonly [number, string]>) {
  const byNumber = new Map(entries);
  const byName = new Map(entries.map(([n, s]) => [s, n] as const));
  return {
    name(n: number): string {
      return byNumber.get(n) ?? String(n);
    },
    number(s: string): number | undefined {
      const known = byName.get(s);
      if (known !== undefined) return known;
      return /^\d+$/.test(s) ? Number(s) : undefined;
    },
    names(): string[] {
      return [...byName.keys()];
    },
  };
}

export const Scope = bimap([
  [RT_SCOPE_UNIVERSE, 'global'],
  [RT_SCOPE_SITE, 'site'],
  [RT_SCOPE_LINK, 'link'],
  [RT_SCOPE_HOST, 'host'],
  [RT_SCOPE_NOWHERE, 'nowhere'],
]);

export const RouteType = bimap([
  [RTN_UNSPEC, 'unspec'],
  [RTN_UNICAST, 'unicast'],
  [RTN_LOCAL, 'local'],
  [RTN_BROADCAST, 'broadcast'],
  [RTN_ANYCAST, 'anycast'],
  [RTN_MULTICAST, 'multicast'],
  [RTN_BLACKHOLE, 'blackhole'],
  [RTN_UNREACHABLE, 'unreachable'],
  [RTN_PROHIBIT, 'prohibit'],
  [RTN_THROW, 'throw'],
  [RTN_NAT, 'nat'],
  [11, 'xresolve'],
]);

export const RouteProtocol = bimap([
  [RTPROT_UNSPEC, 'unspec'],
  [RTPROT_REDIRECT, 'redirect'],
  [RTPROT_KERNEL, 'kernel'],
  [RTPROT_BOOT, 'boot'],
  [RTPROT_STATIC, 'static'],
  [8, 'gated'],
  [RTPROT_RA, 'ra'],
  [10, 'mrt'],
  [11, 'zebra'],
  [12, 'bird'],
  [13, 'dnrouted'],
  [14, 'xorp'],
  [15, 'ntk'],
  [RTPROT_DHCP, 'dhcp'],
  [17, 'mrouted'],
  [18, 'keepalived'],
  [42, 'babel'],
  [186, 'bgp'],
  [187, 'isis'],
  [188, 'ospf'],
  [189, 'rip'],
  [192, 'eigrp'],
]);

/** Rule actions (FR_ACT_*), spelled as Talos's RoutingRuleAction. */
export const RuleAction = bimap([
  [FR_ACT_UNSPEC, 'unspec'],
  [FR_ACT_TO_TBL, 'unicast'],
  [FR_ACT_GOTO, 'goto'],
  [FR_ACT_NOP, 'nop'],
  [FR_ACT_BLACKHOLE, 'blackhole'],
  [FR_ACT_UNREACHABLE, 'unreachable'],
  [FR_ACT_PROHIBIT, 'prohibit'],
]);

export const RoutingTable = bimap([
  [RT_TABLE_UNSPEC, 'unspec'],
  [RT_TABLE_DEFAULT, 'default'],
  [RT_TABLE_MAIN, 'main'],
  [RT_TABLE_LOCAL, 'local'],
]);

/** An unknown routing table name: the config's validation refuses it, so this is a bug, never silently main. */
export class UnknownRouteTableError extends Error {
  constructor(table: string) {
    super(`unknown routing table "${table}": expected a number or ${RoutingTable.names().join(', ')}`);
    this.name = 'UnknownRouteTableError';
  }
}

/** A table name or number as the kernel number; main when absent. An unknown name throws. */
export function routeTableNumber(table: string | undefined): number {
  if (table === undefined || table === '') return RT_TABLE_MAIN;
  const n = RoutingTable.number(table);
  if (n === undefined || n > 0xffffffff) throw new UnknownRouteTableError(table);
  return n;
}

export const LinkType = bimap([
  [ARPHRD_ETHER, 'ether'],
  [ARPHRD_LOOPBACK, 'loopback'],
  [ARPHRD_NONE, 'nohdr'],
  [768, 'tunnel'],
  [769, 'tunnel6'],
  [776, 'sit'],
  [778, 'ipgre'],
  [32, 'infiniband'],
  [24, 'ieee1394'],
  [65535, 'void'],
]);

export function addressFlagsText(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of ADDRESS_FLAG_NAMES) if (flags & bit) names.push(name);
  return names.join(',');
}

export function parseAddressFlags(text: string): number | undefined {
  if (text === '') return 0;
  let flags = 0;
  for (const part of text.split(',')) {
    const entry = ADDRESS_FLAG_NAMES.find(([, name]) => name === part.trim());
    if (!entry) return undefined;
    flags |= entry[0];
  }
  return flags;
}

const LINK_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x1, 'UP'],
  [0x2, 'BROADCAST'],
  [0x4, 'DEBUG'],
  [0x8, 'LOOPBACK'],
  [0x10, 'POINTOPOINT'],
  [0x20, 'NOTRAILERS'],
  [0x40, 'RUNNING'],
  [0x80, 'NOARP'],
  [0x100, 'PROMISC'],
  [0x200, 'ALLMULTI'],
  [0x400, 'MASTER'],
  [0x800, 'SLAVE'],
  [0x1000, 'MULTICAST'],
  [0x2000, 'PORTSEL'],
  [0x4000, 'AUTOMEDIA'],
  [0x8000, 'DYNAMIC'],
  [0x10000, 'LOWER_UP'],
  [0x20000, 'DORMANT'],
  [0x40000, 'ECHO'],
];

/** The flag bits of linkFlagsText's output. */
export function linkFlagsNumber(text: string): number {
  let flags = 0;
  for (const name of text.split(',')) flags |= LINK_FLAG_NAMES.find(([, n]) => n === name)?.[0] ?? 0;
  return flags;
}

export function linkFlagsText(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of LINK_FLAG_NAMES) if (flags & bit) names.push(name);
  return names.join(',');
}

/** PORT_* of include/uapi/linux/ethtool.h (PORT_MII 0x02, PORT_FIBRE 0x03, PORT_BNC 0x04), by Talos' names (nethelpers.Port). */
const PORTS: ReadonlyMap<number, string> = new Map([
  [0x00, 'TwistedPair'],
  [0x01, 'AUI'],
  [0x02, 'MII'],
  [0x03, 'Fibre'],
  [0x04, 'BNC'],
  [0x05, 'DirectAttach'],
  [0xef, 'None'],
  [0xff, 'Other'],
]);

/** An ethtool port as Talos names it (an unknown number as Port(N)). */
export function portName(port: number): string {
  return PORTS.get(port) ?? `Port(${port})`;
}

/** The PORT_* number of a port name portName() gave; PORT_OTHER for none. */
export function portNumber(name: string | undefined): number {
  if (name === undefined) return 0xff;
  for (const [n, text] of PORTS) if (text === name) return n;
  const m = /^Port\((\d+)\)$/.exec(name);
  return m ? Number(m[1]) : 0xff;
}

/** An ethtool duplex as Talos names it: Half, Full, else Unknown (DUPLEX_UNKNOWN is 0xff). */
export function duplexName(duplex: number | undefined): string {
  return duplex === 0 ? 'Half' : duplex === 1 ? 'Full' : 'Unknown';
}

/** The DUPLEX_* number of a duplex name (DUPLEX_UNKNOWN for none). */
export function duplexNumber(name: string | undefined): number {
  return name === 'Half' ? 0 : name === 'Full' ? 1 : 0xff;
}
