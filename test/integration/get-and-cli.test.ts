// netcfg get (talosctl columns), usage errors and help, on a real kernel.
import { describe, expect, it } from 'vitest';
import { applyJson, netcfg } from '../helpers/cli.js';
import { createTestNet } from '../helpers/netns.js';

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
    expect(r.stdout).toContain('netcfg apply FILE [--netns NAME] [--dry-run] [--state-dir DIR]');
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

  it('validate reports a valid file', async () => {
    const net = createTestNet();
    const file = net.file('c.yaml', 'machine: {network: {interfaces: [{interface: eth0, addresses: [192.0.2.1/24]}]}}');
    const r = await netcfg(['validate', file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${file}: valid (1 interface)`);
  });
});
