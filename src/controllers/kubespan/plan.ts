// What the KubeSpan manager wants, computed from its inputs (spec §7.5): a
// pure function, so it can be tested and timed on its own.
//
//  - each peer's status from what WireGuard last reported (state from
//    handshake age; a down peer, or one never programmed, gets its next
//    endpoint; an endpoint WireGuard roamed to is left alone);
//  - the `kubespan` WireGuard link (port 51820, fwmark 0x20, the configured
//    MTU), one peer per peer spec (preshared key = the cluster secret,
//    keepalive 25 s, allowed IPs replaced);
//  - `<ULA>/64` on it, default routes (IPv4 and IPv6) in table 180 through it
//    (metric 1, the MTU), and the rules `fwmark 0x40/0x60 lookup 180`
//    (priority 32500);
//  - the nftables table marking traffic to the routed set (every peer's
//    allowed IPs but the KubeSpan addresses, only peers that are up with
//    allowDownPeerBypass), with the MSS clamp.
// Every spec is at the operator layer, as Talos's manager writes them.
import { KUBESPAN_FIREWALL_MARK, KUBESPAN_FORCE_MARK, KUBESPAN_KEEPALIVE_MS, KUBESPAN_LINK, KUBESPAN_MARK_MASK, KUBESPAN_PORT, KUBESPAN_ROUTING_TABLE, KUBESPAN_RULE_PRIORITY, PEER_DOWN_INTERVAL_MS } from '../../kubespan/constants.js';
import { newPeerStatus, stepPeer, type PeerState, type PeerStatus, type WireguardPeerObservation } from '../../kubespan/peer-state.js';
import { routedSet } from '../../kubespan/routed.js';
import { kubespanRuleset } from '../../nftables/kubespan.js';
import type { WgDevice } from '../../netlink/wireguard.js';
import type { Family } from '../../net/ip.js';
import type { KubeSpanConfigSpec, KubeSpanIdentitySpec, KubeSpanPeerSpecSpec, KubeSpanPeerStatusSpec } from '../../resources/cluster/types.js';
import type { AddressSpec, LinkSpec, NftTableSpec, RouteSpec, RoutingRuleSpec, WireguardPeerSpec } from '../../resources/network/types.js';
import { canonicalEndpoint } from '../spec/link-kinds.js';

export const KUBESPAN_SOURCE = 'kubespan';

/** What the poller read from the device, by peer public key. */
export interface Observation {
  /** Epoch ms when it was read. */
  at: number;
  peers: ReadonlyMap<string, WireguardPeerObservation>;
}

export function observationOf(at: number, device: WgDevice | undefined): Observation {
  const peers = new Map<string, WireguardPeerObservation>();
  for (const p of device?.peers ?? []) {
    peers.set(p.publicKey, {
      endpoint: p.endpoint,
      lastHandshakeTime: (p.lastHandshakeSeconds ?? 0) > 0 ? p.lastHandshakeSeconds! * 1000 : 0,
      receiveBytes: p.rxBytes ?? 0,
      transmitBytes: p.txBytes ?? 0,
    });
  }
  return { at, peers };
}

export interface PlanInput {
  config: KubeSpanConfigSpec;
  identity: KubeSpanIdentitySpec;
  peers: readonly KubeSpanPeerSpecSpec[];
  /** The statuses of the previous pass (by public key). */
  previous: ReadonlyMap<string, PeerStatus>;
  observation: Observation | undefined;
  now: number;
}

export interface KubeSpanPlan {
  statuses: Map<string, PeerStatus>;
  link: LinkSpec;
  address: AddressSpec;
  routes: RouteSpec[];
  rules: RoutingRuleSpec[];
  table: NftTableSpec;
  /** Peers that got a new endpoint in this pass. */
  picked: Array<{ publicKey: string; label: string; endpoint: string }>;
}

/** The cluster secret as a WireGuard key (the same 32 bytes as the discovery AES key), in canonical base64. */
export function presharedKeyOf(secret: string): string {
  const bytes = Buffer.from(secret, 'base64');
  return bytes.length === 32 ? bytes.toString('base64') : '';
}

/**
 * A peer's status on the first pass that sees it: a peer WireGuard already
 * has, with a recent handshake (a restarted daemon), keeps the endpoint it
 * works on instead of starting again from the first one.
 */
function initialStatus(label: string, wg: WireguardPeerObservation | undefined, now: number): PeerStatus {
  const s = newPeerStatus(label);
  if (wg && wg.endpoint !== '' && wg.lastHandshakeTime > 0 && now - wg.lastHandshakeTime < PEER_DOWN_INTERVAL_MS) {
    s.lastUsedEndpoint = canonicalEndpoint(wg.endpoint);
    s.lastEndpointChange = wg.lastHandshakeTime - 1;
  }
  return s;
}

export function planKubeSpan(input: PlanInput): KubeSpanPlan {
  const { config, identity, now } = input;
  const psk = presharedKeyOf(config.sharedSecret);
  const peers = [...input.peers].sort((a, b) => (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0));
  const statuses = new Map<string, PeerStatus>();
  const states = new Map<string, PeerState>();
  const wgPeers: WireguardPeerSpec[] = [];
  const picked: KubeSpanPlan['picked'] = [];
  for (const p of peers) {
    let wg = input.observation?.peers.get(p.publicKey);
    const previous = input.previous.get(p.publicKey) ?? initialStatus(p.label, wg, now);
    // a read older than the last endpoint change does not know that endpoint yet: it is taken as programmed
    if (wg && input.observation!.at <= previous.lastEndpointChange) wg = { ...wg, endpoint: previous.lastUsedEndpoint };
    const step = stepPeer({ ...previous, label: p.label }, p.endpoints, wg, now);
    statuses.set(p.publicKey, step.status);
    states.set(p.publicKey, step.status.state);
    if (step.changed) picked.push({ publicKey: p.publicKey, label: p.label, endpoint: step.endpoint });
    wgPeers.push({ publicKey: p.publicKey, presharedKey: psk, endpoint: step.endpoint, persistentKeepaliveIntervalMs: KUBESPAN_KEEPALIVE_MS, allowedIPs: [...p.allowedIPs] });
  }
  const layer = 'operator' as const;
  const source = KUBESPAN_SOURCE;
  const link: LinkSpec = {
    name: KUBESPAN_LINK,
    logical: true,
    up: true,
    mtu: config.mtu,
    kind: 'wireguard',
    type: 'nohdr',
    wireguard: { privateKey: identity.privateKey, listenPort: KUBESPAN_PORT, firewallMark: KUBESPAN_FIREWALL_MARK, peers: wgPeers },
    layer,
    source,
  };
  const address: AddressSpec = {
    address: `${identity.address.replace(/\/\d+$/, '')}/64`,
    linkName: KUBESPAN_LINK,
    family: 'inet6',
    scope: 'global',
    flags: 'permanent',
    announceWithARP: false,
    priority: 0,
    layer,
    source,
  };
  const families: Family[] = ['inet4', 'inet6'];
  const routes: RouteSpec[] = families.map((family) => ({
    family,
    dst: '',
    src: '',
    gateway: '',
    outLinkName: KUBESPAN_LINK,
    table: String(KUBESPAN_ROUTING_TABLE),
    priority: 1,
    scope: 'global',
    type: 'unicast',
    flags: '',
    protocol: 'static',
    mtu: config.mtu,
    layer,
    source,
  }));
  const rules: RoutingRuleSpec[] = families.map((family) => ({
    family,
    src: '',
    dst: '',
    table: String(KUBESPAN_ROUTING_TABLE),
    priority: KUBESPAN_RULE_PRIORITY,
    action: 'unicast',
    iifName: '',
    oifName: '',
    fwMark: KUBESPAN_FORCE_MARK,
    fwMask: KUBESPAN_MARK_MASK,
    layer,
  }));
  const table: NftTableSpec = { ...kubespanRuleset({ mtu: config.mtu, routed: routedSet(peers, states, config.forceRouting) }), layer, source };
  return { statuses, link, address, routes, rules, table, picked };
}

function time(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '';
}

/** A status as the KubeSpanPeerStatus resource holds it. */
export function peerStatusSpec(s: PeerStatus): KubeSpanPeerStatusSpec {
  return {
    endpoint: s.endpoint,
    label: s.label,
    state: s.state,
    receiveBytes: s.receiveBytes,
    transmitBytes: s.transmitBytes,
    lastHandshakeTime: time(s.lastHandshakeTime),
    lastUsedEndpoint: s.lastUsedEndpoint,
    lastEndpointChange: time(s.lastEndpointChange),
  };
}
