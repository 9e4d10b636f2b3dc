// Kernel enumerations spelled the way Talos resources print them, with
// conversions both ways. Unknown numeric values print as their number.
import {
  ADDRESS_FLAG_NAMES,
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  ARPHRD_NONE,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
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
  [0, 'global'],
  [200, 'site'],
  [253, 'link'],
  [254, 'host'],
  [255, 'nowhere'],
]);

export const RouteType = bimap([
  [0, 'unspec'],
  [1, 'unicast'],
  [2, 'local'],
  [3, 'broadcast'],
  [4, 'anycast'],
  [5, 'multicast'],
  [6, 'blackhole'],
  [7, 'unreachable'],
  [8, 'prohibit'],
  [9, 'throw'],
  [10, 'nat'],
  [11, 'xresolve'],
]);

export const RouteProtocol = bimap([
  [0, 'unspec'],
  [1, 'redirect'],
  [2, 'kernel'],
  [3, 'boot'],
  [4, 'static'],
  [8, 'gated'],
  [9, 'ra'],
  [10, 'mrt'],
  [11, 'zebra'],
  [12, 'bird'],
  [13, 'dnrouted'],
  [14, 'xorp'],
  [15, 'ntk'],
  [16, 'dhcp'],
  [17, 'mrouted'],
  [18, 'keepalived'],
  [42, 'babel'],
  [186, 'bgp'],
  [187, 'isis'],
  [188, 'ospf'],
  [189, 'rip'],
  [192, 'eigrp'],
]);

export const RoutingTable = bimap([
  [RT_TABLE_UNSPEC, 'unspec'],
  [RT_TABLE_DEFAULT, 'default'],
  [RT_TABLE_MAIN, 'main'],
  [RT_TABLE_LOCAL, 'local'],
]);

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

export function linkFlagsText(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of LINK_FLAG_NAMES) if (flags & bit) names.push(name);
  return names.join(',');
}
