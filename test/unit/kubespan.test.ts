// KubeSpan's pure logic on the spec's worked examples (discovery-and-kubespan.md
// §7.1 and §7.3–§7.7): identity file, endpoint filters, announced endpoints,
// allowed-IP algebra, peer state over time with endpoint cycling, routed set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PEER_DOWN_INTERVAL_MS } from '../../src/kubespan/constants.js';
import { filterIPs } from '../../src/kubespan/filters.js';
import { localEndpoints } from '../../src/kubespan/endpoints.js';
import { firstHardwareAddr, isULA, kubespanAddress, loadOrCreateIdentity } from '../../src/kubespan/identity.js';
import { newPeerStatus, stepPeer, type PeerState, type PeerStatus } from '../../src/kubespan/peer-state.js';
import { peerSpecs, type KubespanAffiliate } from '../../src/kubespan/peers.js';
import { harvestedEndpoints, routedSet } from '../../src/kubespan/routed.js';
import { publicKey } from '../../src/net/wgkey.js';

const CLUSTER = '8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=';

describe('KubeSpan identity', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-ks-'));
    dirs.push(d);
    return d;
  };

  it('the spec example: 02:42:ac:11:00:02 in the cluster /64', () => {
    expect(kubespanAddress(CLUSTER, '02:42:ac:11:00:02')).toEqual({ address: 'fd7f:175a:b97c:5602:42:acff:fe11:2/128', subnet: 'fd7f:175a:b97c:5602::/64' });
    expect(isULA('fd7f:175a:b97c:5602:42:acff:fe11:2', 0x02)).toBe(true);
    expect(isULA('fd7f:175a:b97c:5603::1', 0x02)).toBe(false);
    expect(isULA('10.0.0.1', 0x02)).toBe(false);
  });

  it('the first physical link in name order gives the MAC', () => {
    const links = [
      { name: 'lo', physical: false, hardwareAddr: '00:00:00:00:00:00' },
      { name: 'eth1', physical: true, hardwareAddr: '02:00:00:00:00:01' },
      { name: 'bond0', physical: false, hardwareAddr: '02:00:00:00:00:09' },
      { name: 'enp0s3', physical: true, hardwareAddr: '02:00:00:00:00:03' },
    ];
    expect(firstHardwareAddr(links)).toBe('02:00:00:00:00:03');
    expect(firstHardwareAddr([])).toBeUndefined();
  });

  it('generates a key pair once (0600, standard base64), reuses it, and recomputes the address for a new MAC', () => {
    const dir = tmp();
    const file = path.join(dir, 'state', 'kubespan-identity.yaml');
    const first = loadOrCreateIdentity(file, CLUSTER, '02:42:ac:11:00:02');
    expect(first.privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(first.publicKey).toBe(publicKey(first.privateKey));
    // clamped as wg genkey does
    const raw = Buffer.from(first.privateKey, 'base64');
    expect(raw[0]! & 7).toBe(0);
    expect(raw[31]! & 0xc0).toBe(0x40);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const mtime = fs.statSync(file).mtimeMs;
    expect(loadOrCreateIdentity(file, CLUSTER, '02:42:ac:11:00:02')).toEqual(first);
    expect(fs.statSync(file).mtimeMs).toBe(mtime); // nothing rewritten
    const moved = loadOrCreateIdentity(file, CLUSTER, 'ea:71:1b:b2:cc:ee');
    expect(moved).toEqual({ ...first, address: 'fd7f:175a:b97c:5602:e871:1bff:feb2:ccee/128' });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['kubespan-identity.yaml']);
  });

  it('refuses a damaged identity file rather than replacing the key', () => {
    const file = path.join(tmp(), 'kubespan-identity.yaml');
    fs.writeFileSync(file, 'privateKey: notakey\n');
    expect(() => loadOrCreateIdentity(file, CLUSTER, '02:42:ac:11:00:02')).toThrow(`${file}: privateKey is not a base64 WireGuard key (44 characters)`);
    fs.writeFileSync(file, 'privateKey: sF45u5ePau58WeeCUY3T8D9foEKaQ8Opx4cGC8g4XE4=\npublicKey: j0DFrbaPJWJK5bIU6nZ6bslNgp09e14a0bpvPiE4KF8=\n');
    expect(() => loadOrCreateIdentity(file, CLUSTER, '02:42:ac:11:00:02')).toThrow(/publicKey does not belong to privateKey/);
    fs.writeFileSync(file, 'privateKey: [unclosed\n');
    expect(() => loadOrCreateIdentity(file, CLUSTER, '02:42:ac:11:00:02')).toThrow(/not a KubeSpan identity/);
    expect(fs.readFileSync(file, 'utf8')).toBe('privateKey: [unclosed\n');
  });
});

describe('endpoint filters (FilterIPs)', () => {
  const ips = ['192.168.1.10', '10.0.0.5', '2001:db8::1', '10.1.2.3', '172.16.0.1'];

  it('positive filters collect matches in filter order, without duplicates', () => {
    expect(filterIPs(ips, ['10.0.0.0/8'])).toEqual(['10.0.0.5', '10.1.2.3']);
    expect(filterIPs(ips, ['172.16.0.0/12', '10.0.0.0/8', '10.1.0.0/16'])).toEqual(['172.16.0.1', '10.0.0.5', '10.1.2.3']);
    expect(filterIPs(ips, ['0.0.0.0/0', '::/0'])).toEqual(['192.168.1.10', '10.0.0.5', '10.1.2.3', '172.16.0.1', '2001:db8::1']);
    expect(filterIPs(ips, ['10.0.0.5', '[2001:db8::1]'])).toEqual(['10.0.0.5', '2001:db8::1']);
  });

  it('a negative filter removes from what has accumulated so far; only negatives give nothing', () => {
    expect(filterIPs(ips, ['0.0.0.0/0', '!10.0.0.0/8'])).toEqual(['192.168.1.10', '172.16.0.1']);
    // order matters: a later positive filter brings it back
    expect(filterIPs(ips, ['!10.0.0.0/8', '0.0.0.0/0'])).toEqual(['192.168.1.10', '10.0.0.5', '10.1.2.3', '172.16.0.1']);
    expect(filterIPs(ips, ['0.0.0.0/0', '!10.0.0.0/8', '10.1.0.0/16'])).toEqual(['192.168.1.10', '172.16.0.1', '10.1.2.3']);
    expect(filterIPs(ips, ['!10.0.0.0/8', '!192.168.0.0/16'])).toEqual([]);
    expect(() => filterIPs(ips, ['10.0.0.0/99'])).toThrow(/endpoint filter "10.0.0.0\/99"/);
  });
});

describe('announced endpoints (§7.3)', () => {
  it('node addresses without the KubeSpan address and SideroLink ULAs, public IPs added, port 51820, extras last', () => {
    const ks = 'fd7f:175a:b97c:5602:42:acff:fe11:2';
    const sideroLink = 'fd7f:175a:b97c:5603::2';
    expect(
      localEndpoints({
        addresses: ['192.168.3.4', ks, sideroLink, '2001:db8::4'],
        kubespanAddress: `${ks}/128`,
        publicIPs: ['203.0.113.9', '192.168.3.4'],
        extraEndpoints: ['198.51.100.1:51821', '192.168.3.4:51820', '[2001:DB8::9]:4000'],
      }),
    ).toEqual(['192.168.3.4:51820', '[2001:db8::4]:51820', '203.0.113.9:51820', '198.51.100.1:51821', '[2001:db8::9]:4000']);
  });

  it('filters apply to addresses and public IPs, never to the extra endpoints', () => {
    expect(
      localEndpoints({
        addresses: ['192.168.3.4', '10.5.0.4'],
        kubespanAddress: 'fd00::1',
        publicIPs: ['203.0.113.9'],
        endpointFilters: ['0.0.0.0/0', '!192.168.0.0/16'],
        extraEndpoints: ['192.168.3.4:4000'],
      }),
    ).toEqual(['10.5.0.4:51820', '203.0.113.9:51820', '192.168.3.4:4000']);
    expect(localEndpoints({ addresses: ['192.168.3.4'], kubespanAddress: 'fd00::1', endpointFilters: ['!192.168.0.0/16'] })).toEqual([]);
  });
});

const ks = (publicKey: string, address: string, extra: Partial<NonNullable<KubespanAffiliate['kubespan']>> = {}) => ({
  publicKey,
  address,
  additionalAddresses: [],
  excludeAdvertisedNetworks: [],
  endpoints: [],
  ...extra,
});

describe('peer specs (§7.4)', () => {
  it('union of advertised networks and node addresses, excludes taken out, the KubeSpan /128 kept even when excluded', () => {
    const { peers } = peerSpecs(
      [
        {
          id: 'b',
          nodename: 'node-b',
          addresses: ['192.168.3.5', '10.244.9.9'],
          kubespan: ks('KEYB', 'fd00::b', { additionalAddresses: ['10.244.0.0/16'], excludeAdvertisedNetworks: ['10.244.128.0/17', 'fd00::/64'], endpoints: ['[2001:DB8::5]:51820', '192.168.3.5:51820'] }),
        },
      ],
      'local',
    );
    expect(peers).toEqual([{ publicKey: 'KEYB', address: 'fd00::b', allowedIPs: ['10.244.0.0/17', '192.168.3.5/32', 'fd00::b/128'], endpoints: ['[2001:db8::5]:51820', '192.168.3.5:51820'], label: 'node-b' }]);
  });

  it('a stale duplicate (same addresses, replaced node) loses everything but what is its own, and is reported', () => {
    const { peers, overlaps } = peerSpecs(
      [
        { id: 'z-new', nodename: 'worker', addresses: ['192.168.3.7'], kubespan: ks('NEW', 'fd00::7') },
        { id: 'a-old', nodename: 'worker', addresses: ['192.168.3.7'], kubespan: ks('OLD', 'fd00::6') },
        { id: 'm-vip', nodename: 'cp', addresses: ['192.168.3.7', '192.168.3.8'], kubespan: ks('VIP', 'fd00::7') },
      ],
      'local',
    );
    // sorted by affiliate ID: a-old first, so the replacement loses the shared node address
    expect(peers.map((p) => [p.label, p.allowedIPs])).toEqual([
      ['worker', ['192.168.3.7/32', 'fd00::6/128']],
      ['cp', ['192.168.3.8/32', 'fd00::7/128']],
      ['worker', []],
    ]);
    expect(overlaps.map((o) => [o.peer, o.others, o.removed, o.empty])).toEqual([
      ['VIP', ['OLD'], ['192.168.3.7/32'], false],
      // even the KubeSpan address can be lost this way
      ['NEW', ['OLD', 'VIP'], ['192.168.3.7/32', 'fd00::7/128'], true],
    ]);
  });

  it('skips affiliates without a public key and reports ones whose data does not parse', () => {
    const r = peerSpecs(
      [
        { id: 'a', nodename: 'a', addresses: ['10.0.0.1'] },
        { id: 'b', nodename: 'b', addresses: ['10.0.0.2'], kubespan: ks('', 'fd00::2') },
        { id: 'c', nodename: 'c', addresses: ['10.0.0.300'], kubespan: ks('KEYC', 'fd00::3') },
      ],
      'x',
    );
    expect(r.peers).toEqual([]);
    expect(r.invalid).toEqual([{ id: 'c', error: '"10.0.0.300" is not an IP address or prefix' }]);
  });
});

describe('peer state and endpoint cycling (§7.5 step 3, §7.6)', () => {
  const wg = (endpoint: string, lastHandshakeTime: number, rx = 0, tx = 0) => ({ endpoint, lastHandshakeTime, receiveBytes: rx, transmitBytes: tx });
  const A = '203.0.113.1:51820'; // unreachable
  const B = '192.168.3.5:51820'; // works

  it('a peer published with an unreachable endpoint first comes up on the second', () => {
    const t0 = 1_700_000_000_000;
    // first tick: never programmed → the first endpoint, state unknown
    let step = stepPeer(newPeerStatus('node-b'), [A, B], undefined, t0);
    expect(step).toMatchObject({ endpoint: A, changed: true, status: { state: 'unknown', lastUsedEndpoint: A, lastEndpointChange: t0 } });
    // 10 s later, no handshake: still unknown, A is programmed again
    step = stepPeer(step.status, [A, B], wg(A, 0), t0 + 10_000);
    expect(step).toMatchObject({ endpoint: A, changed: false, status: { state: 'unknown' } });
    // 30 s (next tick): down → cycle to B
    step = stepPeer(step.status, [A, B], wg(A, 0), t0 + 30_000);
    expect(step).toMatchObject({ endpoint: B, changed: true, status: { state: 'unknown', lastUsedEndpoint: B, lastEndpointChange: t0 + 30_000 } });
    // a handshake after the change: up, B stays
    step = stepPeer(step.status, [A, B], wg(B, t0 + 31_000, 1200, 900), t0 + 60_000);
    expect(step).toMatchObject({ endpoint: B, changed: false, status: { state: 'up', receiveBytes: 1200, transmitBytes: 900, endpoint: B } });
    // handshakes keep coming every 2 minutes: up long after the change
    step = stepPeer(step.status, [A, B], wg(B, t0 + 600_000), t0 + 700_000);
    expect(step.status.state).toBe('up');
    // silence for more than 275 s: down, and cycling starts again at A
    step = stepPeer(step.status, [A, B], wg(B, t0 + 600_000), t0 + 600_000 + PEER_DOWN_INTERVAL_MS + 1);
    expect(step).toMatchObject({ endpoint: A, changed: true, status: { lastUsedEndpoint: A } });
  });

  it('an endpoint WireGuard roamed to is left alone; a single endpoint in use is not re-picked', () => {
    const t0 = 1_700_000_000_000;
    let step = stepPeer(newPeerStatus('n'), [B], undefined, t0);
    step = stepPeer(step.status, [B], wg('198.51.100.7:40000', t0 + 5_000), t0 + 30_000);
    expect(step).toMatchObject({ endpoint: '', changed: false, status: { state: 'up', endpoint: '198.51.100.7:40000', lastUsedEndpoint: B } });
    // down on its only endpoint, which WireGuard still reports: nothing to rotate to
    const down: PeerStatus = { ...newPeerStatus('n'), endpoint: B, lastUsedEndpoint: B, lastEndpointChange: t0, lastHandshakeTime: 0 };
    step = stepPeer(down, [B], wg(B, 0), t0 + 60_000);
    expect(step).toMatchObject({ endpoint: B, changed: false, status: { state: 'down' } });
    // no endpoints at all: nothing programmed
    expect(stepPeer(newPeerStatus('n'), [], undefined, t0)).toMatchObject({ endpoint: '', changed: false, status: { state: 'unknown' } });
  });
});

describe('routed set (§7.5 step 8) and harvested endpoints (§7.7)', () => {
  const peers = [
    { publicKey: 'UP', address: 'fd00::1', allowedIPs: ['10.244.1.0/24', '192.168.3.1/32', 'fd00::1/128'], endpoints: [], label: 'up' },
    { publicKey: 'DOWN', address: 'fd00::2', allowedIPs: ['10.244.2.0/24', '192.168.3.2/32', 'fd00::2/128'], endpoints: [], label: 'down' },
    { publicKey: 'NEW', address: 'fd00::3', allowedIPs: ['192.168.3.3/32', '2001:db8::3/128', 'fd00::3/128'], endpoints: [], label: 'unknown' },
  ];
  const states = new Map<string, PeerState>([
    ['UP', 'up'],
    ['DOWN', 'down'],
    ['NEW', 'unknown'],
  ]);

  it('forced routing (the default) sends every peer through the tunnel, KubeSpan addresses excluded', () => {
    expect(routedSet(peers, states, true).prefixes()).toEqual(['10.244.1.0/24', '10.244.2.0/24', '192.168.3.1/32', '192.168.3.2/31', '2001:db8::3/128']);
  });

  it('allowDownPeerBypass: only peers that are up', () => {
    expect(routedSet(peers, states, false).prefixes()).toEqual(['10.244.1.0/24', '192.168.3.1/32']);
  });

  it('harvested endpoints: up peers with an observed endpoint, for their affiliate', () => {
    const statuses = new Map([
      ['UP', { state: 'up' as const, endpoint: '198.51.100.7:40000' }],
      ['DOWN', { state: 'down' as const, endpoint: '192.168.3.2:51820' }],
      ['NEW', { state: 'up' as const, endpoint: '' }],
    ]);
    expect(harvestedEndpoints(statuses, new Map([['UP', 'node-up'], ['DOWN', 'node-down']]))).toEqual([{ publicKey: 'UP', affiliateId: 'node-up', endpoint: '198.51.100.7:40000' }]);
  });
});
