// KubeSpan's controllers: the config from documents or v1alpha1, the MAC the
// address comes from, this node's affiliate data, peer specs with their
// affiliates, the manager's plan (link, address, table-180 routes, rules,
// nftables table, endpoint cycling over time on what WireGuard reports), the
// manager and the nftables spec controller in a runtime (enable, disable,
// dry run), and what discovery is told with harvestExtraEndpoints.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigContainer } from '../../src/config/container.js';
import { harvested } from '../../src/controllers/cluster/discovery-service.js';
import { putConfig } from '../../src/controllers/config/documents.js';
import { kubespanAffiliate } from '../../src/controllers/kubespan/affiliate.js';
import { KubeSpanConfigController } from '../../src/controllers/kubespan/config.js';
import { KubeSpanEndpointController } from '../../src/controllers/kubespan/endpoint.js';
import { KubeSpanIdentityController, kubespanMac } from '../../src/controllers/kubespan/identity.js';
import { KubeSpanManagerController } from '../../src/controllers/kubespan/manager.js';
import { peerSpecsOf } from '../../src/controllers/kubespan/peer-spec.js';
import { observationOf, planKubeSpan, presharedKeyOf, type PlanInput } from '../../src/controllers/kubespan/plan.js';
import { mergeControllers } from '../../src/controllers/merge/rules.js';
import { NftTableSpecController } from '../../src/controllers/spec/nftables-spec.js';
import { canonicalSpec, type CanonicalTable } from '../../src/nftables/render.js';
import type { NftTables } from '../../src/nftables/nft.js';
import type { NftFamily, NftTableSpec as NftTableDescription } from '../../src/nftables/types.js';
import type { Kernel } from '../../src/controllers/kernel.js';
import type { WgDevice } from '../../src/netlink/wireguard.js';
import { silentLogger } from '../../src/log.js';
import { publicKey } from '../../src/net/wgkey.js';
import type { PeerStatus } from '../../src/kubespan/peer-state.js';
import {
  CLUSTER_NS,
  CT,
  type AffiliateSpec,
  type KubeSpanConfigSpec,
  type KubeSpanIdentitySpec,
  type KubeSpanPeerSpecSpec,
  type KubeSpanPeerStatusSpec,
} from '../../src/resources/cluster/types.js';
import { NS } from '../../src/resources/resource.js';
import { T, type LinkSpec, type NftTableSpec } from '../../src/resources/network/types.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { CLUSTER_ID, IDENTITY as identity, PRIVATE, SECRET, kubespanConfig as config } from '../helpers/kubespan.js';

const key = (i: number) => Buffer.alloc(32, i).toString('base64');

function peer(i: number, over: Partial<KubeSpanPeerSpecSpec> = {}): KubeSpanPeerSpecSpec {
  return { publicKey: key(i), address: `fd7f:175a:b97c:5602::${i}`, allowedIPs: [`192.0.2.${i}/32`, `fd7f:175a:b97c:5602::${i}/128`], endpoints: [`192.0.2.${i}:51820`], label: `node-${i}`, affiliateId: `id${i}`, ...over };
}

describe('KubeSpan config', () => {
  const cfg = (text: string) => {
    const { config: machine, documents } = parseConfig('c.yaml', text);
    return new ConfigContainer(Object.keys(machine).length > 0 ? machine : undefined, documents).kubeSpanConfig();
  };

  it('documents alone are enough (no v1alpha1 document); the identity comes from DiscoveryIdentityConfig', () => {
    const got = cfg(
      `apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\nallowDownPeerBypass: true\nmtu: 1380\nfilters:\n  endpoints: ["0.0.0.0/0", "!192.168.0.0/16"]\n---\napiVersion: v1alpha1\nkind: KubeSpanEndpointsConfig\nextraAnnouncedEndpoints: ["203.0.113.5:51820"]\n---\napiVersion: v1alpha1\nkind: DiscoveryServiceConfig\nname: default\nendpoint: https://discovery.talos.dev/\n---\napiVersion: v1alpha1\nkind: DiscoveryIdentityConfig\nclusterID: ${CLUSTER_ID}\nclusterSecret: ${SECRET}\n`,
    );
    expect(got).toEqual(config({ forceRouting: false, mtu: 1380, endpointFilters: ['0.0.0.0/0', '!192.168.0.0/16'], extraEndpoints: ['203.0.113.5:51820'] }));
  });

  it('v1alpha1 machine.network.kubespan with cluster.id/secret; MTU 1420 by default, routing forced', () => {
    const got = cfg(`machine:\n  network:\n    kubespan: {enabled: true, harvestExtraEndpoints: true}\ncluster:\n  id: ${CLUSTER_ID}\n  secret: ${SECRET}\n  discovery: {enabled: true}\n`);
    expect(got).toEqual(config({ harvestExtraEndpoints: true }));
  });

  it('a one-shot run says KubeSpan runs in the daemon', async () => {
    const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    runtime.register(new KubeSpanConfigController());
    const { config: machine, documents } = parseConfig('c.yaml', `machine:\n  network:\n    kubespan: {enabled: true}\ncluster:\n  id: ${CLUSTER_ID}\n  secret: ${SECRET}\n  discovery: {enabled: true}\n`);
    putConfig(runtime.store, { machine, documents }, 'user');
    await runtime.start();
    await runtime.settle();
    await runtime.stop();
    expect(runtime.changes.pending.get('kubespan')).toMatch(/runs in the netcfg daemon/);
    expect(runtime.store.get<KubeSpanConfigSpec>(CLUSTER_NS.config, CT.KubeSpanConfig, 'kubespan')?.spec.sharedSecret).toBe(SECRET);
  });
});

describe('KubeSpan identity controller', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('the MAC: the first physical link by name, else the first Ethernet link (a namespace of veths); never kubespan or a zero MAC', () => {
    const l = (name: string, physical: boolean, hardwareAddr: string, type = 'ether') => ({ name, physical, hardwareAddr, type });
    expect(kubespanMac([l('eth1', true, '02:00:00:00:00:01'), l('enp0s3', true, '02:00:00:00:00:03'), l('veth0', false, '02:00:00:00:00:09')])).toBe('02:00:00:00:00:03');
    expect(kubespanMac([l('lo', false, '00:00:00:00:00:00', 'loopback'), l('kubespan', false, '', 'none'), l('eth0', false, '0a:00:00:00:00:02'), l('br0', false, '0a:00:00:00:00:01')])).toBe('0a:00:00:00:00:01');
    expect(kubespanMac([l('lo', false, '00:00:00:00:00:00', 'loopback')])).toBeUndefined();
  });

  it('generates the key once (0600) while KubeSpan is on; a dry run only reads; off: no resource, the file stays', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-ksid-'));
    dirs.push(dir);
    const file = path.join(dir, 'netns-x.kubespan-identity.yaml');
    const run = async (spec: KubeSpanConfigSpec | undefined, dryRun = false) => {
      const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot', dryRun });
      runtime.register(new KubeSpanIdentityController(file));
      if (spec) runtime.store.put(CLUSTER_NS.config, CT.KubeSpanConfig, 'kubespan', spec, 'test');
      runtime.store.put(NS.network, T.LinkStatus, 'eth0', { physical: true, hardwareAddr: '02:42:ac:11:00:02', type: 'ether' }, 'test');
      await runtime.start();
      await runtime.settle();
      await runtime.stop();
      return runtime.store.get<KubeSpanIdentitySpec>(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, 'local')?.spec;
    };
    expect(await run(config(), true)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    const made = (await run(config()))!;
    expect(made.address).toBe('fd7f:175a:b97c:5602:42:acff:fe11:2/128');
    expect(made.subnet).toBe('fd7f:175a:b97c:5602::/64');
    expect(made.publicKey).toBe(publicKey(made.privateKey));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(await run(config(), true)).toEqual(made);
    expect(await run(config({ enabled: false }))).toBeUndefined();
    expect(await run(config())).toEqual(made);
  });
});

describe("this node's affiliate data (§7.3)", () => {
  it('addresses and public IPs through the endpoint filters at 51820, extras last and unfiltered, the ULA bare, excludes as configured', () => {
    const got = kubespanAffiliate(
      config({ endpointFilters: ['0.0.0.0/0', '!10.0.0.0/8'], extraEndpoints: ['10.9.9.9:4000', '192.0.2.1:51820'], excludeAdvertisedNetworks: ['192.168.0.0/16'] }),
      identity,
      { addresses: ['10.1.2.3', '192.0.2.1', 'fd7f:175a:b97c:5602:42:acff:fe11:2', '2001:db8::1'], publicIPs: ['198.51.100.9'] },
    );
    expect(got).toEqual({
      publicKey: identity.publicKey,
      address: 'fd7f:175a:b97c:5602:42:acff:fe11:2',
      additionalAddresses: [],
      endpoints: ['192.0.2.1:51820', '198.51.100.9:51820', '10.9.9.9:4000'],
      excludeAdvertisedNetworks: ['192.168.0.0/16'],
    });
  });
});

describe('peer specs from merged affiliates', () => {
  const aff = (id: string, nodename: string, addresses: string[], pub?: string): AffiliateSpec => ({
    nodeId: id,
    nodename,
    hostname: nodename,
    addresses,
    operatingSystem: '',
    machineType: 'worker',
    ...(pub ? { kubespan: { publicKey: pub, address: `fd00::${nodename.slice(-1)}`, additionalAddresses: [], endpoints: [`${addresses[0]}:51820`], excludeAdvertisedNetworks: [] } } : {}),
  });

  it('one per other affiliate with a public key, by public key, with the affiliate it came from', () => {
    const { peers, overlaps } = peerSpecsOf([aff('self', 'node-1', ['192.0.2.1'], key(1)), aff('b', 'node-2', ['192.0.2.2'], key(2)), aff('c', 'node-3', ['192.0.2.3']), aff('d', 'node-4', ['192.0.2.2'], key(4))], 'self');
    expect([...peers.keys()]).toEqual([key(2), key(4)]);
    expect(peers.get(key(2))).toEqual({ publicKey: key(2), address: 'fd00::2', allowedIPs: ['192.0.2.2/32', 'fd00::2/128'], endpoints: ['192.0.2.2:51820'], label: 'node-2', affiliateId: 'b' });
    // a later affiliate with the same address loses it (the first by ID wins)
    expect(peers.get(key(4))!.allowedIPs).toEqual(['fd00::4/128']);
    expect(overlaps).toHaveLength(1);
  });
});

describe("the manager's plan (§7.5)", () => {
  const base = (over: Partial<PlanInput> = {}): PlanInput => ({ config: config(), identity, peers: [peer(3), peer(2)], previous: new Map(), observation: undefined, now: 1_700_000_000_000, ...over });

  it('the kubespan link, its /64, table-180 default routes, the fwmark rules, the nftables table', () => {
    const plan = planKubeSpan(base());
    expect(plan.link).toMatchObject({ name: 'kubespan', logical: true, up: true, kind: 'wireguard', mtu: 1420, layer: 'operator', source: 'kubespan' });
    expect(plan.link.wireguard).toMatchObject({ privateKey: PRIVATE, listenPort: 51820, firewallMark: 0x20 });
    // sorted by public key; the cluster secret as preshared key; keepalive 25 s; the first endpoint
    expect(plan.link.wireguard!.peers).toEqual([peer(2), peer(3)].map((p) => ({ publicKey: p.publicKey, presharedKey: SECRET, endpoint: p.endpoints[0], persistentKeepaliveIntervalMs: 25_000, allowedIPs: p.allowedIPs })));
    expect(plan.address).toMatchObject({ address: 'fd7f:175a:b97c:5602:42:acff:fe11:2/64', linkName: 'kubespan', family: 'inet6', scope: 'global' });
    expect(plan.routes.map((r) => [r.family, r.dst, r.outLinkName, r.table, r.priority, r.mtu, r.protocol])).toEqual([
      ['inet4', '', 'kubespan', '180', 1, 1420, 'static'],
      ['inet6', '', 'kubespan', '180', 1, 1420, 'static'],
    ]);
    expect(plan.rules.map((r) => [r.family, r.priority, r.fwMark, r.fwMask, r.table, r.action])).toEqual([
      ['inet4', 32500, 0x40, 0x60, '180', 'unicast'],
      ['inet6', 32500, 0x40, 0x60, '180', 'unicast'],
    ]);
    expect(plan.table.name).toBe('netcfg_kubespan');
    // the routed set: every peer's allowed IPs but the KubeSpan addresses (forced routing)
    expect(plan.table.sets.map((s) => s.elements)).toEqual([['192.0.2.2/31'], []]);
    expect(JSON.stringify(plan.table.chains)).toContain('"setMss":1368');
    expect([...plan.statuses.values()].map((s) => [s.label, s.state, s.lastUsedEndpoint])).toEqual([
      ['node-2', 'unknown', '192.0.2.2:51820'],
      ['node-3', 'unknown', '192.0.2.3:51820'],
    ]);
  });

  it('MTU from the config: link, routes and MSS clamp; the preshared key in canonical base64', () => {
    const plan = planKubeSpan(base({ config: config({ mtu: 1300 }) }));
    expect([plan.link.mtu, ...plan.routes.map((r) => r.mtu)]).toEqual([1300, 1300, 1300]);
    expect(JSON.stringify(plan.table.chains)).toContain('"setMss":1248');
    expect(JSON.stringify(plan.table.chains)).toContain('"setMss":1228');
    expect(presharedKeyOf(SECRET.replace(/=$/, ''))).toBe(SECRET);
  });

  it('cycles a down peer to its next endpoint on what WireGuard reports, and comes up there', () => {
    const A = '203.0.113.1:51820';
    const B = '192.0.2.2:51820';
    const p = peer(2, { endpoints: [A, B] });
    const t0 = 1_700_000_000_000;
    const device = (endpoint: string, handshake: number, rx = 0): WgDevice => ({ privateKey: '', publicKey: '', listenPort: 51820, firewallMark: 0x20, peers: [{ publicKey: p.publicKey, presharedKey: '', endpoint, persistentKeepalive: 25, allowedIPs: [], lastHandshakeSeconds: handshake / 1000, rxBytes: rx, txBytes: 0 }] });
    let plan = planKubeSpan(base({ peers: [p], observation: observationOf(t0 - 5, undefined), now: t0 }));
    expect(plan.link.wireguard!.peers[0]!.endpoint).toBe(A);
    expect(plan.picked).toEqual([{ publicKey: p.publicKey, label: 'node-2', endpoint: A }]);
    // a read taken before A was programmed does not count as a roam
    plan = planKubeSpan(base({ peers: [p], previous: plan.statuses, observation: observationOf(t0 - 5, device('', 0)), now: t0 + 1000 }));
    expect(plan.link.wireguard!.peers[0]!.endpoint).toBe(A);
    // 30 s on, no handshake on A: down, next endpoint
    plan = planKubeSpan(base({ peers: [p], previous: plan.statuses, observation: observationOf(t0 + 29_000, device(A, 0)), now: t0 + 30_000 }));
    expect(plan.link.wireguard!.peers[0]!.endpoint).toBe(B);
    expect(plan.statuses.get(p.publicKey)).toMatchObject({ state: 'unknown', lastUsedEndpoint: B, lastEndpointChange: t0 + 30_000 });
    // with forced routing the peer's addresses are routed all along; with the bypass only once it is up
    const bypass = config({ forceRouting: false });
    expect(planKubeSpan(base({ config: bypass, peers: [p], previous: plan.statuses, observation: observationOf(t0 + 31_000, device(B, 0)), now: t0 + 32_000 })).table.sets[0]!.elements).toEqual([]);
    plan = planKubeSpan(base({ config: bypass, peers: [p], previous: plan.statuses, observation: observationOf(t0 + 59_000, device(B, t0 + 40_000, 5000)), now: t0 + 60_000 }));
    expect(plan.statuses.get(p.publicKey)).toMatchObject({ state: 'up', endpoint: B, receiveBytes: 5000, lastHandshakeTime: t0 + 40_000 });
    expect(plan.table.sets[0]!.elements).toEqual(['192.0.2.2/32']);
    expect(plan.picked).toEqual([]);
  });

  it('a restarted daemon keeps a peer on the endpoint it works on (recent handshake), not the first one', () => {
    const A = '203.0.113.1:51820';
    const B = '192.0.2.2:51820';
    const p = peer(2, { endpoints: [A, B] });
    const now = 1_700_000_000_000;
    const device: WgDevice = { privateKey: '', publicKey: '', listenPort: 51820, firewallMark: 0x20, peers: [{ publicKey: p.publicKey, presharedKey: '', endpoint: B, persistentKeepalive: 25, allowedIPs: [], lastHandshakeSeconds: (now - 60_000) / 1000 }] };
    const plan = planKubeSpan(base({ peers: [p], observation: observationOf(now - 10, device), now }));
    expect(plan.link.wireguard!.peers[0]!.endpoint).toBe(B);
    expect(plan.statuses.get(p.publicKey)).toMatchObject({ state: 'up', lastUsedEndpoint: B });
    expect(plan.picked).toEqual([]);
  });
});

describe('harvested endpoints to discovery', () => {
  it('only with harvestExtraEndpoints, one list per affiliate', () => {
    const runtimeLike = (spec: KubeSpanConfigSpec) => ({
      get: <S>(_ns: string, _type: string, _id: string) => ({ spec: spec as unknown as S, metadata: {} as never }),
      list: <S>() =>
        [
          { spec: { endpoint: '192.0.2.9:51820', affiliateId: 'b' } },
          { spec: { endpoint: '192.0.2.7:51820', affiliateId: 'a' } },
          { spec: { endpoint: '198.51.100.7:40000', affiliateId: 'b' } },
        ] as unknown as Array<{ spec: S; metadata: never }>,
    });
    expect(harvested(runtimeLike(config()))).toEqual([]);
    expect(harvested(runtimeLike(config({ harvestExtraEndpoints: true })))).toEqual([
      { affiliateId: 'a', endpoints: ['192.0.2.7:51820'] },
      { affiliateId: 'b', endpoints: ['192.0.2.9:51820', '198.51.100.7:40000'] },
    ]);
  });
});

/** nft as far as the spec controller uses it: one table per family/name, in memory. */
class FakeNft {
  tables = new Map<string, CanonicalTable>();
  writes = 0;
  async list(family: NftFamily, name: string) {
    return this.tables.has(`${family} ${name}`) ? [] : undefined;
  }
  async current(family: NftFamily, name: string) {
    return this.tables.get(`${family} ${name}`);
  }
  async apply(spec: NftTableDescription) {
    const k = `${spec.family} ${spec.name}`;
    const want = canonicalSpec(spec);
    const have = this.tables.get(k);
    if (have && JSON.stringify(have) === JSON.stringify(want)) return 'unchanged' as const;
    this.tables.set(k, want);
    this.writes++;
    return have ? ('replaced' as const) : ('created' as const);
  }
  async remove(family: NftFamily, name: string) {
    this.writes++;
    return this.tables.delete(`${family} ${name}`);
  }
}

describe('the manager and the nftables table in a daemon runtime', () => {
  it('enabled: operator-layer specs, statuses and the table; disabled: all withdrawn and the table deleted', async () => {
    const nft = new FakeNft();
    nft.tables.set('ip theirs', { sets: {}, chains: {} });
    const device: { value: WgDevice | undefined } = { value: undefined };
    const kernel = { wireguard: () => ({ getDevice: async () => device.value, setDevice: async () => {} }) } as unknown as Kernel;
    const runtime = new Runtime({ log: silentLogger(), mode: 'daemon', rate: { perSecond: 1000, burst: 1000 } });
    const manager = new KubeSpanManagerController(kernel, { intervalMs: 50, log: silentLogger() });
    runtime.register(manager);
    for (const c of mergeControllers()) runtime.register(c);
    runtime.register(new NftTableSpecController(() => nft as unknown as NftTables, 60_000));
    runtime.register(new KubeSpanEndpointController());
    runtime.store.put(CLUSTER_NS.config, CT.KubeSpanConfig, 'kubespan', config(), 'test');
    runtime.store.put(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, 'local', identity, 'test');
    for (const p of [peer(2), peer(3)]) runtime.store.put(CLUSTER_NS.kubespan, CT.KubeSpanPeerSpec, p.publicKey, p, 'test');
    await runtime.start();
    await runtime.settle();
    const link = runtime.store.get<LinkSpec>(NS.network, T.LinkSpec, 'kubespan')?.spec;
    expect(link?.wireguard?.peers.map((p) => p.publicKey)).toEqual([key(2), key(3)]);
    expect(runtime.store.list(NS.network, T.RouteSpec).map((r) => r.metadata.id).sort()).toEqual(['180/inet4///1', '180/kubespan/inet6///1'].sort());
    expect(runtime.store.list(NS.network, T.RoutingRuleSpec).map((r) => r.metadata.id).sort()).toEqual(['inet4/32500', 'inet6/32500']);
    expect(runtime.store.list(NS.network, T.AddressSpec).map((r) => r.metadata.id)).toEqual(['kubespan/fd7f:175a:b97c:5602:42:acff:fe11:2/64']);
    expect(runtime.store.list<NftTableSpec>(NS.network, T.NftTableSpec).map((r) => r.metadata.id)).toEqual(['inet/netcfg_kubespan']);
    expect(nft.tables.has('inet netcfg_kubespan')).toBe(true);
    expect(runtime.store.list(NS.state, T.AppliedNftTable).map((r) => r.metadata.id)).toEqual(['inet/netcfg_kubespan']);
    const statuses = runtime.store.list<KubeSpanPeerStatusSpec>(CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus);
    expect(statuses.map((s) => [s.spec.label, s.spec.state, s.spec.endpoint])).toEqual([
      ['node-2', 'unknown', '192.0.2.2:51820'],
      ['node-3', 'unknown', '192.0.2.3:51820'],
    ]);

    // the device reports a handshake with node-2 on the next poll: up, and its endpoint becomes a KubeSpanEndpoint
    device.value = {
      privateKey: '',
      publicKey: '',
      listenPort: 51820,
      firewallMark: 0x20,
      peers: [{ publicKey: key(2), presharedKey: '', endpoint: '192.0.2.2:51820', persistentKeepalive: 25, allowedIPs: [], lastHandshakeSeconds: Date.now() / 1000, rxBytes: 92, txBytes: 148 }],
    };
    const deadline = Date.now() + 3000;
    while (runtime.store.get<KubeSpanPeerStatusSpec>(CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus, key(2))?.spec.state !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await runtime.settle();
    expect(runtime.store.get<KubeSpanPeerStatusSpec>(CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus, key(2))?.spec).toMatchObject({ state: 'up', receiveBytes: 92, transmitBytes: 148 });
    expect(runtime.store.list(CLUSTER_NS.kubespan, CT.KubeSpanEndpoint).map((r) => [r.metadata.id, r.spec])).toEqual([[key(2), { endpoint: '192.0.2.2:51820', affiliateId: 'id2' }]]);

    // disabled: every spec and status withdrawn, netcfg's table deleted, theirs untouched
    runtime.store.put(CLUSTER_NS.config, CT.KubeSpanConfig, 'kubespan', config({ enabled: false }), 'test');
    await runtime.settle();
    for (const type of [T.LinkSpec, T.AddressSpec, T.RouteSpec, T.RoutingRuleSpec, T.NftTableSpec]) {
      expect(runtime.store.list(NS.networkConfig, type), type).toEqual([]);
      expect(runtime.store.list(NS.network, type), type).toEqual([]);
    }
    expect(runtime.store.list(CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus)).toEqual([]);
    expect([...nft.tables.keys()]).toEqual(['ip theirs']);
    expect(runtime.store.list(NS.state, T.AppliedNftTable)).toEqual([]);
    await runtime.stop();
  });

  it('a dry run plans the table without writing; a recorded table with no spec is deleted, one never made is not', async () => {
    const nft = new FakeNft();
    const table = { ...planKubeSpan({ config: config(), identity, peers: [peer(2)], previous: new Map<string, PeerStatus>(), observation: undefined, now: 0 }).table };
    const run = async (withSpec: boolean, dryRun: boolean, record: boolean) => {
      const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot', dryRun });
      runtime.register(new NftTableSpecController(() => nft as unknown as NftTables));
      if (withSpec) runtime.store.put(NS.network, T.NftTableSpec, 'inet/netcfg_kubespan', table, 'test');
      if (record) runtime.store.put(NS.state, T.AppliedNftTable, 'inet/netcfg_kubespan', { family: 'inet', name: 'netcfg_kubespan' }, 'NftTableSpecController');
      await runtime.start();
      await runtime.settle();
      await runtime.stop();
      return runtime.changes.changes.map((c) => `${c.action} ${c.kind} ${c.id}`);
    };
    expect(await run(true, true, false)).toEqual(['add nftables inet/netcfg_kubespan']);
    expect(nft.writes).toBe(0);
    expect(await run(true, false, false)).toEqual(['add nftables inet/netcfg_kubespan']);
    expect(await run(true, false, true)).toEqual([]);
    expect(nft.writes).toBe(1);
    expect(await run(false, true, true)).toEqual(['remove nftables inet/netcfg_kubespan']);
    expect(nft.tables.size).toBe(1);
    expect(await run(false, false, true)).toEqual(['remove nftables inet/netcfg_kubespan']);
    expect(nft.tables.size).toBe(0);
    expect(await run(false, false, false)).toEqual([]);
  });
});
