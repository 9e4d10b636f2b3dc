// KubeSpan's nftables chains (discovery-and-kubespan.md §7.5 step 8) in a table
// netcfg owns whole (Talos puts them in its own `inet talos` table):
//
//  kubespan_prerouting (filter, prerouting, priority filter, accept):
//    mark & 0x60 == 0x20 → accept (WireGuard's own packets)
//    daddr ∈ routed set → mark = (mark & ~0x60) | 0x40, accept
//  kubespan_outgoing (route, output, priority filter, accept):
//    mark & 0x60 == 0x20 → accept
//    oifname "lo" → accept
//    daddr ∈ routed set, TCP SYN without RST → MSS mtu−52 (IPv4) / mtu−72 (IPv6)
//    daddr ∈ routed set → mark = (mark & ~0x60) | 0x40, accept
//
// The 0x40 mark sends the packet to table 180 (rule priority 32500), whose
// default routes go out the kubespan link.
import { IPSet } from '../net/ipset.js';
import type { NftRule, NftStatement, NftTableSpec } from './types.js';

export const KUBESPAN_TABLE = 'netcfg_kubespan';
/** WireGuard's own packets (the link's fwmark). */
export const KUBESPAN_WIREGUARD_MARK = 0x20;
/** Packets for the tunnel. */
export const KUBESPAN_FORCE_MARK = 0x40;
export const KUBESPAN_MARK_MASK = 0x60;
export const KUBESPAN_SET_IPV4 = 'kubespan_targets_ipv4';
export const KUBESPAN_SET_IPV6 = 'kubespan_targets_ipv6';

export interface KubespanRulesetInput {
  /** The kubespan link MTU (the MSS clamp is derived from it). */
  mtu: number;
  /** Destinations to send through the tunnel (the routed set): a set, or prefixes of any family, overlaps allowed. */
  routed: IPSet | Iterable<string>;
  tableName?: string;
}

export function kubespanRuleset(input: KubespanRulesetInput): NftTableSpec {
  const routed = input.routed instanceof IPSet ? input.routed : IPSet.of(input.routed);
  const wireguard: NftStatement = { match: 'mark', mask: KUBESPAN_MARK_MASK, value: KUBESPAN_WIREGUARD_MARK };
  const mark: NftStatement = { setMark: { clear: KUBESPAN_MARK_MASK, set: KUBESPAN_FORCE_MARK } };
  const accept: NftStatement = { verdict: 'accept' };
  const to4: NftStatement = { match: 'daddr', protocol: 'ip', set: KUBESPAN_SET_IPV4 };
  const to6: NftStatement = { match: 'daddr', protocol: 'ip6', set: KUBESPAN_SET_IPV6 };
  const syn: NftStatement = { match: 'tcp flags', mask: ['syn', 'rst'], value: ['syn'] };
  // 20/40 bytes of IP header, 20 of TCP, 12 of options
  const mss4 = input.mtu - 52;
  const mss6 = input.mtu - 72;
  const prerouting: NftRule[] = [[wireguard, accept], [to4, mark, accept], [to6, mark, accept]];
  const outgoing: NftRule[] = [
    [wireguard, accept],
    [{ match: 'oifname', name: 'lo' }, accept],
    [to4, syn, { setMss: mss4 }],
    [to6, syn, { setMss: mss6 }],
    [to4, mark, accept],
    [to6, mark, accept],
  ];
  return {
    family: 'inet',
    name: input.tableName ?? KUBESPAN_TABLE,
    sets: [
      { name: KUBESPAN_SET_IPV4, type: 'ipv4_addr', elements: routed.prefixes('inet4') },
      { name: KUBESPAN_SET_IPV6, type: 'ipv6_addr', elements: routed.prefixes('inet6') },
    ],
    chains: [
      { name: 'kubespan_prerouting', base: { type: 'filter', hook: 'prerouting', priority: 0, policy: 'accept' }, rules: prerouting },
      { name: 'kubespan_outgoing', base: { type: 'route', hook: 'output', priority: 0, policy: 'accept' }, rules: outgoing },
    ],
  };
}
