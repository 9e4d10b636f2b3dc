// A DHCPv6 lease as operator-layer specs (Talos §6.3): the IA_NA address as a
// /128 (scope global, flag permanent, no priority), resolvers from options 23
// and 24, the hostname from option 39, time servers from option 56. DHCPv6
// installs no routes: IPv6 default routes come from router advertisements.
import type { AddressSpec, HostnameSpec, ResolverSpec } from '../../resources/network/types.js';
import type { Dhcp6Lease } from './lease.js';

export interface LeaseSpecs {
  addresses: AddressSpec[];
  resolvers: ResolverSpec[];
  hostname?: HostnameSpec;
  /** Option 56 server addresses and FQDNs (plain strings, as the dhcp4 operator returns them). */
  timeServers: string[];
}

export interface LeaseSpecOptions {
  linkName: string;
  skipHostnameRequest: boolean;
}

/** The specs of a lease; none for no lease. */
export function leaseSpecs(lease: Dhcp6Lease | undefined, opts: LeaseSpecOptions): LeaseSpecs {
  if (!lease) return { addresses: [], resolvers: [], timeServers: [] };
  const address: AddressSpec = {
    address: `${lease.address}/128`,
    linkName: opts.linkName,
    family: 'inet6',
    scope: 'global',
    flags: 'permanent',
    announceWithARP: false,
    // Unlike DHCPv4, Talos gives the DHCPv6 address no priority (route metric).
    priority: 0,
    layer: 'operator',
  };
  const resolvers: ResolverSpec[] =
    lease.dns.length > 0 || lease.domains.length > 0
      ? [{ dnsServers: [...lease.dns], searchDomains: [...lease.domains], searchDomainsOverridden: false, layer: 'operator' }]
      : [];
  const out: LeaseSpecs = { addresses: [address], resolvers, timeServers: [...lease.ntp] };
  const fqdn = lease.fqdn?.replace(/\.$/, '') ?? '';
  if (fqdn !== '' && !opts.skipHostnameRequest) {
    const [hostname = '', ...domain] = fqdn.split('.');
    out.hostname = { hostname, domainname: domain.join('.'), layer: 'operator' };
  }
  return out;
}
