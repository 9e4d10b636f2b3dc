// Peer specs from cluster affiliates (spec §7.4, Talos peer_spec.go): one peer
// per other affiliate with KubeSpan data, in affiliate ID order. Allowed IPs:
// the advertised networks and node addresses, minus the affiliate's excluded
// networks, plus its KubeSpan address (added after the exclusion, so it
// survives it). Ranges another peer earlier in the order already has are taken
// away from the later one ("peer address overlap": the first by ID wins, even
// over a KubeSpan address).
import { IPSet } from '../net/ipset.js';
import { canonicalEndpoint } from '../controllers/spec/link-kinds.js';

/** What KubeSpan needs of an affiliate (the discovery work maps its resources to this). */
export interface KubespanAffiliate {
  /** Affiliate (node) ID. */
  id: string;
  nodename: string;
  /** Node addresses (bare IPs). */
  addresses: readonly string[];
  kubespan?: {
    publicKey: string;
    /** KubeSpan ULA address (bare). */
    address: string;
    /** Advertised networks (prefixes; host bits allowed). */
    additionalAddresses: readonly string[];
    /** Networks the affiliate asks peers not to route to it. */
    excludeAdvertisedNetworks: readonly string[];
    /** ip:port, in the affiliate's order. */
    endpoints: readonly string[];
  };
}

/** Talos KubeSpanPeerSpec; the ID is the public key. */
export interface PeerSpec {
  publicKey: string;
  address: string;
  allowedIPs: string[];
  endpoints: string[];
  label: string;
}

export interface PeerOverlap {
  /** The later peer, which lost the ranges. */
  peer: string;
  label: string;
  /** The earlier peers it overlapped. */
  others: string[];
  /** The ranges it lost. */
  removed: string[];
  /** Nothing was left. */
  empty: boolean;
}

export interface PeerSpecsResult {
  /** In affiliate ID order (a public key seen twice: the later affiliate's spec replaces the earlier). */
  peers: PeerSpec[];
  overlaps: PeerOverlap[];
  /** Affiliates skipped because their data does not parse. */
  invalid: Array<{ id: string; error: string }>;
}

const byId = (a: KubespanAffiliate, b: KubespanAffiliate) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function peerSpecs(affiliates: readonly KubespanAffiliate[], localId: string): PeerSpecsResult {
  const result: PeerSpecsResult = { peers: [], overlaps: [], invalid: [] };
  const bySpec = new Map<string, number>();
  // every earlier peer's ranges, and who holds what (looked at only on overlap, which is rare)
  const taken = new IPSet();
  const sets: Array<{ publicKey: string; set: IPSet }> = [];
  for (const a of [...affiliates].sort(byId)) {
    if (a.id === localId || !a.kubespan || a.kubespan.publicKey === '') continue;
    const ks = a.kubespan;
    let set: IPSet;
    try {
      set = IPSet.of(ks.additionalAddresses);
      for (const ip of a.addresses) set.add(ip);
      for (const ex of ks.excludeAdvertisedNetworks) set.remove(ex);
      set.add(ks.address);
    } catch (err) {
      result.invalid.push({ id: a.id, error: (err as Error).message });
      continue;
    }
    if (set.overlaps(taken)) {
      const lost = set.intersection(taken);
      result.overlaps.push({
        peer: ks.publicKey,
        label: a.nodename,
        others: sets.filter((s) => s.set.overlaps(lost)).map((s) => s.publicKey),
        removed: lost.prefixes(),
        empty: false,
      });
      set = set.minus(taken);
      result.overlaps.at(-1)!.empty = set.empty;
    }
    taken.addSet(set);
    sets.push({ publicKey: ks.publicKey, set });
    const spec: PeerSpec = { publicKey: ks.publicKey, address: ks.address, allowedIPs: set.prefixes(), endpoints: ks.endpoints.map(canonicalEndpoint), label: a.nodename };
    const seen = bySpec.get(ks.publicKey);
    if (seen === undefined) {
      bySpec.set(ks.publicKey, result.peers.length);
      result.peers.push(spec);
    } else {
      result.peers[seen] = spec;
    }
  }
  return result;
}
