// DHCP operators against a real server: dnsmasq in the peer namespace, the
// netcfg daemon in the test namespace; what the kernel and resolv.conf hold is
// checked with ip -j, what went over the wire with tcpdump and dnsmasq's log.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { netcfg } from '../helpers/cli.js';
import { startDaemon, within } from '../helpers/daemon.js';
import { capture, startDnsmasq } from '../helpers/dnsmasq.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const globals = (net: TestNet, family: '-4' | '-6' = '-4'): Json[] =>
  ((net.json<Json[]>(family, 'addr', 'show', 'dev', 'eth0')[0]?.addr_info as Json[] | undefined) ?? []).filter((a) => a.scope === 'global');
const routes = (net: TestNet): string[] => net.json<Json[]>('route', 'show').map((r) => [r.dst, r.gateway && `via ${r.gateway}`, r.scope === 'link' && 'link', r.metric && `metric ${r.metric}`].filter(Boolean).join(' '));
const resolvConf = (net: TestNet) => fs.readFileSync(path.join(net.dir, 'etc', 'resolv.conf'), 'utf8');

const DHCP4_SERVER = [
  'dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m',
  // option 3 names a router that option 121 overrides (RFC 3442)
  'dhcp-option=option:router,192.0.2.254',
  'dhcp-option=option:classless-static-route,0.0.0.0/0,192.0.2.1,198.51.100.0/24,192.0.2.2,203.0.113.0/24,10.99.0.1',
  'dhcp-option=option:dns-server,192.0.2.53,192.0.2.54',
  'dhcp-option=option:domain-search,example.test,corp.test',
  'dhcp-option=option:ntp-server,192.0.2.123',
  'dhcp-option=option:mtu,1400',
];

const DHCP4_CONFIG = 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        dhcp: true\n';

describe('DHCPv4 with dnsmasq', () => {
  it('gets a lease: address, classless routes, MTU, resolvers, time servers; renews by unicast at half the lease; keeps it until expiry when the server is gone', async () => {
    const net = createTestNet();
    const server = startDnsmasq(net, DHCP4_SERVER);
    const wire = capture(net, 'udp port 67 or udp port 68');
    const d = await startDaemon(net, net.file('c.yaml', DHCP4_CONFIG));

    await within(15_000, () => globals(net).length > 0, 'a DHCPv4 address');
    const [addr] = globals(net);
    expect(addr!.local).toMatch(/^192\.0\.2\.(1[0-4]\d|150)$/);
    expect(addr!.prefixlen).toBe(24);
    const leasedRoutes = [
      'default via 192.0.2.1 metric 1024',
      '198.51.100.0/24 via 192.0.2.2 metric 1024',
      // off-subnet gateway: a /32 link route to it, then the route through it
      '10.99.0.1 link metric 1024',
      '203.0.113.0/24 via 10.99.0.1 metric 1024',
      '192.0.2.0/24 link metric 1024', // the prefix route carries the address's priority
    ];
    await within(3000, () => leasedRoutes.every((r) => routes(net).includes(r)), 'routes');
    expect(routes(net)).toEqual(expect.arrayContaining(leasedRoutes));
    // each route went in at the first try: the link route was sent before the route through it
    expect(d.log().filter((l) => (l.level as number) >= 40 && /route/i.test(JSON.stringify(l)))).toEqual([]);
    expect(routes(net).join()).not.toContain('192.0.2.254');
    expect(net.json<Json[]>('link', 'show', 'eth0')[0]!.mtu).toBe(1400);
    await within(3000, () => fs.existsSync(path.join(net.dir, 'etc', 'resolv.conf')), 'resolv.conf');
    expect(resolvConf(net)).toBe('nameserver 192.0.2.53\nnameserver 192.0.2.54\n\nsearch example.test corp.test\n');
    const ts = await netcfg(['get', 'timeservers', '-o', 'json', ...d.args]);
    expect(parseJsonStream<Json>(ts.stdout)[0]?.spec).toEqual({ ntpServers: ['192.0.2.123'], layer: 'operator' });
    const leased = addr!.local as string;

    // DORA went out as broadcasts from 0.0.0.0
    expect(wire.lines().some((l) => l.includes('0.0.0.0.68 > 255.255.255.255.67'))).toBe(true);
    // renewal: a unicast REQUEST to the server from the leased address, at half the lease (60 s)
    const renewedIn = await within(80_000, () => wire.lines().some((l) => l.includes(`${leased}.68 > 192.0.2.1.67`)), 'unicast renewal');
    expect(renewedIn).toBeGreaterThan(45_000);
    await within(3000, () => (server.log().match(/DHCPACK\(peer0\)/g) ?? []).length >= 2, 'renewal acknowledged');
    const renewedAt = Date.now();

    // the server goes away: the address stays for the rest of the lease (120 s), then goes
    server.stop();
    await new Promise((r) => setTimeout(r, 90_000 - (Date.now() - renewedAt)));
    expect(globals(net).map((a) => a.local)).toEqual([leased]);
    await within(40_000, () => globals(net).length === 0, 'address removed at expiry');
    expect(Date.now() - renewedAt).toBeGreaterThan(110_000);
    await within(3000, () => !routes(net).some((r) => r.startsWith('default')), 'routes removed');
    // rebinding (broadcast, from the leased address) was tried before expiry
    expect(wire.lines().some((l) => l.includes(`${leased}.68 > 255.255.255.255.67`))).toBe(true);
    expect(d.log().some((l) => l.msg === 'DHCPv4 lease lost')).toBe(true);
  }, 300_000);

  it('a restarted daemon keeps the leased address (no removal) and asks for it again', async () => {
    const net = createTestNet();
    const server = startDnsmasq(net, ['dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m', 'dhcp-option=option:router,192.0.2.1']);
    const file = net.file('c.yaml', DHCP4_CONFIG);
    const first = await startDaemon(net, file);
    await within(15_000, () => globals(net).length > 0, 'a DHCPv4 address');
    const leased = globals(net)[0]!.local as string;
    expect(await first.stop()).toBe(0);
    // what the server hears from here on is the restarted daemon's (the first daemon's DISCOVER has been seen
    // twice in dnsmasq's log, with one xid, within a second: that is not what this test is about)
    const before = server.log().length;
    const second = await startDaemon(net, file);
    await within(10_000, () => /DHCPACK\(peer0\)/.test(server.log().slice(before)), 'second ACK');
    expect(globals(net).map((a) => a.local)).toEqual([leased]);
    expect(second.log().filter((l) => l.msg === 'kernel change' && l.action === 'remove')).toEqual([]);
    // INIT-REBOOT: a REQUEST for the old address, no DISCOVER
    const heard = server.log().slice(before);
    expect(heard).toMatch(new RegExp(`DHCPREQUEST\\(peer0\\) ${leased.replace(/\./g, '\\.')} `));
    expect(heard).not.toMatch(/DHCPDISCOVER/);
  });

  it('a one-shot apply reports DHCP as pending on the daemon and changes nothing for it', async () => {
    const net = createTestNet();
    const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', path.join(net.dir, 'etc'), net.file('c.yaml', DHCP4_CONFIG)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pending: operator dhcp4\/eth0 runs in the netcfg daemon/m);
    expect(globals(net)).toEqual([]);
  });
});

describe('DHCPv6 with dnsmasq', () => {
  it('rapid commit gives a /128 and DNS servers', async () => {
    const net = createTestNet();
    const server = startDnsmasq(net, ['dhcp-range=2001:db8::100,2001:db8::1ff,64,2m', 'dhcp-rapid-commit', 'dhcp-option=option6:dns-server,[2001:db8::53]', 'dhcp-option=option6:domain-search,v6.example.test']);
    await startDaemon(net, net.file('c.yaml', `${DHCP4_CONFIG}        dhcpOptions:\n          ipv4: false\n          ipv6: true\n`));
    await within(15_000, () => globals(net, '-6').length > 0, 'a DHCPv6 address');
    const [a] = globals(net, '-6');
    expect(a!.local).toMatch(/^2001:db8::1[0-9a-f]{2}$/);
    expect(a!.prefixlen).toBe(128);
    await within(3000, () => fs.existsSync(path.join(net.dir, 'etc', 'resolv.conf')) && resolvConf(net).includes('2001:db8::53'), 'resolv.conf');
    // IPv6 servers from DHCPv6 come first; the default IPv4 ones stay (Talos's per-family merge)
    expect(resolvConf(net)).toBe('nameserver 2001:db8::53\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n\nsearch v6.example.test\n');
    const log = server.log();
    expect(log).toMatch(/SOLICIT/);
    expect(log).toMatch(/rapid-commit/);
    expect(log).not.toMatch(/DHCPREQUEST/);
  });
});
