// Cluster discovery on the node side: affiliate merging and the protobuf ↔
// AffiliateSpec conversion (talos-vectors.json), node identity files, the
// DiscoveryConfig a v1alpha1 config gives, node addresses, the local affiliate
// → merged affiliates → members pipeline, and proxy selection (no_proxy).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseCmdline } from '../../src/config/cmdline.js';
import { parseConfig } from '../../src/config/load.js';
import { mergeAffiliate, AffiliateMergeController } from '../../src/controllers/cluster/affiliate-merge.js';
import { discoveryConfigFrom } from '../../src/controllers/cluster/discovery-config.js';
import { LocalAffiliateController } from '../../src/controllers/cluster/local-affiliate.js';
import { MemberController } from '../../src/controllers/cluster/member.js';
import { nodeAddresses } from '../../src/controllers/cluster/node-addresses.js';
import { identityFile, NodeIdentityController, parseIdentity, resetIdentity } from '../../src/controllers/cluster/node-identity.js';
import { base62Decode } from '../../src/discovery/base62.js';
import { silentLogger } from '../../src/log.js';
import { affiliateFromPb, affiliateToPb } from '../../src/operators/discovery/convert.js';
import { proxyEnvFrom, proxyFor } from '../../src/operators/discovery/proxy.js';
import { Backoff } from '../../src/operators/discovery/backoff.js';
import { CLUSTER_NS, CT, type AffiliateSpec, type MemberSpec, type NodeIdentitySpec } from '../../src/resources/cluster/types.js';
import { NS } from '../../src/resources/resource.js';
import { T, type AddressStatus } from '../../src/resources/network/types.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { describeWithShared, sharedPath } from '../helpers/shared.js';

interface Vector {
  id: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}
const vector = (id: string): Vector => (JSON.parse(fs.readFileSync(sharedPath('specs', 'talos-vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors.find((v) => v.id === id)!;
const hex = (s: string) => Buffer.from(s, 'hex');

/** A vector's snake_case affiliate as an AffiliateSpec. */
function spec(v: Record<string, unknown>): AffiliateSpec {
  const ks = v.kubespan as Record<string, unknown> | undefined;
  const out: AffiliateSpec = {
    nodeId: (v.node_id as string) ?? '',
    addresses: (v.addresses as string[]) ?? [],
    hostname: (v.hostname as string) ?? '',
    nodename: (v.nodename as string) ?? '',
    operatingSystem: '',
    machineType: ((v.machine_type as string) ?? 'unknown') as AffiliateSpec['machineType'],
  };
  if (ks) {
    out.kubespan = {
      publicKey: ks.public_key as string,
      address: ks.address as string,
      additionalAddresses: (ks.additional_addresses as string[]) ?? [],
      endpoints: (ks.endpoints as string[]) ?? [],
      excludeAdvertisedNetworks: (ks.exclude_advertised_networks as string[]) ?? [],
    };
  }
  const cp = v.control_plane as { api_server_port: number } | undefined;
  if (cp) out.controlPlane = { apiServerPort: cp.api_server_port };
  return out;
}

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describeWithShared('affiliates (talos-vectors.json)', () => {
  it('merges affiliates as AffiliateSpec.Merge', () => {
    for (const id of ['affiliate-merge-kubespan', 'affiliate-merge-mixed']) {
      const v = vector(id);
      const merged = mergeAffiliate(spec(v.input.a as Record<string, unknown>), spec(v.input.b as Record<string, unknown>));
      expect(merged, id).toEqual(spec(v.expected.merged as Record<string, unknown>));
    }
  });

  it('converts a discovered protobuf affiliate as NewAffiliateSpec (prefixes not masked) and back', () => {
    const v = vector('pb-to-spec-conversion');
    const pb = v.input.pb_affiliate as Record<string, unknown>;
    const ks = pb.kubespan as Record<string, unknown>;
    const prefixes = (list: Array<{ ip_hex: string; bits: number }>) => list.map((p) => ({ ip: hex(p.ip_hex), bits: p.bits }));
    const converted = affiliateFromPb(
      {
        nodeId: pb.node_id as string,
        addresses: (pb.addresses_hex as string[]).map(hex),
        hostname: pb.hostname as string,
        nodename: pb.nodename as string,
        machineType: pb.machine_type as string,
        operatingSystem: pb.operating_system as string,
        kubespan: {
          publicKey: ks.public_key as string,
          address: hex(ks.address_hex as string),
          additionalAddresses: prefixes(ks.additional_addresses as Array<{ ip_hex: string; bits: number }>),
          excludeAdvertisedAddresses: prefixes(ks.exclude_advertised_addresses as Array<{ ip_hex: string; bits: number }>),
        },
      },
      (v.input.endpoints as Array<{ ip_hex: string; port: number }>).map((e) => ({ ip: hex(e.ip_hex), port: e.port })),
    );
    const want = v.expected.spec as Record<string, unknown>;
    expect(converted.addresses).toEqual(want.addresses);
    expect(converted.machineType).toBe(want.machine_type);
    expect(converted.kubespan).toMatchObject({ address: want.kubespan_address, additionalAddresses: want.additional_addresses, excludeAdvertisedNetworks: want.exclude_advertised_networks, endpoints: want.endpoints });
    expect(converted.controlPlane).toBeUndefined();
    const back = affiliateToPb(converted);
    expect(affiliateFromPb(back.affiliate, back.endpoints)).toEqual(converted);
  });

  it('reads the node-identity.yaml of the Talos test', () => {
    const v = vector('machine-id-controller-test');
    const id = parseIdentity(v.input['node-identity.yaml'] as string);
    expect(id).toBe(v.expected.node_id);
    expect(base62Decode(id!).subarray(0, 16).toString('hex')).toBe(v.expected.machine_id);
  });
});

it('parses machine types as Talos (join and empty are workers, init is a control plane)', () => {
  const base: AffiliateSpec = { nodeId: 'n', addresses: [], hostname: '', nodename: '', operatingSystem: '', machineType: 'worker' };
  const pb = affiliateToPb(base).affiliate;
  for (const [t, want] of [['join', 'worker'], ['', 'worker'], ['init', 'controlplane'], ['controlplane', 'controlplane'], ['toaster', 'unknown']] as const) {
    expect(affiliateFromPb({ ...pb, machineType: t }, []).machineType).toBe(want);
  }
});

function daemonRuntime() {
  return new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
}

it('keeps a node identity in a 0600 file across runs, and makes a new one after a reset', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-identity-'));
  tmp.push(dir);
  const file = identityFile(dir, 'host');
  const run = async (dryRun = false) => {
    const rt = new Runtime({ log: silentLogger(), mode: 'oneshot', dryRun });
    rt.register(new NodeIdentityController(file));
    await rt.start();
    await rt.settle();
    await rt.stop();
    return rt.store.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, 'local')?.spec.nodeId;
  };
  expect(await run(true)).toBeUndefined(); // a dry run does not make one
  expect(fs.existsSync(file)).toBe(false);
  const first = await run();
  expect(first).toMatch(/^[A-Za-z0-9]{43,45}$/);
  expect(base62Decode(first!).length).toBe(32);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(file, 'utf8')).toBe(`nodeId: ${first}\n`);
  expect(await run()).toBe(first);
  expect(resetIdentity(file)).toBe(first);
  const second = await run();
  expect(second).not.toBe(first);
  fs.writeFileSync(file, 'garbage');
  const rt = new Runtime({ log: silentLogger(), mode: 'oneshot' });
  rt.register(new NodeIdentityController(file));
  await rt.start();
  await rt.settle();
  expect(rt.failures()[0]?.error.message).toMatch(/holds no node identity/);
  expect(fs.readFileSync(file, 'utf8')).toBe('garbage'); // never silently replaced
});

it('derives DiscoveryConfig from cluster.discovery, machine.env, machine.files and talos.environment=', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const config = parseConfig(
    'c.yaml',
    `
machine:
  type: init
  env:
    https_proxy: http://user:pw@proxy.example:3128
  files:
    - content: |
${pem
  .trimEnd()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
      permissions: 0644
      path: /etc/ssl/certs/ca-certificates
      op: append
    - content: not a certificate
      path: /etc/motd
      op: create
cluster:
  id: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
  secret: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
  discovery:
    enabled: true
    registries:
      kubernetes: {}
      service:
        endpoint: http://192.0.2.2:3000/
`,
  ).config;
  const cmdline = parseCmdline('quiet talos.environment=no_proxy=.corp,10.0.0.0/8 talos.environment=https_proxy=http://ignored:1');
  expect(cmdline.environment).toEqual({ no_proxy: '.corp,10.0.0.0/8', https_proxy: 'http://ignored:1' });
  const d = discoveryConfigFrom(config, cmdline);
  expect(d).toMatchObject({
    enabled: true,
    services: [{ name: 'legacy', url: 'http://192.0.2.2:3000/', endpoint: '192.0.2.2:3000', insecure: true }],
    kubernetesRegistry: true,
    proxy: { httpsProxy: 'http://user:pw@proxy.example:3128', httpProxy: '', noProxy: '.corp,10.0.0.0/8' },
    machineType: 'controlplane',
    apiServerPort: 6443,
  });
  expect(d.extraCAs.trim()).toBe(pem.trim());
  expect(discoveryConfigFrom(parseConfig('d.yaml', 'cluster:\n  discovery:\n    enabled: false\n').config, undefined)).toMatchObject({ enabled: false, services: [], kubernetesRegistry: false, machineType: 'unknown', apiServerPort: 0 });
  const defaults = discoveryConfigFrom(parseConfig('e.yaml', 'cluster:\n  id: x\n  secret: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n  discovery:\n    enabled: true\n').config, undefined);
  expect(defaults.services).toEqual([{ name: 'legacy', url: 'https://discovery.talos.dev/', endpoint: 'discovery.talos.dev:443', insecure: false }]);
});

function addr(address: string, linkName: string, scope = 'global'): AddressStatus {
  return { address, local: '', broadcast: '', linkIndex: 1, linkName, family: address.includes(':') ? 'inet6' : 'inet4', scope, flags: '', priority: 0 };
}

it('takes the node addresses Talos would ("current"): global, on up links, no loopback, link-local or SideroLink', () => {
  const list = [
    addr('2001:db8::5/64', 'eth0'),
    addr('192.0.2.11/24', 'eth0'),
    addr('10.0.0.1/8', 'eth0'),
    addr('127.0.0.1/8', 'lo', 'host'),
    addr('fe80::1/64', 'eth0', 'link'),
    addr('169.254.1.1/16', 'eth0'),
    addr('fd7f:175a:b97c:5603::1/64', 'eth0'),
    addr('198.51.100.1/24', 'eth1'),
  ];
  expect(nodeAddresses(list, new Set(['eth0', 'lo']))).toEqual(['10.0.0.1', '192.0.2.11', '2001:db8::5']);
});

it('builds the local affiliate, merges discovered ones and derives members', async () => {
  const rt = daemonRuntime();
  rt.register(new LocalAffiliateController('1.2.3'));
  rt.register(new AffiliateMergeController());
  rt.register(new MemberController());
  const put = <S>(ns: string, type: string, id: string, s: S) => rt.store.put(ns, type, id, s, 'test');
  put(CLUSTER_NS.cluster, CT.NodeIdentity, 'local', { nodeId: 'self' });
  put(CLUSTER_NS.config, CT.DiscoveryConfig, 'cluster', { ...discoveryConfigFrom(undefined, undefined), enabled: true, machineType: 'controlplane', apiServerPort: 6443 });
  put(NS.network, T.LinkStatus, 'eth0', { flags: 'UP,LOWER_UP', operationalState: 'up' });
  put(NS.network, T.AddressStatus, 'eth0/192.0.2.11/24', addr('192.0.2.11/24', 'eth0'));
  put(NS.network, T.HostnameStatus, 'hostname', { hostname: 'node-a', domainname: 'example.org' });
  const peer: AffiliateSpec = { nodeId: 'peer', addresses: ['192.0.2.12'], hostname: 'node-b', nodename: 'node-b', operatingSystem: 'Talos (v1.14.0)', machineType: 'worker' };
  put(CLUSTER_NS.clusterRaw, CT.Affiliate, 'service/peer', peer);
  put(CLUSTER_NS.clusterRaw, CT.Affiliate, 'service/self', { ...peer, nodeId: 'self' }); // never merged over the local one
  put(CLUSTER_NS.clusterRaw, CT.Affiliate, 'service/early', { ...peer, nodeId: 'early', nodename: '' }); // no node name: not a member
  await rt.start();
  await rt.settle();
  const local = rt.store.get<AffiliateSpec>(CLUSTER_NS.cluster, CT.Affiliate, 'self')!;
  expect(local.metadata.owner).toBe('LocalAffiliateController');
  expect(local.spec).toEqual({
    nodeId: 'self',
    addresses: ['192.0.2.11'],
    hostname: 'node-a.example.org',
    nodename: 'node-a',
    operatingSystem: 'netcfg (v1.2.3)',
    machineType: 'controlplane',
    controlPlane: { apiServerPort: 6443 },
  });
  const members = rt.store.list<MemberSpec>(CLUSTER_NS.cluster, CT.Member).map((r) => [r.metadata.id, r.spec.nodeId, r.spec.addresses]);
  expect(members.sort()).toEqual([
    ['node-a', 'self', ['192.0.2.11']],
    ['node-b', 'peer', ['192.0.2.12']],
  ]);
  // the peer leaves; discovery turned off removes the local affiliate too
  rt.store.destroy(CLUSTER_NS.clusterRaw, CT.Affiliate, 'service/peer', 'test');
  put(CLUSTER_NS.config, CT.DiscoveryConfig, 'cluster', { ...discoveryConfigFrom(undefined, undefined), enabled: false });
  await rt.settle();
  expect(rt.store.list(CLUSTER_NS.cluster, CT.Member).map((r) => r.metadata.id)).toEqual([]);
  await rt.stop();
});

it('picks proxies as Go httpproxy: https_proxy for TLS, http_proxy for h2c, no_proxy entries, never for loopback', () => {
  const env = proxyEnvFrom({ https_proxy: 'http://192.0.2.3:8888', http_proxy: 'proxy.corp:3128', no_proxy: '.internal, example.com ,10.0.0.0/8,192.0.2.9,[2001:db8::1]:443,host.only:80' });
  const via = (host: string, port = 443, secure = true) => proxyFor(env, host, port, secure)?.host;
  expect(via('discovery.talos.dev')).toBe('192.0.2.3:8888');
  expect(via('discovery.talos.dev', 80, false)).toBe('proxy.corp:3128');
  expect(via('a.internal')).toBeUndefined();
  expect(via('internal')).toBe('192.0.2.3:8888'); // ".internal" matches subdomains only
  expect(via('example.com')).toBeUndefined();
  expect(via('www.example.com')).toBeUndefined();
  expect(via('notexample.com')).toBe('192.0.2.3:8888');
  expect(via('10.1.2.3')).toBeUndefined();
  expect(via('192.0.2.9')).toBeUndefined();
  expect(via('2001:db8::1', 443)).toBeUndefined();
  expect(via('2001:db8::1', 8443)).toBe('192.0.2.3:8888');
  expect(via('host.only', 80, true)).toBeUndefined();
  expect(via('host.only', 443)).toBe('192.0.2.3:8888');
  expect(via('localhost')).toBeUndefined();
  expect(via('127.0.0.1')).toBeUndefined();
  expect(proxyFor(proxyEnvFrom({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:1', no_proxy: '*' }), 'x.y', 443, true)).toBeUndefined();
  expect(proxyFor(proxyEnvFrom({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:1' }), 'x.y', 443, true)?.host).toBe('a:1');
  expect(() => proxyFor(proxyEnvFrom({ https_proxy: 'socks5://a:1' }), 'x.y', 443, true)).toThrow(/only http/);
});

it('backs off as cenkalti/backoff: 0.5 s ×1.5 with ±50 % jitter, at most 60 s, reset after success', () => {
  const mid = new Backoff(500, 1.5, 0.5, 60_000, () => 0.5);
  expect([mid.next(), mid.next(), mid.next()]).toEqual([500, 750, 1125]);
  for (let i = 0; i < 30; i++) mid.next();
  expect(mid.next()).toBe(60_000);
  mid.reset();
  expect(mid.next()).toBe(500);
  const low = new Backoff(500, 1.5, 0.5, 60_000, () => 0);
  expect(low.next()).toBe(250);
});
