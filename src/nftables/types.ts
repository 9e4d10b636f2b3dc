// A typed description of one nftables table that netcfg owns whole: its named
// sets, its chains and their rules, in the small vocabulary netcfg needs.

export type NftFamily = 'inet' | 'ip' | 'ip6';
export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ecn' | 'cwr';

export interface NftSet {
  name: string;
  type: 'ipv4_addr' | 'ipv6_addr';
  /** Prefixes or addresses; they must not overlap (pass them through IPSet first). */
  elements: readonly string[];
}

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
  /** ip daddr @set / ip6 daddr @set */
  | { match: 'daddr'; protocol: 'ip' | 'ip6'; set: string }
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
