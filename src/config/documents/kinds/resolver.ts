// ResolverConfig: nameservers (plain, DoT, DoH), search domains, host DNS (talos-multidoc.md §3.13).
import { z } from 'zod';
import { defineKind, documentSchema, rawAt } from '../definition.js';
import { addr, bool, enumOf, list, text, type Problem } from '../fields.js';
import { ipFamily } from '../../../net/ip.js';

export const DNS_PROTOCOLS = ['Do53', 'DoT', 'DoH'] as const;

export const ResolverConfigSchema = documentSchema('ResolverConfig', 'DNS: nameservers, search domains and the host DNS cache.', () => ({
  nameservers: list(
    z.strictObject({
      address: addr('nameserver address').optional(),
      protocol: enumOf(DNS_PROTOCOLS, 'DNSProtocol').optional().describe('Do53 (default), DoT (853) or DoH (443); DoT and DoH need host DNS.'),
      tlsServerName: text('a TLS server name').optional().describe('Required for DoT and DoH; not allowed for Do53.'),
    }),
    'a list of nameservers',
  ).optional(),
  searchDomains: z
    .strictObject({
      domains: list(text('a domain'), 'a list of domains').optional().describe('Present (even empty): replaces the DHCP/platform search domains.'),
      disableDefault: bool().optional().describe('Do not add the hostname\'s domain as a search domain.'),
    })
    .optional(),
  hostDNS: z
    .strictObject({
      enabled: bool().optional(),
      forwardKubeDNSToHost: bool().optional(),
      resolveMemberNames: bool().optional(),
    })
    .optional()
    .describe('Host DNS cache at 127.0.0.53 (validated; not run by netcfg).'),
}));

export type ResolverConfigSpec = z.infer<typeof ResolverConfigSchema>;

export const resolverConfig = defineKind<ResolverConfigSpec>({
  kind: 'ResolverConfig',
  schema: ResolverConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    if (d.hostDNS !== undefined && d.hostDNS.enabled !== true) {
      if (d.hostDNS.forwardKubeDNSToHost === true) out.push({ path: ['hostDNS', 'forwardKubeDNSToHost'], message: 'hostDNS.forwardKubeDNSToHost cannot be enabled when hostDNS.enabled is false' });
      if (d.hostDNS.resolveMemberNames === true) out.push({ path: ['hostDNS', 'resolveMemberNames'], message: 'hostDNS.resolveMemberNames cannot be enabled when hostDNS.enabled is false' });
    }
    d.nameservers?.forEach((ns, i) => {
      const protocol = ns.protocol ?? 'Do53';
      const sni = ns.tlsServerName ?? '';
      if (protocol !== 'Do53' && sni === '') out.push({ path: ['nameservers', i], message: `tlsServerName must be set when protocol is ${protocol}: entry ${i}` });
      if (protocol === 'Do53' && sni !== '') out.push({ path: ['nameservers', i, 'tlsServerName'], message: `tlsServerName must be empty when protocol is Do53: entry ${i}` });
      if (ns.address === undefined || !ipFamily(ns.address)) out.push({ path: ns.address === undefined ? ['nameservers', i] : ['nameservers', i, 'address'], message: `nameserver address must be a valid IP: entry ${i}` });
    });
    const servers = d.nameservers ?? [];
    if (servers.length > 0 && servers.every((s) => (s.protocol ?? 'Do53') !== 'Do53')) {
      out.push({
        path: ['nameservers'],
        warning: true,
        message:
          'all configured nameservers use encrypted DNS (DoT or DoH): validating certificates requires a correct system clock, so boot may stall when NTP servers are configured by hostname; consider keeping at least one plain-DNS fallback or configuring NTP servers by IP address',
      });
    }
    return out;
  },
  v1alpha1Conflicts(d, machine) {
    const out: Problem[] = [];
    const network = rawAt(machine, 'machine', 'network') as Record<string, unknown> | undefined;
    if (network && 'searchDomains' in network) out.push({ path: [], message: '.machine.network.searchDomains is already set in v1alpha1 config' });
    const nameservers = network?.nameservers;
    if (Array.isArray(nameservers) && nameservers.some((s) => typeof s === 'string' && ipFamily(s))) out.push({ path: [], message: '.machine.network.nameservers is already set in v1alpha1 config' });
    if (network?.disableSearchDomain === true) out.push({ path: [], message: '.machine.network.disableSearchDomain is already set in v1alpha1 config' });
    const hostDNS = d.hostDNS;
    if (hostDNS && Object.values(hostDNS).some((v) => v !== undefined) && rawAt(machine, 'machine', 'features', 'hostDNS') !== undefined) {
      out.push({ path: ['hostDNS'], message: '.machine.features.hostDNS is already set in v1alpha1 config' });
    }
    return out;
  },
  use: { applied: true },
});
