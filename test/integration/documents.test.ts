// Configuration documents applied on a real kernel, in the test's network
// namespace (hostname in a UTS namespace of the test's own, files under a test
// --etc-dir): the spec's examples apply exactly (checked with ip -j), a second
// apply makes no netlink write, and removing a document removes exactly what
// it created. Bonds, VLANs, WireGuard, VRF, dummy links, bridges (this kernel
// has no bridge VLAN filtering, which netcfg sets as Talos does) and
// LinkAliasConfig run in the qemu lane (test/kernel/documents.kernel.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, applyJson, netcfg, type ApplySummary } from '../helpers/cli.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const doc = (kind: string, body: string) => `apiVersion: v1alpha1\nkind: ${kind}\n${body}`;

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  master?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: Array<{ local: string; prefixlen: number; scope: string; family: string }>;
}

const link = (net: TestNet, name: string): IpLink | undefined => net.json<IpLink[]>('-d', 'addr', 'show').find((l) => l.ifname === name);
const globalAddrs = (l: IpLink | undefined) => (l?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);

/** Runs netcfg commands inside a new UTS namespace (hostname changes stay there); returns stdout. */
function inUts(args: string): string {
  return execFileSync('unshare', ['--uts', 'sh', '-ec', `$NETCFG ${args}; echo "hostname=$(hostname)"`], {
    encoding: 'utf8',
    env: { ...process.env, NETCFG: `${process.execPath} ${BIN}` },
  });
}

describe('configuration documents on a real kernel', () => {
  it('LinkConfig, VethConfig, BlackholeRouteConfig and v1alpha1 interfaces together: exact, idempotent, removable', async () => {
    const net = createTestNet({ interfaces: 2 });
    // the default layer brings lo up (and the kernel adds 127.0.0.1/8 to it): the baseline is after that
    const none = net.file('none.yaml', 'machine: {}\n');
    await applyJson(net, none);
    const before = net.dump();
    const full = net.file(
      'full.yaml',
      [
        'machine:\n  network:\n    interfaces:\n      - interface: eth1\n        addresses: [198.18.0.10/24]\n',
        doc('LinkConfig', 'name: eth0\nmtu: 1400\naddresses:\n  - address: 192.0.2.10/24\n    routePriority: 50\nroutes:\n  - destination: 198.51.100.0/24\n    gateway: 192.0.2.1\n    metric: 300\n'),
        doc('VethConfig', 'name: veth-host\nmtu: 1500\naddresses:\n  - address: fda1::1/127\npeer:\n  name: veth-router\n  mtu: 1400\n  addresses:\n    - address: fda1::/127\n'),
        doc('BlackholeRouteConfig', 'name: 203.0.113.0/24\nmetric: 2000\n'),
        doc('BlackholeRouteConfig', 'name: 2001:db8:dead::/48\n'),
      ].join('---\n'),
    );
    const first = await applyJson(net, full);
    expect(first.errors).toEqual([]);
    expect(first.pending).toEqual([]);

    const eth0 = link(net, 'eth0')!;
    expect(eth0.mtu).toBe(1400);
    expect(globalAddrs(eth0)).toEqual(['192.0.2.10/24']);
    expect(globalAddrs(link(net, 'eth1'))).toEqual(['198.18.0.10/24']);
    const hostEnd = link(net, 'veth-host')!;
    const routerEnd = link(net, 'veth-router')!;
    expect(hostEnd.linkinfo?.info_kind).toBe('veth');
    expect(hostEnd.link).toBe('veth-router');
    expect([hostEnd.mtu, routerEnd.mtu]).toEqual([1500, 1400]);
    expect(globalAddrs(hostEnd)).toEqual(['fda1::1/127']);
    expect(globalAddrs(routerEnd)).toEqual(['fda1::/127']);
    const routes4 = net.json<Array<{ dst: string; gateway?: string; type?: string; metric?: number; dev?: string; protocol?: string }>>('-4', 'route', 'show', 'table', 'main');
    expect(routes4).toContainEqual(expect.objectContaining({ dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'eth0', metric: 300, protocol: 'static' }));
    expect(routes4).toContainEqual(expect.objectContaining({ dst: '203.0.113.0/24', type: 'blackhole', metric: 2000 }));
    const routes6 = net.json<Array<{ dst: string; type?: string; dev?: string; metric?: number }>>('-6', 'route', 'show', 'table', 'main');
    expect(routes6).toContainEqual(expect.objectContaining({ dst: '2001:db8:dead::/48', type: 'blackhole', dev: 'lo', metric: 1024 }));
    const prefixRoute = net.json<Array<{ dst: string; metric?: number }>>('-4', 'route', 'show', 'dev', 'eth0').find((r) => r.dst === '192.0.2.0/24');
    expect(prefixRoute?.metric).toBe(50); // routePriority is the prefix route's metric

    // again: nothing to do
    const again = await applyJson(net, full);
    expect(again.changes).toEqual([]);
    expect(again.summary.netlinkWrites).toBe(0);

    // without the veth pair and the IPv6 blackhole: exactly those go
    const fewer = net.file('fewer.yaml', fs.readFileSync(full, 'utf8').split('---\n').filter((d) => !/kind: VethConfig|2001:db8:dead/.test(d)).join('---\n'));
    const removed = await applyJson(net, fewer);
    expect(removed.errors).toEqual([]);
    expect(link(net, 'veth-host')).toBeUndefined();
    expect(link(net, 'veth-router')).toBeUndefined();
    expect(net.json('-6', 'route', 'show', 'table', 'main')).not.toContainEqual(expect.objectContaining({ dst: '2001:db8:dead::/48' }));
    expect(net.json('-4', 'route', 'show', 'table', 'main')).toContainEqual(expect.objectContaining({ dst: '203.0.113.0/24', type: 'blackhole' }));
    expect(link(net, 'eth0')!.mtu).toBe(1400);

    // nothing configured: the namespace is as it was
    await applyJson(net, none);
    expect(net.dump()).toBe(before);
  });

  it('destinations with host bits (which Talos keeps): routed to their network, with a warning; the next apply writes nothing', async () => {
    const net = createTestNet();
    const file = net.file(
      'host-bits.yaml',
      [
        doc('LinkConfig', 'name: eth0\nup: true\naddresses:\n  - address: 192.0.2.2/24\n  - address: 2001:db8::2/64\nroutes:\n  - destination: 198.51.100.129/25\n    gateway: 192.0.2.1\n  - destination: 2001:db8:5::1/64\n    gateway: 2001:db8::1\n'),
        doc('BlackholeRouteConfig', 'name: 203.0.113.77/24\n'),
      ].join('---\n'),
    );
    const args = ['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, '-o', 'json', file];
    const first = await netcfg(args);
    // before: the kernel refused the IPv4 routes (EINVAL), and the IPv6 one it had masked was added again (EEXIST) on the next apply
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('routes[0].destination: route 0 destination 198.51.100.129/25 has host bits set: the route is to 198.51.100.128/25');
    expect(first.stderr).toContain('route 1 destination 2001:db8:5::1/64 has host bits set: the route is to 2001:db8:5::/64');
    expect(first.stderr).toContain('203.0.113.77/24 has host bits set: the route is to 203.0.113.0/24');
    const routes4 = net.json<Array<{ dst: string; gateway?: string; type?: string }>>('-4', 'route', 'show', 'proto', 'static');
    expect(routes4.map((r) => `${r.dst} ${r.gateway ?? r.type}`).sort()).toEqual(['198.51.100.128/25 192.0.2.1', '203.0.113.0/24 blackhole']);
    expect(net.json<Array<{ dst: string; gateway?: string }>>('-6', 'route', 'show', 'proto', 'static').map((r) => `${r.dst} ${r.gateway}`)).toEqual(['2001:db8:5::/64 2001:db8::1']);
    const again = await netcfg(args);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as ApplySummary).summary.netlinkWrites).toBe(0);
  });

  it('RoutingRuleConfig: policy rules as ip rule shows them, both families when neither src nor dst is set; others\' rules untouched', async () => {
    const net = createTestNet({ interfaces: 1 });
    const rules = () => ['-4', '-6'].map((f) => execFileSync('ip', ['-j', f, '-n', net.ns, 'rule'], { encoding: 'utf8' })).join('\n');
    // someone else's rule at a priority netcfg also uses: it stays
    execFileSync('ip', ['-n', net.ns, 'rule', 'add', 'priority', '1000', 'from', '172.16.0.0/12', 'lookup', '50', 'proto', 'boot']);
    const before = rules();
    const full = net.file(
      'rules.yaml',
      [
        'machine: {}\n',
        doc('RoutingRuleConfig', 'name: "1000"\nsrc: 10.0.0.0/8\ntable: "100"\naction: unicast\n'),
        doc('RoutingRuleConfig', 'name: "1001"\ndst: 2001:db8::/32\naction: blackhole\n'),
        doc('RoutingRuleConfig', 'name: "1002"\nfwMark: 0x40\nfwMask: 0x60\niifName: eth0\ntable: main\n'),
      ].join('---\n'),
    );
    const first = await applyJson(net, full);
    expect(first.errors).toEqual([]);
    expect(first.pending).toEqual([]);
    type IpRule = { priority: number; src?: string; srclen?: number; dst?: string; dstlen?: number; table?: string; action?: string; fwmark?: string; fwmask?: string; iif?: string; protocol?: string };
    const v4 = net.json<IpRule[]>('-4', '-d', 'rule').filter((r) => r.priority >= 1000 && r.priority <= 1002);
    const v6 = net.json<IpRule[]>('-6', '-d', 'rule').filter((r) => r.priority >= 1000 && r.priority <= 1002);
    expect(v4).toEqual([
      expect.objectContaining({ priority: 1000, src: '172.16.0.0', srclen: 12, table: '50', protocol: 'boot' }),
      expect.objectContaining({ priority: 1000, src: '10.0.0.0', srclen: 8, table: '100', protocol: 'static' }),
      expect.objectContaining({ priority: 1002, src: 'all', iif: 'eth0', fwmark: '0x40', fwmask: '0x60', table: 'main', protocol: 'static' }),
    ]);
    expect(v6).toEqual([
      expect.objectContaining({ priority: 1001, dst: '2001:db8::', dstlen: 32, action: 'blackhole', protocol: 'static' }),
      expect.objectContaining({ priority: 1002, src: 'all', iif: 'eth0', fwmark: '0x40', fwmask: '0x60', table: 'main', protocol: 'static' }),
    ]);
    // the reserved KubeSpan priority is refused with the document named, and nothing changes
    const bad = net.file('bad.yaml', fs.readFileSync(full, 'utf8') + '---\n' + doc('RoutingRuleConfig', 'name: "32500"\ntable: "100"\n'));
    const refused = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', path.join(net.dir, 'etc'), bad]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/bad\.yaml:\d+:\d+.*RoutingRuleConfig.*priority must be between 1 and 32765/s);
    const again = await applyJson(net, full);
    expect(again.summary.netlinkWrites).toBe(0);
    // without the documents: exactly netcfg's rules go
    await applyJson(net, net.file('none.yaml', 'machine: {}\n'));
    expect(rules()).toBe(before);
  });

  it('HostnameConfig, ResolverConfig and StaticHostConfig: names and files, restored when removed', () => {
    const net = createTestNet();
    const etc = path.join(net.dir, 'etc');
    fs.mkdirSync(etc);
    fs.writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 9.9.9.9\n');
    const names = net.file(
      'names.yaml',
      [
        doc('HostnameConfig', 'hostname: docs-node.example.org\n'),
        doc('ResolverConfig', 'nameservers:\n  - address: 10.0.0.53\n  - address: 2001:db8::53\n  - address: 9.9.9.9\n    protocol: DoT\n    tlsServerName: dns.quad9.net\nsearchDomains:\n  domains: [corp.example.org]\nhostDNS:\n  enabled: true\n'),
        doc('StaticHostConfig', 'name: 10.5.0.2\nhostnames: [example.org, example.com]\n'),
        doc('LinkConfig', 'name: eth0\naddresses:\n  - address: 192.0.2.10/24\n'),
      ].join('---\n'),
    );
    const none = net.file('none.yaml', doc('LinkConfig', 'name: eth0\naddresses:\n  - address: 192.0.2.10/24\n'));
    const args = `--netns ${net.ns} --state-dir ${net.stateDir} --etc-dir ${etc} --uts /proc/$$/ns/uts`;
    const machine = os.hostname();
    const out = inUts(`apply ${args} ${names}; $NETCFG apply ${args} ${names} -o json | grep -c '"netlinkWrites": 0'; cat ${etc}/resolv.conf ${etc}/hosts; $NETCFG apply ${args} ${none}`);
    expect(out).toContain('~ hostname hostname: ');
    expect(out).toContain('→ docs-node.example.org');
    // the second apply changed nothing
    expect(out).toMatch(/^1$/m);
    // DNS over TLS is for a local resolver, not for resolv.conf
    expect(out).toContain('nameserver 10.0.0.53\nnameserver 2001:db8::53\n\nsearch corp.example.org\n');
    expect(out).toContain('192.0.2.10 docs-node.example.org docs-node\n');
    expect(out).toMatch(/^10\.5\.0\.2 +example\.org example\.com$/m);
    expect(out).toContain('- hostname hostname: restore ');
    expect(out.trimEnd().split('\n').at(-1)).not.toBe('hostname=docs-node');
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).toBe('nameserver 9.9.9.9\n');
    expect(fs.existsSync(path.join(etc, 'hosts'))).toBe(false);
    expect(os.hostname()).toBe(machine); // the test's own UTS namespace was never touched
  });
});
