// The ingress firewall's table as netcfg describes it (the kernel side is in
// test/integration/firewall.test.ts): when there is one, what each rule's sets
// hold, and which verdict each mode gives.
import { describe, expect, it } from 'vitest';
import { firewallRuleset, type FirewallRule } from '../../src/nftables/firewall.js';
import { tableCommands } from '../../src/nftables/render.js';
import type { NftRule, NftTableSpec } from '../../src/nftables/types.js';

const web: FirewallRule = { name: 'web', protocol: 'tcp', ports: [[53, 53], [8000, 9000]], ingress: [{ subnet: '10.0.0.0/24', except: '10.0.0.0/25' }, { subnet: '10.0.1.0/24' }, { subnet: '2001:db8::/64' }] };

const chain = (t: NftTableSpec, name: string): readonly NftRule[] => t.chains.find((c) => c.name === name)!.rules;
const verdicts = (rules: readonly NftRule[]) => rules.map((r) => r[r.length - 1]);

describe('firewallRuleset', () => {
  it('makes no table while everything is accepted and there is no rule', () => {
    expect(firewallRuleset({ defaultAction: 'accept', rules: [] })).toBeUndefined();
    expect(firewallRuleset({ defaultAction: 'block', rules: [] })).toBeDefined();
  });

  it('takes each except from its own subnet only, one set per family, and the ports as ranges', () => {
    const t = firewallRuleset({ defaultAction: 'block', rules: [web] })!;
    expect(t.sets).toEqual([
      { name: 'rule0_ports', type: 'inet_service', elements: ['53', '8000-9000'] },
      { name: 'rule0_v4', type: 'ipv4_addr', elements: ['10.0.0.128/25', '10.0.1.0/24'] },
      { name: 'rule0_v6', type: 'ipv6_addr', elements: ['2001:db8::/64'] },
    ]);
    // nft's JSON: a single port is a number, a range a pair
    const elems = tableCommands(t).flatMap((c) => (c.add?.set ? [(c.add.set as { elem?: unknown }).elem] : []));
    expect(elems[0]).toEqual([53, { range: [8000, 9000] }]);
  });

  it('block: drops by default and accepts the rule’s sources; accept: drops the others', () => {
    const block = firewallRuleset({ defaultAction: 'block', rules: [web] })!;
    expect(block.chains.map((c) => [c.name, c.base?.hook, c.base?.priority, c.base?.policy])).toEqual([
      ['ingress', 'input', -140, 'drop'],
      ['prerouting', 'prerouting', -110, 'accept'],
    ]);
    const ingress = chain(block, 'ingress');
    expect(ingress.slice(-2)).toEqual([
      [{ match: 'saddr', protocol: 'ip', set: 'rule0_v4' }, { match: 'port', protocol: 'tcp', field: 'dport', set: 'rule0_ports' }, { verdict: 'accept' }],
      [{ match: 'saddr', protocol: 'ip6', set: 'rule0_v6' }, { match: 'port', protocol: 'tcp', field: 'dport', set: 'rule0_ports' }, { verdict: 'accept' }],
    ]);
    // new TCP/UDP connections to the host's addresses that no rule let in are dropped before any DNAT
    expect(chain(block, 'prerouting').at(-1)).toEqual([{ match: 'local daddr' }, { match: 'ct state', states: ['new'] }, { match: 'l4proto', protocols: ['tcp', 'udp'] }, { verdict: 'drop' }]);

    const accept = firewallRuleset({ defaultAction: 'accept', rules: [web] })!;
    expect(accept.chains[0]!.base!.policy).toBe('accept');
    expect(chain(accept, 'ingress').slice(-2).map((r) => [r[0], r[2]])).toEqual([
      [{ match: 'saddr', protocol: 'ip', set: 'rule0_v4', negate: true }, { verdict: 'drop' }],
      [{ match: 'saddr', protocol: 'ip6', set: 'rule0_v6', negate: true }, { verdict: 'drop' }],
    ]);
    // as in Talos, nothing but the trusted links and the rules in accept mode (no conntrack or ICMP rules)
    expect(verdicts(chain(accept, 'ingress'))).toEqual([{ verdict: 'accept' }, { verdict: 'drop' }, { verdict: 'drop' }]);
  });

  it('lets the Kubernetes pod and service subnets talk to each other in block mode only', () => {
    const kubernetes = ['10.244.0.0/16', '10.96.0.0/12', 'fd00:10:244::/56'];
    const block = firewallRuleset({ defaultAction: 'block', rules: [], kubernetes })!;
    expect(block.sets).toEqual([
      { name: 'kubernetes_v4', type: 'ipv4_addr', elements: ['10.96.0.0/12', '10.244.0.0/16'] },
      { name: 'kubernetes_v6', type: 'ipv6_addr', elements: ['fd00:10:244::/56'] },
    ]);
    expect(chain(block, 'ingress').filter((r) => r.some((s) => 'match' in s && s.match === 'daddr'))).toEqual([
      [{ match: 'saddr', protocol: 'ip', set: 'kubernetes_v4' }, { match: 'daddr', protocol: 'ip', set: 'kubernetes_v4' }, { verdict: 'accept' }],
      [{ match: 'saddr', protocol: 'ip6', set: 'kubernetes_v6' }, { match: 'daddr', protocol: 'ip6', set: 'kubernetes_v6' }, { verdict: 'accept' }],
    ]);
    expect(firewallRuleset({ defaultAction: 'accept', rules: [web], kubernetes })!.sets.map((s) => s.name)).toEqual(['rule0_ports', 'rule0_v4', 'rule0_v6']);
  });

  it('lets pods reach host DNS on its service addresses (forwardKubeDNSToHost) in block mode, in ingress and before prerouting’s drop', () => {
    const kubernetes = ['10.244.0.0/16', '10.96.0.0/12'];
    const hostDNS = ['169.254.116.108/32', 'fd54:616c:6f73:0:204f:5320:444e:531/128'];
    const block = firewallRuleset({ defaultAction: 'block', rules: [], kubernetes, hostDNS })!;
    // IPv6's service address has no IPv6 Kubernetes source to match: no set, no rule
    expect(block.sets.map((s) => [s.name, s.elements])).toEqual([
      ['kubernetes_v4', ['10.96.0.0/12', '10.244.0.0/16']],
      ['host_dns_v4', ['169.254.116.108/32']],
    ]);
    const dns = (transport: 'udp' | 'tcp'): NftRule => [
      { match: 'saddr', protocol: 'ip', set: 'kubernetes_v4' },
      { match: 'daddr', protocol: 'ip', set: 'host_dns_v4' },
      { match: 'port', protocol: transport, field: 'dport', port: 53 },
      { verdict: 'accept' },
    ];
    const ingress = chain(block, 'ingress');
    expect(ingress.slice(-3)).toEqual([dns('udp'), dns('tcp'), [{ match: 'saddr', protocol: 'ip', set: 'kubernetes_v4' }, { match: 'daddr', protocol: 'ip', set: 'kubernetes_v4' }, { verdict: 'accept' }]]);
    const prerouting = chain(block, 'prerouting');
    expect(prerouting.slice(1, 3)).toEqual([dns('udp'), dns('tcp')]);
    expect(prerouting.at(-1)!.at(-1)).toEqual({ verdict: 'drop' });
    // accept mode: nothing to open
    expect(firewallRuleset({ defaultAction: 'accept', rules: [web], kubernetes, hostDNS })!.sets.map((s) => s.name)).toEqual(['rule0_ports', 'rule0_v4', 'rule0_v6']);
  });

  it('keeps IPv6 neighbour discovery and DHCPv6 replies out of the ICMP rate limit in block mode', () => {
    const ingress = chain(firewallRuleset({ defaultAction: 'block', rules: [] })!, 'ingress');
    const nd = ingress.findIndex((r) => r.some((s) => 'match' in s && s.match === 'icmp type' && s.protocol === 'icmpv6'));
    const limited = ingress.findIndex((r) => r.some((s) => 'limit' in s));
    expect(nd).toBeGreaterThan(-1);
    expect(nd).toBeLessThan(limited);
    expect(ingress).toContainEqual([{ match: 'port', protocol: 'udp', field: 'sport', port: 547 }, { match: 'port', protocol: 'udp', field: 'dport', port: 546 }, { verdict: 'accept' }]);
  });

  it('matches ICMP rules by protocol in their own family, and a rule without sources in neither', () => {
    const t = firewallRuleset({ defaultAction: 'block', rules: [{ name: 'ping', protocol: 'icmp', ports: [[0, 0]], ingress: [] }] })!;
    expect(t.sets).toEqual([{ name: 'rule0_v4', type: 'ipv4_addr', elements: [] }]);
    expect(chain(t, 'ingress').at(-1)).toEqual([{ match: 'saddr', protocol: 'ip', set: 'rule0_v4' }, { match: 'l4proto', protocols: ['icmp'] }, { verdict: 'accept' }]);
  });
});
