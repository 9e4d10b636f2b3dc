// A typed description of one nftables table that netcfg owns whole: its named
// sets, its chains and their rules, in the small vocabulary netcfg needs.

export type NftFamily = 'inet' | 'ip' | 'ip6';
export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ecn' | 'cwr';

export interface NftSet {
  name: string;
  type: 'ipv4_addr' | 'ipv6_addr' | 'inet_service';
  /**
   * Prefixes or addresses (pass them through IPSet first: they must not
   * overlap); for inet_service, ports ("53") and inclusive ranges ("8000-9000")
   * that do not overlap either.
   */
  elements: readonly string[];
}

export type CtState = 'established' | 'related' | 'invalid' | 'new';
export type L4Protocol = 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp';

export interface NftBaseChain {
  type: 'filter' | 'route' | 'nat';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** 0 is "filter", -150 "mangle", -300 "raw". */
  priority: number;
  policy: 'accept' | 'drop';
}

/** One step of a rule, evaluated in order. */
export type NftStatement =
  /** meta mark & mask == value */
  | { match: 'mark'; mask: number; value: number }
  /** oifname "name" */
  | { match: 'oifname'; name: string }
  /** iifname { "a", "b" } */
  | { match: 'iifname'; names: readonly string[] }
  /** ip daddr @set / ip6 daddr @set */
  | { match: 'daddr'; protocol: 'ip' | 'ip6'; set: string }
  /** ip saddr @set / ip6 saddr @set, or (negate) the sources not in it */
  | { match: 'saddr'; protocol: 'ip' | 'ip6'; set: string; negate?: boolean }
  /** tcp dport @set, udp sport 547, ...: a named set of ports or one port */
  | { match: 'port'; protocol: 'tcp' | 'udp'; field: 'sport' | 'dport'; set: string }
  | { match: 'port'; protocol: 'tcp' | 'udp'; field: 'sport' | 'dport'; port: number }
  /** meta l4proto { tcp, udp } */
  | { match: 'l4proto'; protocols: readonly L4Protocol[] }
  /** ct state { established, related } */
  | { match: 'ct state'; states: readonly CtState[] }
  /** icmp type { timestamp-request, ... } / icmpv6 type { nd-neighbor-solicit, ... } */
  | { match: 'icmp type'; protocol: 'icmp' | 'icmpv6'; types: readonly string[] }
  /** fib daddr type local: addressed to one of this host's own addresses */
  | { match: 'local daddr' }
  /** limit rate N/second (burst 5 packets, nft's default) */
  | { limit: { perSecond: number } }
  /** tcp flags & (mask) == value, e.g. SYN without RST */
  | { match: 'tcp flags'; mask: readonly TcpFlag[]; value: readonly TcpFlag[] }
  /** meta mark set (mark & ~clear) | set */
  | { setMark: { clear: number; set: number } }
  /** tcp option maxseg size set N */
  | { setMss: number }
  | { verdict: 'accept' | 'drop' | 'return' };

export type NftRule = readonly NftStatement[];

export interface NftChain {
  name: string;
  /** A base chain hooks into the stack; without it the chain is a jump target. */
  base?: NftBaseChain;
  rules: readonly NftRule[];
}

export interface NftTableSpec {
  family: NftFamily;
  name: string;
  sets: readonly NftSet[];
  chains: readonly NftChain[];
}
