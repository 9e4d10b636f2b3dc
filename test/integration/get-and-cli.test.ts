// netcfg get (talosctl columns), usage errors and help, on a real kernel.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyJson, netcfg } from '../helpers/cli.js';
import { createTestNet } from '../helpers/netns.js';
import { KNOWN_KINDS } from '../../src/config/documents/kinds.js';

describe('netcfg get', () => {
  it('prints links, addresses and routes with talosctl columns', async () => {
    const net = createTestNet();
    await applyJson(net, net.file('c.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n        routes:\n          - {network: 10.5.0.0/16, gateway: 192.0.2.1, metric: 20}\n'));
    net.ip('link', 'set', 'eth0', 'alias', 'uplink');

    const links = await netcfg(['get', 'links', '--netns', net.ns]);
    expect(links.exitCode).toBe(0);
    const [header, ...rows] = links.stdout.split('\n');
    expect(header!.split(/\s{3,}/)).toEqual(['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'ALIAS', 'TYPE', 'KIND', 'HW ADDR', 'OPER STATE', 'LINK STATE']);
    const eth0 = rows.find((r) => r.includes(' eth0 '))!;
    expect(eth0.split(/\s{3,}/).slice(0, 8)).toEqual([net.ns, 'network', 'LinkStatus', 'eth0', '1', 'uplink', 'ether', 'veth']);

    const addresses = await netcfg(['get', 'addresses', '--netns', net.ns]);
    expect(addresses.stdout.split('\n')[0]!.split(/\s{3,}/)).toEqual(['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'ADDRESS', 'LINK']);
    expect(addresses.stdout).toMatch(/AddressStatus\s+eth0\/192\.0\.2\.10\/24\s+1\s+192\.0\.2\.10\/24\s+eth0/);

    const routes = await netcfg(['get', 'routes', '--netns', net.ns]);
    expect(routes.stdout.split('\n')[0]!.split(/\s{3,}/)).toEqual(['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'DESTINATION', 'GATEWAY', 'LINK', 'METRIC']);
    expect(routes.stdout).toMatch(/RouteStatus\s+inet4\/192\.0\.2\.1\/10\.5\.0\.0\/16\/20\s+1\s+10\.5\.0\.0\/16\s+192\.0\.2\.1\s+eth0\s+20/);

    const yaml = await netcfg(['get', 'routes', '-o', 'yaml', '--netns', net.ns]);
    expect(yaml.stdout).toContain('id: inet4/192.0.2.1/10.5.0.0/16/20');
    expect(yaml.stdout).toContain('protocol: static');
    const json = await netcfg(['get', 'address', '-o', 'json', '--netns', net.ns]);
    const first = JSON.parse(json.stdout.split('\n}\n')[0] + '\n}') as { spec: { address: string; family: string; scope: string } };
    expect(first.spec).toMatchObject({ family: 'inet4', scope: 'global' });
  });
});

describe('netcfg command line', () => {
  it('prints help with examples and exits 0', async () => {
    const r = await netcfg(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('netcfg apply FILE [--netns NAME] [--dry-run] [--try [--timeout 120s]] [--state-dir DIR]');
    expect(r.stdout).toContain('Examples:');
    const a = await netcfg(['help', 'apply']);
    expect(a.stdout).toContain('Applying the');
  });

  it('exits 2 on usage errors', async () => {
    for (const args of [['frobnicate'], ['apply'], ['get', 'tables'], ['get', 'links', '-o', 'xml'], ['apply', '--bogus', 'x.yaml'], []]) {
      const r = await netcfg(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
    }
  });

  it('exits 2 for a namespace that does not exist, before touching anything', async () => {
    const net = createTestNet();
    const file = net.file('c.yaml', 'machine: {network: {interfaces: [{interface: eth0}]}}');
    const r = await netcfg(['apply', '--netns', `${net.ns}-missing`, '--state-dir', net.stateDir, file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('does not exist');
  });

  it('prints a JSON Schema of the config for editors', async () => {
    const r = await netcfg(['schema']);
    expect(r.exitCode).toBe(0);
    type Doc = { title: string; properties: Record<string, { const?: string }> & { machine?: { properties: { network: { properties: Record<string, unknown> } } } } };
    const schema = JSON.parse(r.stdout) as { $schema: string; anyOf: Doc[] };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    // each document of the stream: the v1alpha1 machine config, or a document kind told apart by `kind`
    const [machine, ...documents] = schema.anyOf;
    expect(documents.map((d) => d.title)).toContain('LinkConfig');
    // every kind netcfg reads, KubeNetworkConfig among them
    expect(documents.map((d) => d.title).sort()).toEqual([...KNOWN_KINDS].sort());
    expect(documents.map((d) => d.title)).toContain('KubeNetworkConfig');
    for (const d of documents) expect(d.properties.kind?.const).toBe(d.title);
    expect(Object.keys(documents.find((d) => d.title === 'BondConfig')!.properties)).toContain('xmitHashPolicy');
    const network = machine!.properties.machine!.properties.network.properties;
    expect(Object.keys(network).sort()).toEqual(['disableSearchDomain', 'extraHostEntries', 'hostname', 'interfaces', 'kubespan', 'nameservers', 'searchDomains']);
    expect(JSON.stringify(network.interfaces)).toContain('"deviceSelector"');
    expect(JSON.stringify(network.interfaces)).toContain('"vlanId"');
  });

  it('applies the kernel command line layer (--cmdline) and honours talos.network.interface.ignore', async () => {
    const net = createTestNet({ interfaces: 2 });
    const cmdline = net.file('cmdline', 'console=ttyS0 ip=192.0.2.50::192.0.2.1:255.255.255.0:edge1:eth0:off:10.0.0.53 talos.network.interface.ignore=eth1\n');
    const config = net.file('c.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth1\n        addresses: [198.18.0.10/24]\n');
    const etc = `${net.dir}/etc`;
    const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', etc, '--cmdline', cmdline, '-o', 'json', config]);
    expect(r.exitCode, r.stderr).toBe(0);
    const addrs = (net.json('addr', 'show', 'eth0')[0]!.addr_info as Array<{ local: string }>).map((a) => a.local);
    expect(addrs).toContain('192.0.2.50');
    expect(net.json('-4', 'route', 'show', 'default')[0]).toMatchObject({ gateway: '192.0.2.1', dev: 'eth0', metric: 1024 });
    expect(net.ip('-4', 'route', 'show', 'default', 'proto', 'boot')).toContain('default via 192.0.2.1');
    // the DNS server of ip= goes to resolv.conf under --etc-dir (never the host's /etc in tests)
    expect(fs.readFileSync(`${etc}/resolv.conf`, 'utf8')).toBe('nameserver 10.0.0.53\n');
    // eth1 is ignored by the command line: the config's address is not applied to it
    expect(((net.json('addr', 'show', 'eth1')[0]!.addr_info ?? []) as Array<{ local: string }>).map((a) => a.local)).not.toContain('198.18.0.10');
    const specs = await netcfg(['get', 'resolverspecs', '--netns', net.ns, '--cmdline', cmdline, '-c', config]);
    expect(specs.stdout).toMatch(/network-config\s+ResolverSpec\s+cmdline\/resolvers\s+\d+\s+cmdline\s+\["10\.0\.0\.53"\]/);
    // the command line's route: a layered spec of its own (its layer's routes are held as one set), and the merged one
    const routeSpecs = await netcfg(['get', 'routespecs', '--netns', net.ns, '--cmdline', cmdline, '-c', config]);
    expect(routeSpecs.stdout).toMatch(/network-config\s+RouteSpec\s+cmdline\/inet4\/192\.0\.2\.1\/\/1024\s+\d+\s+cmdline$/m);
    expect(routeSpecs.stdout).toMatch(/\snetwork\s+RouteSpec\s+inet4\/192\.0\.2\.1\/\/1024\s+\d+\s+cmdline$/m);
  });

  it('validate reports a valid file', async () => {
    const net = createTestNet();
    const file = net.file('c.yaml', 'machine: {network: {interfaces: [{interface: eth0, addresses: [192.0.2.1/24]}]}}');
    const r = await netcfg(['validate', file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${file}: valid (1 interface)`);
  });
});
