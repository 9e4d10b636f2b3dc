// The ingress firewall (talos-multidoc.md §3.19) in a table netcfg owns whole,
// `inet netcfg_firewall` (Talos puts these chains in its own `inet talos`):
//
//  ingress (filter, input, priority mangle+10, policy accept — drop in block mode):
//    iifname { lo, siderolink, kubespan } → accept
//    block mode: ct state { established, related } → accept; ct state invalid
//      → drop; ICMP timestamp and address-mask → drop; IPv6 neighbour
//      discovery (NS, NA, RA) and DHCPv6 replies (udp 547 → 546) → accept;
//      ICMP and ICMPv6 → accept at 5 packets/s; with forwardKubeDNSToHost,
//      DNS (udp and tcp 53) from the Kubernetes pod and service subnets to host
//      DNS' service addresses → accept; from those subnets to them → accept
//      (when the config has a cluster: KubeNetworkConfig or v1alpha1 cluster)
//    each rule, in config order: block mode ⇒ its sources to its ports → accept;
//      accept mode ⇒ any other source to its ports → drop
//  prerouting (filter, prerouting, priority dstnat-10, policy accept): the same
//    per-rule matches for new connections to this host's own addresses (before a
//    DNAT, e.g. a Kubernetes NodePort, takes them past the input hook); in block
//    mode host DNS from the Kubernetes subnets (as in ingress) → accept, and the
//    other new TCP and UDP connections to them → drop.
//
// A rule's sources are its subnets less their `except` ranges (one set per
// family); a rule without sources matches none, so its ports are closed to
// everyone in both modes. TCP and UDP rules match their ports; ICMP and ICMPv6
// rules match the protocol (ports do not apply to them).
//
// Beyond Talos: neighbour discovery and DHCPv6 replies are never rate-limited or
// blocked (RFC 4890 §4.4.1): at 5 ICMPv6 packets/s, a busy segment would lose
// IPv6 neighbours, and a DHCPv6 reply is a new flow to the firewall (the
// SOLICIT went to a multicast group). DHCPv4 goes through a packet socket,
// which sees packets before the firewall does.
import { IPSet } from '../net/ipset.js';
import type { L4Protocol, NftChain, NftRule, NftSet, NftStatement, NftTableSpec } from './types.js';

export const FIREWALL_TABLE = 'netcfg_firewall';
/** Links whose traffic is always accepted (loopback, and the tunnels Talos trusts). */
export const FIREWALL_TRUSTED_LINKS = ['lo', 'siderolink', 'kubespan'] as const;
/** nftables priorities: mangle is -150, dstnat -100. */
const INGRESS_PRIORITY = -150 + 10;
const PREROUTING_PRIORITY = -100 - 10;

export type FirewallProtocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6';

export interface FirewallRule {
  name: string;
  protocol: FirewallProtocol;
  /** Inclusive port ranges ([53, 53] is port 53). */
  ports: ReadonlyArray<readonly [number, number]>;
  ingress: ReadonlyArray<{ subnet: string; except?: string | undefined }>;
}

export interface FirewallInput {
  defaultAction: 'accept' | 'block';
  rules: readonly FirewallRule[];
  /** Kubernetes' pod and service subnets: traffic between them passes in block mode (native-routing CNIs). */
  kubernetes?: readonly string[];
  /** Host DNS' service addresses (hostDNS.forwardKubeDNSToHost): DNS to them from the Kubernetes subnets passes in block mode. */
  hostDNS?: readonly string[];
}

/** Per address family: nft's payload protocol, set type, netcfg's family, set name suffix. */
const FAMILIES = [
  ['ip', 'ipv4_addr', 'inet4', 'v4'],
  ['ip6', 'ipv6_addr', 'inet6', 'v6'],
] as const;

const accept: NftStatement = { verdict: 'accept' };
const drop: NftStatement = { verdict: 'drop' };

function sources(rule: FirewallRule): IPSet {
  const set = new IPSet();
  for (const i of rule.ingress) {
    const one = new IPSet().add(i.subnet);
    if (i.except) one.remove(i.except);
    set.addSet(one);
  }
  return set;
}

function portText([lo, hi]: readonly [number, number]): string {
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

/** What one rule matches, per address family it applies to (before the verdict). */
function ruleMatches(rule: FirewallRule, index: number, sets: NftSet[], block: boolean): NftStatement[][] {
  const allowed = sources(rule);
  const out: NftStatement[][] = [];
  const ports = `rule${index}_ports`;
  const transport = rule.protocol === 'tcp' || rule.protocol === 'udp' ? rule.protocol : undefined;
  if (transport) sets.push({ name: ports, type: 'inet_service', elements: rule.ports.map(portText) });
  for (const [protocol, type, family, suffix] of FAMILIES) {
    // ICMP is IPv4's, ICMPv6 IPv6's
    if ((rule.protocol === 'icmp' && protocol === 'ip6') || (rule.protocol === 'icmpv6' && protocol === 'ip')) continue;
    const name = `rule${index}_${suffix}`;
    sets.push({ name, type, elements: allowed.prefixes(family) });
    const from: NftStatement = { match: 'saddr', protocol, set: name, ...(block ? {} : { negate: true }) };
    const what: NftStatement = transport ? { match: 'port', protocol: transport, field: 'dport', set: ports } : { match: 'l4proto', protocols: [rule.protocol === 'icmp' ? 'icmp' : 'ipv6-icmp'] };
    out.push([from, what]);
  }
  return out;
}

/** The firewall's table, or undefined when there is nothing to enforce (accept by default, no rule). */
export function firewallRuleset(input: FirewallInput): NftTableSpec | undefined {
  const block = input.defaultAction === 'block';
  if (!block && input.rules.length === 0) return undefined;
  const trusted: NftRule = [{ match: 'iifname', names: FIREWALL_TRUSTED_LINKS }, accept];
  const sets: NftSet[] = [];
  const ingress: NftRule[] = [trusted];
  const prerouting: NftRule[] = [trusted];
  if (block) {
    const limited = (p: L4Protocol): NftRule => [{ match: 'l4proto', protocols: [p] }, { limit: { perSecond: 5 } }, accept];
    ingress.push(
      [{ match: 'ct state', states: ['established', 'related'] }, accept],
      [{ match: 'ct state', states: ['invalid'] }, drop],
      [{ match: 'icmp type', protocol: 'icmp', types: ['timestamp-request', 'timestamp-reply', 'address-mask-request', 'address-mask-reply'] }, drop],
      [{ match: 'icmp type', protocol: 'icmpv6', types: ['nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert'] }, accept],
      [{ match: 'port', protocol: 'udp', field: 'sport', port: 547 }, { match: 'port', protocol: 'udp', field: 'dport', port: 546 }, accept],
      limited('icmp'),
      limited('ipv6-icmp'),
    );
    const kubernetes = IPSet.of(input.kubernetes ?? []);
    const hostDNS = IPSet.of(input.hostDNS ?? []);
    for (const [protocol, type, family, suffix] of FAMILIES) {
      const name = `kubernetes_${suffix}`;
      const elements = kubernetes.prefixes(family);
      if (elements.length === 0) continue;
      sets.push({ name, type, elements });
      const dns = hostDNS.prefixes(family);
      if (dns.length > 0) {
        const dnsSet = `host_dns_${suffix}`;
        sets.push({ name: dnsSet, type, elements: dns });
        // in prerouting too: the service addresses are local, and block mode drops new connections to those there
        for (const transport of ['udp', 'tcp'] as const) {
          const dnsRule: NftRule = [{ match: 'saddr', protocol, set: name }, { match: 'daddr', protocol, set: dnsSet }, { match: 'port', protocol: transport, field: 'dport', port: 53 }, accept];
          ingress.push(dnsRule);
          prerouting.push(dnsRule);
        }
      }
      ingress.push([{ match: 'saddr', protocol, set: name }, { match: 'daddr', protocol, set: name }, accept]);
    }
  }
  const verdict = block ? accept : drop;
  const fresh: NftStatement[] = [{ match: 'local daddr' }, { match: 'ct state', states: ['new'] }];
  input.rules.forEach((rule, i) => {
    for (const m of ruleMatches(rule, i, sets, block)) {
      ingress.push([...m, verdict]);
      prerouting.push([...fresh, ...m, verdict]);
    }
  });
  if (block) prerouting.push([...fresh, { match: 'l4proto', protocols: ['tcp', 'udp'] }, drop]);
  const chains: NftChain[] = [
    { name: 'ingress', base: { type: 'filter', hook: 'input', priority: INGRESS_PRIORITY, policy: block ? 'drop' : 'accept' }, rules: ingress },
    { name: 'prerouting', base: { type: 'filter', hook: 'prerouting', priority: PREROUTING_PRIORITY, policy: 'accept' }, rules: prerouting },
  ];
  return { family: 'inet', name: FIREWALL_TABLE, sets, chains };
}
