// What the nftables chains send through the tunnel (spec §7.5 step 8): the
// union of the peers' allowed IPs without their KubeSpan addresses (the /64 on
// the kubespan link already routes those), counting a peer only when routing
// is forced (allowDownPeerBypass: false, the default) or the peer is up. With
// the bypass, traffic to a peer that is down or unknown goes out in the clear.
import { IPSet } from '../net/ipset.js';
import type { PeerState } from './peer-state.js';
import type { PeerSpec } from './peers.js';

export function routedSet(peers: readonly PeerSpec[], states: ReadonlyMap<string, PeerState>, forceRouting: boolean): IPSet {
  const set = new IPSet();
  const ulas = new IPSet();
  for (const p of peers) {
    ulas.add(p.address);
    if (!forceRouting && states.get(p.publicKey) !== 'up') continue;
    for (const prefix of p.allowedIPs) set.add(prefix);
  }
  return set.removeSet(ulas);
}

/**
 * Endpoints WireGuard observed for peers that are up, to report to discovery
 * for the peer's affiliate (spec §7.7; only with harvestExtraEndpoints).
 */
export function harvestedEndpoints(
  statuses: ReadonlyMap<string, { state: PeerState; endpoint: string }>,
  affiliateOf: ReadonlyMap<string, string>,
): Array<{ publicKey: string; affiliateId: string; endpoint: string }> {
  const out: Array<{ publicKey: string; affiliateId: string; endpoint: string }> = [];
  for (const [publicKey, s] of statuses) {
    const affiliateId = affiliateOf.get(publicKey);
    if (s.state !== 'up' || s.endpoint === '' || affiliateId === undefined) continue;
    out.push({ publicKey, affiliateId, endpoint: s.endpoint });
  }
  return out.sort((a, b) => (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0));
}
