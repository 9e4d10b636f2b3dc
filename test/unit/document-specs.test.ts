// Documents → the layered specs the v1alpha1 fields produce (talos-multidoc.md
// §2.2-2.4, §3, §4), computed by the configuration controllers in a dry run
// over an in-memory kernel.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigContainer } from '../../src/config/container.js';
import { configSet, parseConfig } from '../../src/config/load.js';
import { putConfig } from '../../src/controllers/config/documents.js';
import { stableHostname } from '../../src/controllers/config/stable-hostname.js';
import { renderResolvConf } from '../../src/controllers/files/render.js';
import { CONFIG_OWNER, applyOnce, configRuntime } from '../../src/engine.js';
import type { StateFile } from '../../src/runtime/state-file.js';
import { MemoryState } from '../helpers/memory-state.js';
import { silentLogger } from '../../src/log.js';
import { CLUSTER_NS, CT } from '../../src/resources/cluster/types.js';
import { NS } from '../../src/resources/resource.js';
import { T } from '../../src/resources/network/types.js';
import { listResources } from '../../src/resources/network/spec-sets.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { describeWithShared, sharedAvailable, sharedPath } from '../helpers/shared.js';

/** The specs of one type by ID, in namespace network-config (layered) or network (merged). */
async function specs(yaml: string, options: { nodeId?: string; links?: string[] } = {}) {
  const kernel = new FakeKernel();
  for (const l of options.links ?? ['lo']) kernel.addLink(l);
  const runtime = configRuntime({ kernel, log: silentLogger(), mode: 'oneshot', dryRun: true });
  putConfig(runtime.store, configSet(parseConfig('c.yaml', yaml)), CONFIG_OWNER);
  if (options.nodeId) runtime.store.put(CLUSTER_NS.cluster, CT.NodeIdentity, 'local', { nodeId: options.nodeId }, 'identity');
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  const of = (ns: string, type: string) => new Map(listResources(runtime.store, ns, type).map((r) => [r.metadata.id, r.spec as Record<string, unknown>]));
  return { of, pending: [...runtime.changes.pending.values()], failures: runtime.failures() };
}

const doc = (kind: string, body: string) => `apiVersion: v1alpha1\nkind: ${kind}\n${body}`;

/** Spec §5.1: six testdata documents in one file. */
const EXAMPLE = [
  doc('HostnameConfig', 'auto: stable\n'),
  doc('LinkConfig', 'name: enp0s1\nup: true\nmtu: 9000\naddresses:\n  - address: 192.168.1.100/24\n  - address: 2001:db8::1/64\n    routePriority: 100\nroutes:\n  - destination: 10.3.5.0/24\n    gateway: 10.3.5.1\n  - gateway: fe80::1\nmulticast: true\n'),
  doc('VLANConfig', 'name: enp0s3.2\nvlanID: 2\nvlanMode: 802.1q\nparent: enp0s3\nup: true\naddresses:\n  - address: 192.168.1.100/32\n'),
  doc('BondConfig', 'name: agg.0\nlinks: [eth0, eth1]\nbondMode: 802.3ad\nmiimon: 100\nupdelay: 200\ndowndelay: 200\nxmitHashPolicy: layer3+4\nlacpRate: slow\nfailOverMac: follow\nadActorSysPrio: 65535\nresendIGMP: 1\npacketsPerSlave: 1\nup: true\naddresses:\n  - address: 1.2.3.4/24\n'),
  doc('Layer2VIPConfig', 'name: 1.2.3.4\nlink: net0\n'),
  doc('KubeSpanEndpointsConfig', 'extraAnnouncedEndpoints:\n  - 3.4.5.6:123\n  - 10.11.12.13:456\n'),
].join('---\n');

describe('documents become layered specs', () => {
  it('the spec example (§5.1): links, addresses, routes, the VIP operator, and a stable hostname once the node identity exists', async () => {
    const { of, pending } = await specs(EXAMPLE);
    const links = of(NS.networkConfig, T.LinkSpec);
    expect(links.get('configuration/enp0s1')).toMatchObject({ up: true, mtu: 9000, multicast: true, logical: false, source: 'LinkConfig/enp0s1' });
    expect(links.get('configuration/enp0s3.2')).toMatchObject({ logical: true, kind: 'vlan', parentName: 'enp0s3', up: true, vlan: { vlanID: 2, vlanProtocol: '802.1q' } });
    expect(links.get('configuration/agg.0')).toMatchObject({
      logical: true,
      kind: 'bond',
      bondMaster: { mode: '802.3ad', miimon: 100, updelay: 200, downdelay: 200, xmitHashPolicy: 'layer3+4', lacpRate: 'slow', failOverMac: 'follow', adActorSysPrio: 65535, resendIgmp: 1, packetsPerSlave: 1, useCarrier: true },
    });
    expect(links.get('configuration/eth0')).toMatchObject({ up: true, bondSlave: { masterName: 'agg.0', slaveIndex: 0 } });
    expect(links.get('configuration/eth1')).toMatchObject({ up: true, bondSlave: { masterName: 'agg.0', slaveIndex: 1 } });
    const addresses = of(NS.networkConfig, T.AddressSpec);
    expect(addresses.get('configuration/enp0s1/192.168.1.100/24')).toMatchObject({ priority: 0, scope: 'global', flags: 'permanent' });
    expect(addresses.get('configuration/enp0s1/2001:db8::1/64')).toMatchObject({ priority: 100 });
    expect(addresses.has('configuration/enp0s3.2/192.168.1.100/32')).toBe(true);
    expect(addresses.has('configuration/agg.0/1.2.3.4/24')).toBe(true);
    const routes = of(NS.networkConfig, T.RouteSpec);
    expect(routes.get('configuration/inet4/10.3.5.1/10.3.5.0/24/1024')).toMatchObject({ outLinkName: 'enp0s1', scope: 'global', protocol: 'static', table: 'main' });
    expect(routes.get('configuration/enp0s1/inet6/fe80::1//1024')).toMatchObject({ dst: '', gateway: 'fe80::1' });
    expect(of(NS.networkConfig, T.OperatorSpec).get('configuration/vip/net0/1.2.3.4')).toMatchObject({ operator: 'vip', vip: { ip: '1.2.3.4', gratuitousARP: true }, source: 'Layer2VIPConfig/1.2.3.4' });
    expect(of(NS.networkConfig, T.HostnameSpec).size).toBe(0);
    expect(pending).toContain('stable hostname: waiting for the node identity (cluster/NodeIdentity local)');

    const withIdentity = await specs(EXAMPLE, { nodeId: 'fGdOI05hVrx3YMagLo0Bwxa2Nm9BAswWm8XLeEj0aS4' });
    expect(withIdentity.of(NS.networkConfig, T.HostnameSpec).get('default/hostname')).toEqual({ hostname: 'talos-hwz-sw5', domainname: '', layer: 'default', source: 'HostnameConfig/' });
  });

  it('v1alpha1 and a document on the same link: one entry, the document overwriting (§4.2)', async () => {
    const { of } = await specs(`machine:\n  network:\n    interfaces:\n      - interface: eth0\n        mtu: 1500\n        addresses: [192.0.2.10/24]\n      - interface: eth9\n        addresses: [198.51.100.9/24]\n---\n${doc('LinkConfig', 'name: eth0\nup: false\nmtu: 9000\naddresses:\n  - address: 192.0.2.10/24\n    routePriority: 5\n')}`);
    const links = of(NS.networkConfig, T.LinkSpec);
    expect(links.get('configuration/eth0')).toMatchObject({ up: false, mtu: 9000, source: 'v1alpha1, LinkConfig/eth0' });
    expect(links.get('configuration/eth9')).toMatchObject({ up: true, source: 'v1alpha1' });
    const addresses = of(NS.networkConfig, T.AddressSpec);
    expect(addresses.get('configuration/eth0/192.0.2.10/24')).toMatchObject({ priority: 5, source: 'LinkConfig/eth0' });
    expect(addresses.get('configuration/eth9/198.51.100.9/24')).toMatchObject({ source: 'v1alpha1' });
  });

  it('veth pairs, VRFs, bridges, dummies and WireGuard links', async () => {
    const { of } = await specs(
      [
        doc('VethConfig', 'name: veth-a\nmtu: 1500\npeer:\n  name: veth-b\n  mtu: 1400\n  addresses:\n    - address: fda1::/127\n'),
        doc('VRFConfig', 'name: vrf-blue\ntable: "123"\nlinks: [veth-b]\n'),
        doc('BridgeConfig', 'name: br0\nlinks: [eth1]\nstp:\n  enabled: true\n'),
        doc('DummyLinkConfig', 'name: dummy1\nhardwareAddr: 2E3C4D5E6F70\n'),
        doc('WireguardConfig', 'name: wg0\nprivateKey: GA1E1VB+g41Dl0+UH2TMW9C5953y+moVg6JIIqkJbmw=\npeers:\n  - publicKey: 735jkJdcVDninU5PzLJ/S+bfN6Q3QOk6svWrVLMJQAk=\n    endpoint: 10.3.4.3:2222\n    persistentKeepaliveInterval: 25s\n    allowedIPs: [192.168.1.0/24]\n'),
      ].join('---\n'),
    );
    const links = of(NS.networkConfig, T.LinkSpec);
    expect(links.get('configuration/veth-a')).toMatchObject({ kind: 'veth', mtu: 1500, veth: { peerName: 'veth-b' } });
    expect(links.get('configuration/veth-b')).toMatchObject({ kind: 'veth', mtu: 1400, veth: { peerName: 'veth-a' }, vrfSlave: { masterName: 'vrf-blue' } });
    expect(links.get('configuration/vrf-blue')).toMatchObject({ kind: 'vrf', vrfMaster: { table: 123 } });
    expect(links.get('configuration/br0')).toMatchObject({ kind: 'bridge', bridgeMaster: { stp: { enabled: true }, vlan: { filteringEnabled: false } } });
    expect(links.get('configuration/eth1')).toMatchObject({ bridgeSlave: { masterName: 'br0' } });
    expect(links.get('configuration/dummy1')).toMatchObject({ kind: 'dummy', hardwareAddr: '2e:3c:4d:5e:6f:70' });
    expect(links.get('configuration/wg0')).toMatchObject({ kind: 'wireguard', type: 'nohdr', wireguard: { listenPort: 0, peers: [{ endpoint: '10.3.4.3:2222', persistentKeepaliveIntervalMs: 25000, allowedIPs: ['192.168.1.0/24'] }] } });
    expect(of(NS.networkConfig, T.AddressSpec).has('configuration/veth-b/fda1::/127')).toBe(true);
  });

  it('DHCP documents: operators with their options, and the link brought up', async () => {
    const { of } = await specs([doc('DHCPv4Config', 'name: enp0s3\nrouteMetric: 512\nignoreHostname: true\nignoreRoutes: true\nclientIdentifier: duid\nduidRaw: 00:01:00:01:23:45:67:89:ab:cd:ef:01:23:45\n'), doc('DHCPv6Config', 'name: enp0s3\nclientIdentifier: mac\n')].join('---\n'));
    const ops = of(NS.networkConfig, T.OperatorSpec);
    expect(ops.get('configuration/dhcp4/enp0s3')).toMatchObject({ dhcp4: { routeMetric: 512, skipHostnameRequest: true, skipRoutes: true, clientIdentifier: 'duid', duidRawHex: '0001000123456789abcdef012345' } });
    expect(ops.get('configuration/dhcp6/enp0s3')).toMatchObject({ dhcp6: { routeMetric: 1024, clientIdentifier: 'mac', duid: '' } });
    expect(of(NS.networkConfig, T.LinkSpec).get('configuration/enp0s3')).toMatchObject({ up: true, logical: false });
  });

  it('resolvers (DoT servers stay out of resolv.conf), static hosts, time servers, blackhole routes', async () => {
    const { of } = await specs(
      [
        doc('ResolverConfig', 'nameservers:\n  - address: 10.0.0.1\n  - address: 2001:4860:4860::8888\n    protocol: DoT\n    tlsServerName: dns.google\nsearchDomains:\n  domains: [example.org]\nhostDNS:\n  enabled: true\n'),
        doc('TimeSyncConfig', 'ntp:\n  servers: [ntp.example.org]\n'),
        doc('BlackholeRouteConfig', 'name: 169.254.1.1/32\nmetric: 2000\n'),
        doc('BlackholeRouteConfig', 'name: 2001:db8:dead::/48\n'),
      ].join('---\n'),
    );
    const resolver = of(NS.network, T.ResolverStatus).get('resolvers') as { dnsServers: string[]; searchDomains: string[] };
    expect(resolver).toMatchObject({ dnsServers: ['10.0.0.1', '2001:4860:4860::8888'], searchDomains: ['example.org'] });
    expect(renderResolvConf(resolver as never)).toBe('nameserver 10.0.0.1\n\nsearch example.org\n');
    expect(of(NS.network, T.TimeServerSpec).get('timeservers')).toMatchObject({ ntpServers: ['ntp.example.org'], useNTS: false, source: 'TimeSyncConfig/' });
    const routes = of(NS.networkConfig, T.RouteSpec);
    expect(routes.get('configuration/inet4//169.254.1.1/32/2000')).toMatchObject({ type: 'blackhole', outLinkName: '' });
    expect(routes.get('configuration/lo/inet6//2001:db8:dead::/48/1024')).toMatchObject({ type: 'blackhole', outLinkName: 'lo' });
  });
});

describe('v1alpha1 routes become layered specs', () => {
  it('destination, family and type of each network form (the kernel form of IPv4, read without parsing, and the rest)', async () => {
    const networks = ['10.0.0.0/8', '224.0.0.0/4', '239.255.0.0/16', '240.0.0.0/4', '223.0.0.0/8', '0.0.0.0/0', '', '2001:db8::/32', 'ff00::/8'];
    const routes = networks.map((n, i) => `          - network: "${n}"\n            gateway: ${n.includes(':') ? '2001:db8::1' : '192.0.2.1'}\n            metric: ${100 + i}\n`).join('');
    const { of } = await specs(`machine:\n  network:\n    interfaces:\n      - interface: eth0\n        routes:\n${routes}`, { links: ['lo', 'eth0'] });
    const got = [...of(NS.networkConfig, T.RouteSpec).values()].sort((a, b) => (a['priority'] as number) - (b['priority'] as number)).map((r) => `${r['family']} ${r['dst'] || 'default'} ${r['type']}`);
    expect(got).toEqual([
      'inet4 10.0.0.0/8 unicast',
      'inet4 224.0.0.0/4 multicast',
      'inet4 239.255.0.0/16 multicast',
      'inet4 240.0.0.0/4 unicast',
      'inet4 223.0.0.0/8 unicast',
      'inet4 default unicast',
      'inet4 default unicast',
      'inet6 2001:db8::/32 unicast',
      'inet6 ff00::/8 multicast',
    ]);
  });
});

describeWithShared('Talos vectors', () => {
  it('stable hostnames (HostnameConfig auto: stable) as Talos derives them', () => {
    if (!sharedAvailable()) return;
    const vectors = (JSON.parse(fs.readFileSync(sharedPath('specs', 'talos-vectors.json'), 'utf8')) as { vectors: Array<{ kind: string; input: Record<string, unknown>; expected: Record<string, unknown> }> }).vectors;
    const cases = vectors.filter((v) => v.kind === 'stable_hostname');
    expect(cases.length).toBeGreaterThan(0);
    for (const v of cases) expect(stableHostname(v.input.node_id as string)).toBe(v.expected.hostname);
  });

  it('discovery endpoints normalised as Talos does (DiscoveryServiceConfig)', () => {
    if (!sharedAvailable()) return;
    const vectors = (JSON.parse(fs.readFileSync(sharedPath('specs', 'talos-vectors.json'), 'utf8')) as { vectors: Array<{ kind: string; input: { cases: Array<{ endpoint: string }> }; expected: { results: Array<{ addr?: string; insecure?: boolean; error?: boolean }> } }> }).vectors;
    const v = vectors.find((x) => x.kind === 'discovery_endpoint_normalize')!;
    v.input.cases.forEach(({ endpoint }, i) => {
      // as decoded (validation would refuse the bad ones before the accessor sees them)
      const d = { kind: 'DiscoveryServiceConfig', apiVersion: 'v1alpha1', name: 'd', id: 'DiscoveryServiceConfig/d', index: 0, line: 1, spec: { apiVersion: 'v1alpha1', kind: 'DiscoveryServiceConfig', name: 'd', endpoint } } as const;
      const c = new ConfigContainer(undefined, [d]);
      const want = v.expected.results[i]!;
      const got = c.discoveryServices()[0];
      if (want.error) expect(got, endpoint).toBeUndefined();
      else expect(got, endpoint).toMatchObject({ endpoint: want.addr, insecure: want.insecure });
    });
  });
});

describe('LinkAliasConfig through to the kernel (in-memory)', () => {
  it('aliases the link the selector picks, config reaches it by that alias, and removal undoes the address before taking the alias back', async () => {
    const kernel = new FakeKernel();
    kernel.addLink('lo', { type: 772 });
    kernel.addLink('eth0', { permanentAddr: '52:54:00:00:00:01', hardwareAddr: '52:54:00:00:00:01' });
    kernel.addLink('eth1', { permanentAddr: '52:54:00:00:00:02', hardwareAddr: '52:54:00:00:00:02' });
    const state = new MemoryState();
    const run = async (yaml: string) => {
      const r = await applyOnce(configSet(parseConfig('c.yaml', yaml)), { kernel, log: silentLogger(), state: state as unknown as StateFile });
      expect(r.failures.map((f) => f.error.message)).toEqual([]);
      return r;
    };
    const yaml = [doc('LinkAliasConfig', 'name: uplink\nselector:\n  match: mac(link.permanent_addr) == "52:54:00:00:00:02"\n'), doc('LinkConfig', 'name: uplink\nmtu: 9000\naddresses:\n  - address: 192.0.2.10/24\n')].join('---\n');
    const first = await run(yaml);
    expect([...first.changes.pending.values()]).toEqual([]);
    const eth1 = kernel.links.find((l) => l.name === 'eth1')!;
    expect(eth1.alias).toBe('uplink');
    expect(eth1.mtu).toBe(9000);
    expect(kernel.addresses.filter((a) => a.index === eth1.index).map((a) => `${a.address ?? a.local}/${a.prefixLen}`)).toEqual(['192.0.2.10/24']);
    expect(kernel.links.find((l) => l.name === 'eth0')!.alias).toBeUndefined();
    const writes = kernel.writes;
    await run(yaml);
    expect(kernel.writes).toBe(writes);

    await run('machine: {}\n');
    expect(eth1.alias).toBeUndefined();
    expect(eth1.mtu).toBe(1500);
    expect(kernel.addresses.filter((a) => a.index === eth1.index)).toEqual([]);
  });

  it('(daemon) a link that appears later gets its alias and the config that names it by that alias; an alias changed by hand comes back', async () => {
    const kernel = new FakeKernel();
    kernel.addLink('lo', { type: 772 });
    kernel.addLink('eth0', { permanentAddr: '52:54:00:00:00:01', hardwareAddr: '52:54:00:00:00:01' });
    const runtime = configRuntime({ kernel, log: silentLogger(), mode: 'daemon' });
    const yaml = [doc('LinkAliasConfig', 'name: uplink\nselector:\n  match: mac(link.permanent_addr) == "52:54:00:00:00:02"\n'), doc('LinkConfig', 'name: uplink\nmtu: 9000\n')].join('---\n');
    putConfig(runtime.store, configSet(parseConfig('c.yaml', yaml)), CONFIG_OWNER);
    try {
      await runtime.start();
      await runtime.settle();
      const eth1 = kernel.addLink('eth1', { permanentAddr: '52:54:00:00:00:02', hardwareAddr: '52:54:00:00:00:02' });
      kernel.changed('link');
      for (let i = 0; i < 100 && !(eth1.alias === 'uplink' && eth1.mtu === 9000); i++) await new Promise((r) => setTimeout(r, 20));
      expect([eth1.alias, eth1.mtu]).toEqual(['uplink', 9000]);
      expect(kernel.links.find((l) => l.name === 'eth0')!.alias).toBeUndefined();
      // drift: the alias changed by hand comes back (the alias controller reads the link statuses)
      eth1.alias = 'by-hand';
      kernel.changed('link');
      for (let i = 0; i < 100 && eth1.alias !== 'uplink'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(eth1.alias).toBe('uplink');
    } finally {
      await runtime.stop();
    }
  });
});
