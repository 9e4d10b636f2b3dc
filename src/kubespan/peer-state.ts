// Peer state and endpoint cycling (spec §7.5 step 3 and §7.6, Talos
// adapters/kubespan/peer_status.go). Times are epoch milliseconds; 0 is "never"
// (Go's zero time), which is always long ago.
import { canonicalEndpoint } from '../controllers/spec/link-kinds.js';
import { ENDPOINT_CONNECTION_TIMEOUT_MS, PEER_DOWN_INTERVAL_MS } from './constants.js';

export type PeerState = 'unknown' | 'up' | 'down';

/** Talos KubeSpanPeerStatus (protobuf field numbers in spec §7.6). */
export interface PeerStatus {
  /** The endpoint as WireGuard reports it ("" when none). */
  endpoint: string;
  label: string;
  state: PeerState;
  receiveBytes: number;
  transmitBytes: number;
  /** Epoch ms of the last handshake, 0 when none. */
  lastHandshakeTime: number;
  /** The endpoint the manager last programmed ("" when none). */
  lastUsedEndpoint: string;
  /** Epoch ms when it was programmed, 0 when never. */
  lastEndpointChange: number;
}

export function newPeerStatus(label: string): PeerStatus {
  return { endpoint: '', label, state: 'unknown', receiveBytes: 0, transmitBytes: 0, lastHandshakeTime: 0, lastUsedEndpoint: '', lastEndpointChange: 0 };
}

/**
 * The state from how long ago the last handshake and the last endpoint change
 * were: long after a change, up while handshakes are recent; within 15 s of a
 * change, up once a handshake came after it, else unknown; in between, up
 * after such a handshake, else down. Down without a programmed endpoint is
 * unknown.
 */
export function stateFromDurations(sinceHandshakeMs: number, sinceEndpointChangeMs: number, lastUsedEndpoint: string): PeerState {
  let state: PeerState;
  if (sinceEndpointChangeMs > PEER_DOWN_INTERVAL_MS) state = sinceHandshakeMs < PEER_DOWN_INTERVAL_MS ? 'up' : 'down';
  else if (sinceEndpointChangeMs < ENDPOINT_CONNECTION_TIMEOUT_MS) state = sinceHandshakeMs < sinceEndpointChangeMs ? 'up' : 'unknown';
  else state = sinceHandshakeMs < sinceEndpointChangeMs ? 'up' : 'down';
  if (state === 'down' && lastUsedEndpoint === '') state = 'unknown';
  return state;
}

export function calculateState(s: PeerStatus, now: number): PeerState {
  return stateFromDurations(now - s.lastHandshakeTime, now - s.lastEndpointChange, s.lastUsedEndpoint);
}

/** A down peer, or one never programmed, gets a new endpoint. */
export function shouldChangeEndpoint(s: PeerStatus): boolean {
  return s.state === 'down' || s.lastUsedEndpoint === '';
}

/**
 * The next endpoint to try: the first when none was used, else the one after
 * the last used (wrapping; the first when the last is no longer listed).
 * Nothing with no endpoints, and nothing when the only endpoint is the one in
 * use and WireGuard reports it.
 */
export function pickNewEndpoint(s: PeerStatus, endpoints: readonly string[]): string | undefined {
  if (endpoints.length === 0) return undefined;
  const list = endpoints.map(canonicalEndpoint);
  if (s.lastUsedEndpoint === '') return list[0];
  const i = list.indexOf(s.lastUsedEndpoint);
  if (list.length === 1 && i === 0 && s.endpoint === s.lastUsedEndpoint) return undefined;
  return list[(i + 1) % list.length];
}

/** Records that `endpoint` was just programmed. */
export function useEndpoint(s: PeerStatus, endpoint: string, now: number): void {
  s.endpoint = endpoint;
  s.lastUsedEndpoint = endpoint;
  s.lastEndpointChange = now;
  s.state = 'unknown';
}

/** What `wg show` says about the peer. */
export interface WireguardPeerObservation {
  /** "" when WireGuard has none. */
  endpoint: string;
  /** Epoch ms, 0 when never. */
  lastHandshakeTime: number;
  receiveBytes: number;
  transmitBytes: number;
}

export interface PeerStep {
  status: PeerStatus;
  /** The endpoint to program; "" leaves WireGuard's (e.g. one it roamed to from incoming packets). */
  endpoint: string;
  /** A new endpoint was picked (the link spec must be rewritten). */
  changed: boolean;
}

/**
 * One manager tick for one peer (spec §7.5 steps 1–3): take WireGuard's view,
 * compute the state, pick a new endpoint when the peer is down or was never
 * programmed, and otherwise keep programming the last used endpoint while
 * WireGuard reports it or nothing; an endpoint WireGuard roamed to is left alone.
 */
export function stepPeer(previous: PeerStatus, endpoints: readonly string[], wg: WireguardPeerObservation | undefined, now: number): PeerStep {
  const s: PeerStatus = { ...previous };
  if (wg) {
    s.endpoint = wg.endpoint === '' ? '' : canonicalEndpoint(wg.endpoint);
    s.lastHandshakeTime = wg.lastHandshakeTime;
    s.receiveBytes = wg.receiveBytes;
    s.transmitBytes = wg.transmitBytes;
  }
  s.state = calculateState(s, now);
  let endpoint = '';
  let changed = false;
  if (shouldChangeEndpoint(s)) {
    const next = pickNewEndpoint(s, endpoints);
    if (next !== undefined) {
      endpoint = next;
      useEndpoint(s, next, now);
      changed = true;
    }
  }
  if (s.lastUsedEndpoint !== '' && (s.endpoint === '' || s.endpoint === s.lastUsedEndpoint)) {
    endpoint = s.lastUsedEndpoint;
    s.endpoint = s.lastUsedEndpoint;
  }
  return { status: s, endpoint, changed };
}
