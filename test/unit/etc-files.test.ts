// resolv.conf and /etc/hosts text (golden files), and the resolver merge.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lineDiff, renderHosts, renderResolvConf } from '../../src/controllers/files/render.js';
import { nodeAddress } from '../../src/controllers/files/etc-files.js';
import { resolverRule } from '../../src/controllers/merge/rules.js';
import type { AddressSpec, ResolverSpec } from '../../src/resources/network/types.js';

const golden = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/golden', name), 'utf8');

describe('resolv.conf', () => {
  it('lists the servers', () => {
    expect(renderResolvConf({ dnsServers: ['1.1.1.1', '8.8.8.8'], searchDomains: [] })).toBe(golden('resolv.conf.defaults'));
  });

  it('keeps at most three servers (MAXNS) and adds the search line after a blank line', () => {
    expect(renderResolvConf({ dnsServers: ['10.0.0.53', '2001:db8::53', '1.1.1.1', '8.8.8.8'], searchDomains: ['example.org', 'corp.example.org'] })).toBe(
      golden('resolv.conf.four-servers-search'),
    );
  });
});

describe('/etc/hosts', () => {
  it('has localhost, the node with FQDN and short name, the IPv6 names, and extra entries grouped and sorted', () => {
    const extra = [
      { ip: '192.0.2.5', aliases: ['db'] },
      { ip: '10.0.0.7', aliases: ['registry', 'registry.local'] },
      { ip: '192.0.2.5', aliases: ['db.example.org'] },
      { ip: '2001:db8::7', aliases: ['v6host'] },
    ];
    expect(renderHosts({ hostname: 'cp1', domainname: 'example.org' }, '192.0.2.10', extra)).toBe(golden('hosts.fqdn-extra'));
  });

  it('writes a short name once, and aligns to the longest address', () => {
    expect(renderHosts({ hostname: 'node7', domainname: '' }, '2001:db8::10', [])).toBe(golden('hosts.short-name'));
  });

  it('leaves out the node line without an address', () => {
    expect(renderHosts({ hostname: 'node7', domainname: 'lan' }, undefined, [{ ip: '192.0.2.9', aliases: ['nine'] }])).toBe(golden('hosts.no-address'));
  });

  it('picks the node address: global, not loopback or link-local, first by link then address', () => {
    const a = (linkName: string, address: string, scope = 'global'): AddressSpec => ({ address, linkName, family: address.includes(':') ? 'inet6' : 'inet4', scope, flags: 'permanent', announceWithARP: false, priority: 0, layer: 'configuration' });
    expect(nodeAddress([a('lo', '127.0.0.1/8', 'host'), a('eth1', '10.0.0.2/24'), a('eth0', 'fe80::1/64'), a('eth0', '192.0.2.10/24'), a('eth0', '192.0.2.9/24')])).toBe('192.0.2.10');
    expect(nodeAddress([a('lo', '127.0.0.1/8')])).toBeUndefined();
  });

  it('describes file changes line by line', () => {
    expect(lineDiff('nameserver 1.1.1.1\nnameserver 8.8.8.8\n', 'nameserver 10.0.0.53\nnameserver 1.1.1.1\n')).toBe('-nameserver 8.8.8.8, +nameserver 10.0.0.53');
    expect(lineDiff(null, 'a\n')).toBe('+a');
  });
});

describe('resolver merge (Talos §2.4)', () => {
  const spec = (layer: ResolverSpec['layer'], dnsServers: string[], searchDomains: string[] = [], searchDomainsOverridden = false): ResolverSpec => ({ dnsServers, searchDomains, searchDomainsOverridden, layer });
  const fold = (...specs: ResolverSpec[]) => specs.reduce((acc, s) => resolverRule.merge(acc, s));

  it('the configuration layer replaces servers only when it has some', () => {
    expect(fold(spec('default', ['1.1.1.1', '8.8.8.8']), spec('configuration', [])).dnsServers).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(fold(spec('default', ['1.1.1.1', '8.8.8.8']), spec('configuration', ['10.0.0.53'])).dnsServers).toEqual(['10.0.0.53']);
  });

  it('an explicit (even empty) searchDomains list replaces; otherwise domains are unioned', () => {
    expect(fold(spec('operator', ['10.0.0.1'], ['dhcp.lan']), spec('configuration', [], [], true)).searchDomains).toEqual([]);
    expect(fold(spec('operator', ['10.0.0.1'], ['dhcp.lan']), spec('configuration', [], ['example.org'], false)).searchDomains).toEqual(['dhcp.lan', 'example.org']);
  });

  it('other layers keep the lower layer servers of a family they do not provide', () => {
    const merged = fold(spec('default', ['1.1.1.1', '2606:4700:4700::1111']), spec('operator', ['192.0.2.53'], ['lan']));
    expect(merged.dnsServers).toEqual(['192.0.2.53', '2606:4700:4700::1111']);
    expect(fold(spec('default', ['1.1.1.1']), spec('operator', ['2001:db8::53'])).dnsServers).toEqual(['2001:db8::53', '1.1.1.1']);
  });

  it('the same layer appends (two DHCP clients)', () => {
    expect(fold(spec('operator', ['10.0.0.1'], ['a']), spec('operator', ['10.0.1.1'], ['b']))).toEqual(spec('operator', ['10.0.0.1', '10.0.1.1'], ['a', 'b']));
  });
});
