// A DHCPv6 lease as operator-layer specs.
import { describe, expect, it } from 'vitest';
import type { Dhcp6Lease } from '../../src/operators/dhcp6/lease.js';
import { leaseSpecs } from '../../src/operators/dhcp6/lease-specs.js';

const lease: Dhcp6Lease = {
  address: '2001:db8::10',
  preferredLifetime: 3600,
  validLifetime: 7200,
  t1: 1800,
  t2: 2880,
  serverDuid: '00030001525400abcdef',
  dns: ['2001:db8::53', '2001:db8::54'],
  domains: ['example.com', 'lab.example.com'],
  ntp: ['2001:db8::123', 'ntp.example.com'],
  fqdn: 'node1.example.com',
  acquiredAt: 0,
};

describe('leaseSpecs', () => {
  it('gives a /128 address, resolvers, hostname and time servers at the operator layer, and no routes', () => {
    const specs = leaseSpecs(lease, { linkName: 'eth0', skipHostnameRequest: false });
    expect(specs).toEqual({
      addresses: [
        {
          address: '2001:db8::10/128',
          linkName: 'eth0',
          family: 'inet6',
          scope: 'global',
          flags: 'permanent',
          announceWithARP: false,
          priority: 0,
          layer: 'operator',
        },
      ],
      resolvers: [
        {
          dnsServers: ['2001:db8::53', '2001:db8::54'],
          searchDomains: ['example.com', 'lab.example.com'],
          searchDomainsOverridden: false,
          layer: 'operator',
        },
      ],
      hostname: { hostname: 'node1', domainname: 'example.com', layer: 'operator' },
      timeServers: ['2001:db8::123', 'ntp.example.com'],
    });
    expect(specs).not.toHaveProperty('routes');
  });

  it('no hostname with skipHostnameRequest, or without an FQDN', () => {
    expect(leaseSpecs(lease, { linkName: 'eth0', skipHostnameRequest: true }).hostname).toBeUndefined();
    const { fqdn: _fqdn, ...noFqdn } = lease;
    expect(leaseSpecs(noFqdn, { linkName: 'eth0', skipHostnameRequest: false }).hostname).toBeUndefined();
    expect(leaseSpecs({ ...lease, fqdn: '' }, { linkName: 'eth0', skipHostnameRequest: false }).hostname).toBeUndefined();
  });

  it('a bare host name gives an empty domain; a trailing dot is dropped', () => {
    expect(leaseSpecs({ ...lease, fqdn: 'node1' }, { linkName: 'eth0', skipHostnameRequest: false }).hostname).toEqual({
      hostname: 'node1',
      domainname: '',
      layer: 'operator',
    });
    expect(leaseSpecs({ ...lease, fqdn: 'node1.example.com.' }, { linkName: 'eth0', skipHostnameRequest: false }).hostname?.domainname).toBe('example.com');
  });

  it('resolvers only when there are servers or domains', () => {
    const bare = { ...lease, dns: [], domains: [], ntp: [] };
    expect(leaseSpecs(bare, { linkName: 'eth0', skipHostnameRequest: false }).resolvers).toEqual([]);
    expect(leaseSpecs({ ...bare, domains: ['example.com'] }, { linkName: 'eth0', skipHostnameRequest: false }).resolvers).toEqual([
      { dnsServers: [], searchDomains: ['example.com'], searchDomainsOverridden: false, layer: 'operator' },
    ]);
    expect(leaseSpecs(bare, { linkName: 'eth0', skipHostnameRequest: false }).timeServers).toEqual([]);
  });

  it('no lease, no specs', () => {
    expect(leaseSpecs(undefined, { linkName: 'eth0', skipHostnameRequest: false })).toEqual({ addresses: [], resolvers: [], timeServers: [] });
  });
});
