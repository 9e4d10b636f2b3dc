// KubeSpan's pure logic against the Talos interoperability vectors
// (../shared/specs/talos-vectors.json: extracted from the upstream tests, or
// computed by running the upstream code).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { eui64, Eui64Error, kubespanAddress, loadOrCreateIdentity, ulaPrefix } from '../../src/kubespan/identity.js';
import { newPeerStatus, pickNewEndpoint, stateFromDurations, useEndpoint } from '../../src/kubespan/peer-state.js';
import { peerSpecs, type KubespanAffiliate } from '../../src/kubespan/peers.js';
import { publicKey } from '../../src/net/wgkey.js';
import { describeWithShared, sharedAvailable, sharedPath } from '../helpers/shared.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const vectors: Json[] = sharedAvailable() ? (JSON.parse(fs.readFileSync(sharedPath('specs', 'talos-vectors.json'), 'utf8')) as { vectors: Json[] }).vectors : [];
const ofKind = (kind: string) => vectors.filter((v) => v.kind === kind);
const byId = (id: string) => vectors.find((v) => v.id === id)!;

function affiliates(input: Json[]): KubespanAffiliate[] {
  return input.map((a) => ({
    id: a.node_id,
    nodename: a.nodename ?? '',
    addresses: a.addresses ?? [],
    ...(a.kubespan
      ? {
          kubespan: {
            publicKey: a.kubespan.public_key,
            address: a.kubespan.address,
            additionalAddresses: a.kubespan.additional_addresses ?? [],
            excludeAdvertisedNetworks: a.kubespan.exclude_advertised_networks ?? [],
            endpoints: a.kubespan.endpoints ?? [],
          },
        }
      : {}),
  }));
}

describeWithShared('KubeSpan vectors (talos-vectors.json)', () => {
  it('has the vectors this lane checks', () => {
    for (const kind of ['ula_prefix', 'kubespan_address', 'eui64', 'kubespan_identity_yaml', 'wireguard_public_key', 'kubespan_pick_endpoint', 'kubespan_peer_state', 'kubespan_peer_spec']) {
      expect(ofKind(kind).length, kind).toBeGreaterThan(0);
    }
  });

  it('ULA prefixes: SHA-256 of the cluster ID text, every purpose', () => {
    for (const v of ofKind('ula_prefix')) {
      const id = v.input.cluster_id as string;
      if (v.expected.prefix) expect(ulaPrefix(id, v.input.purpose), v.id).toBe(v.expected.prefix);
      for (const [purpose, key] of [[1, 'purpose_0x01'], [2, 'purpose_0x02_kubespan'], [3, 'purpose_0x03'], [4, 'purpose_0x04']] as const) {
        if (v.expected[key]) expect(ulaPrefix(id, purpose), `${v.id} ${key}`).toBe(v.expected[key]);
      }
    }
  });

  it('KubeSpan addresses: modified EUI-64 of the MAC in the cluster /64', () => {
    for (const v of ofKind('kubespan_address')) {
      expect(kubespanAddress(v.input.cluster_id, v.input.mac), v.id).toEqual({ address: v.expected.address, subnet: v.expected.subnet });
    }
  });

  it('EUI-64 (mdlayher/netx), including its errors', () => {
    for (const v of ofKind('eui64')) {
      const run = () => eui64(v.input.prefix, v.input.mac ?? '02:00:00:00:00:01');
      if (v.expected.error) {
        expect(run, v.id).toThrow(Eui64Error);
        try {
          run();
        } catch (err) {
          expect((err as Eui64Error).code, v.id).toBe(v.expected.error);
        }
      } else {
        expect(run(), v.id).toBe(v.expected.ip);
      }
    }
  });

  it('WireGuard public keys (X25519)', () => {
    for (const v of ofKind('wireguard_public_key')) expect(publicKey(v.input.private_key), v.id).toBe(v.expected.public_key);
  });

  it("loads Talos's kubespan-identity.yaml: keys kept, empty address and subnet recomputed", () => {
    const v = byId('kubespan-identity-file-load');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-ks-'));
    try {
      const file = path.join(dir, 'kubespan-identity.yaml');
      fs.writeFileSync(file, v.input['kubespan-identity.yaml'], { mode: 0o600 });
      const identity = loadOrCreateIdentity(file, v.input.cluster_id, v.input.first_mac);
      expect(identity).toEqual(v.expected);
      // the file now holds the recomputed address, the same keys, and stays private
      expect(loadOrCreateIdentity(file, v.input.cluster_id, v.input.first_mac)).toEqual(v.expected);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file, 'utf8')).toContain(`address: ${v.expected.address}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('endpoint picking: first, then the next one round the list, no rotation of a single endpoint in use', () => {
    const v = byId('peer-pick-endpoint');
    const status = newPeerStatus('peer');
    let now = 1_000_000;
    for (const [i, step] of (v.input.steps as Json[]).entries()) {
      const picked = pickNewEndpoint(status, step.endpoints);
      expect(picked ?? null, `step ${i}`).toBe(step.expect);
      if (step.then_use) useEndpoint(status, picked!, (now += 1000));
    }
  });

  it('peer state from handshake age and endpoint change age', () => {
    const v = byId('peer-state');
    const states = (v.input.cases_ns as Json[]).map((c) => stateFromDurations(c.since_handshake / 1e6, c.since_endpoint_change / 1e6, c.last_used_endpoint ?? ''));
    expect(states).toEqual(v.expected.states);
  });

  it('peer specs: allowed IPs with excludes, ULA last; no spec for the local node or one without KubeSpan', () => {
    const v = byId('peer-spec-reconcile');
    const { peers, overlaps } = peerSpecs(affiliates(v.input.affiliates), v.input.local_node_id);
    expect(overlaps).toEqual([]);
    const got = Object.fromEntries(peers.map((p) => [p.publicKey, { address: p.address, allowed_ips: p.allowedIPs, endpoints: p.endpoints, label: p.label }]));
    expect(got).toEqual(v.expected.peers);
  });

  it('peer specs: the later affiliate (by ID) loses overlapping ranges', () => {
    const v = byId('peer-spec-overlap');
    const { peers, overlaps } = peerSpecs(affiliates(v.input.affiliates), v.input.local_node_id ?? '');
    expect(Object.fromEntries(peers.map((p) => [p.publicKey, { allowed_ips: p.allowedIPs }]))).toEqual(v.expected.peers);
    expect(overlaps).toEqual([
      { peer: 'Zr5ewpUm2Ywo1c+/59WFKIBjZ3c/nVbIWsT5elbjwCU=', label: 'worker-1', others: ['PLPNBddmTgHJhtw0vxltq1ZBdPP9RNOEUd5JjJZzBRY='], removed: ['10.244.3.0/24'], empty: false },
    ]);
  });
});
