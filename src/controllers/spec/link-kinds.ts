// What a LinkSpec asks of a kind's kernel settings, and how it differs from
// what the kernel has: bonds (per-mode attributes with Talos's defaults),
// bridges, VLANs, and WireGuard (compared as Talos does, applied as a delta).
import { formatIP, networkOf, parseIP, parsePrefix, formatPrefix } from '../../net/ip.js';
import { clampPrivateKey } from '../../net/wgkey.js';
import { BOND_ATTRIBUTE_NAMES, IFLA_BOND, type BondData } from '../../netlink/rtnetlink/drivers/bond.js';
import type { BridgeData } from '../../netlink/rtnetlink/drivers/bridge.js';
import { VLAN_PROTOCOLS, type VlanData } from '../../netlink/rtnetlink/drivers/vlan.js';
import type { VrfData } from '../../netlink/rtnetlink/drivers/vrf.js';
import type { WgChange, WgDevice } from '../../netlink/wireguard.js';
import type { BondMasterSpec, LinkSpec, WireguardSpec } from '../../resources/network/types.js';

const MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'];
const HASH = ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'];
const LACP = ['slow', 'fast'];
const ARP_VALIDATE = ['none', 'active', 'backup', 'all', 'filter', 'filter-active', 'filter-backup'];
const ARP_ALL = ['any', 'all'];
const RESELECT = ['always', 'better', 'failure'];
const FAIL_OVER = ['none', 'active', 'follow'];
const AD_SELECT = ['stable', 'bandwidth', 'count'];

const index = (values: readonly string[], v: string) => Math.max(0, values.indexOf(v));

/**
 * The bond attributes to send (Talos FillDefaults and per-mode emission):
 * lacp rate and lacp_active only in 802.3ad; arp validate/interval and
 * missed_max outside 802.3ad/alb/tlb; primary only in active-backup/alb/tlb
 * (and only when that link exists); up/down/peer-notify delays only with
 * miimon; packets_per_slave only in balance-rr; tlb_dynamic_lb only in alb/tlb;
 * actor priority and user port key only in 802.3ad; use_carrier always on.
 */
export function bondAttributes(b: BondMasterSpec, primaryIndex: number | undefined): BondData {
  const mode = index(MODES, b.mode);
  const modeName = MODES[mode]!;
  const lb = ['802.3ad', 'balance-alb', 'balance-tlb'].includes(modeName);
  const data: BondData = new Map();
  data.set(IFLA_BOND.MODE, mode);
  data.set(IFLA_BOND.XMIT_HASH_POLICY, index(HASH, b.xmitHashPolicy));
  if (modeName === '802.3ad') {
    data.set(IFLA_BOND.AD_LACP_RATE, index(LACP, b.lacpRate));
    data.set(IFLA_BOND.AD_LACP_ACTIVE, 1);
  }
  if (!lb) {
    data.set(IFLA_BOND.ARP_VALIDATE, index(ARP_VALIDATE, b.arpValidate));
    data.set(IFLA_BOND.ARP_INTERVAL, b.arpInterval);
    data.set(IFLA_BOND.MISSED_MAX, 2);
  }
  data.set(IFLA_BOND.ARP_ALL_TARGETS, index(ARP_ALL, b.arpAllTargets));
  if (['active-backup', 'balance-alb', 'balance-tlb'].includes(modeName) && primaryIndex !== undefined) data.set(IFLA_BOND.PRIMARY, primaryIndex);
  data.set(IFLA_BOND.PRIMARY_RESELECT, index(RESELECT, b.primaryReselect));
  data.set(IFLA_BOND.FAIL_OVER_MAC, index(FAIL_OVER, b.failOverMac));
  data.set(IFLA_BOND.AD_SELECT, index(AD_SELECT, b.adSelect));
  data.set(IFLA_BOND.MIIMON, b.miimon);
  if (b.miimon !== 0) {
    data.set(IFLA_BOND.UPDELAY, b.updelay);
    data.set(IFLA_BOND.DOWNDELAY, b.downdelay);
    data.set(IFLA_BOND.PEER_NOTIF_DELAY, b.peerNotifyDelay);
  }
  data.set(IFLA_BOND.RESEND_IGMP, b.resendIgmp || 1);
  data.set(IFLA_BOND.MIN_LINKS, b.minLinks);
  data.set(IFLA_BOND.LP_INTERVAL, b.lpInterval || 1);
  if (modeName === 'balance-rr') data.set(IFLA_BOND.PACKETS_PER_SLAVE, b.packetsPerSlave || 1);
  data.set(IFLA_BOND.NUM_PEER_NOTIF, b.numPeerNotif || 1);
  if (modeName === 'balance-alb' || modeName === 'balance-tlb') data.set(IFLA_BOND.TLB_DYNAMIC_LB, b.tlbDynamicLb);
  data.set(IFLA_BOND.ALL_SLAVES_ACTIVE, b.allSlavesActive);
  data.set(IFLA_BOND.USE_CARRIER, 1);
  if (modeName === '802.3ad') {
    data.set(IFLA_BOND.AD_ACTOR_SYS_PRIO, b.adActorSysPrio || 65535);
    data.set(IFLA_BOND.AD_USER_PORT_KEY, b.adUserPortKey);
  }
  return data;
}

/** Bond attributes that differ, as "name kernel → wanted"; primary counts only while that link is enslaved. */
export function bondDifferences(want: BondData, have: BondData | undefined, primaryEnslaved: boolean): string[] {
  const out: string[] = [];
  for (const [type, value] of want) {
    if (type === IFLA_BOND.PRIMARY && !primaryEnslaved) continue;
    const current = have?.get(type);
    if (current === undefined && type === IFLA_BOND.AD_LACP_ACTIVE) continue; // older kernels: "on"
    if (current !== value) out.push(`${BOND_ATTRIBUTE_NAMES[type] ?? type} ${current ?? '-'} → ${value}`);
  }
  return out;
}

const BOND_ENUMS: Readonly<Record<number, readonly string[]>> = {
  [IFLA_BOND.MODE]: MODES,
  [IFLA_BOND.XMIT_HASH_POLICY]: HASH,
  [IFLA_BOND.AD_LACP_RATE]: LACP,
  [IFLA_BOND.ARP_VALIDATE]: ARP_VALIDATE,
  [IFLA_BOND.ARP_ALL_TARGETS]: ARP_ALL,
  [IFLA_BOND.PRIMARY_RESELECT]: RESELECT,
  [IFLA_BOND.FAIL_OVER_MAC]: FAIL_OVER,
  [IFLA_BOND.AD_SELECT]: AD_SELECT,
};

/** A bond's kernel settings by attribute name, enums spelled as in the config ("mode: 802.3ad"). */
export function bondStatus(data: BondData): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [type, value] of [...data].sort((a, b) => a[0] - b[0])) {
    const name = BOND_ATTRIBUTE_NAMES[type] ?? String(type);
    out[name] = BOND_ENUMS[type]?.[value] ?? value;
  }
  return out;
}

export function bondModeName(data: BondData | undefined): string {
  return MODES[data?.get(IFLA_BOND.MODE) ?? 0] ?? 'balance-rr';
}

export function bridgeData(spec: LinkSpec): BridgeData {
  return { stp: spec.bridgeMaster?.stp.enabled ?? false, vlanFiltering: spec.bridgeMaster?.vlan.filteringEnabled ?? false };
}

export function vrfData(spec: LinkSpec): VrfData {
  return { table: spec.vrfMaster?.table ?? 0 };
}

export function vlanData(spec: LinkSpec): VlanData {
  return { id: spec.vlan?.vlanID ?? 0, protocol: VLAN_PROTOCOLS[spec.vlan?.vlanProtocol ?? '802.1q'] };
}

/** "ip:port" in the kernel's spelling ("[2001:db8::1]:51820"), so endpoints compare as addresses. */
export function canonicalEndpoint(endpoint: string): string {
  const e = splitEndpoint(endpoint);
  const ip = e ? parseIP(e.host) : undefined;
  return e && ip ? joinEndpoint(formatIP(ip), e.port) : endpoint;
}

/** "host:port" or "[v6]:port" → its parts. */
export function splitEndpoint(endpoint: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(endpoint);
  return m ? { host: m[1] ?? m[2] ?? '', port: Number(m[3]) } : undefined;
}

export const joinEndpoint = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

const masked = (cidr: string) => {
  const p = parsePrefix(cidr);
  return p ? formatPrefix(networkOf(p)) : cidr;
};

/** Past a handful of peers, "+peer …" lines become counts ("+1000 peers"): a KubeSpan mesh changes many at once. */
function compactPeerSummary(summary: string[]): string[] {
  const peerLines = summary.filter((l) => /^[+~-]peer /.test(l));
  if (peerLines.length <= 8) return summary;
  const count = (mark: string) => peerLines.filter((l) => l.startsWith(mark)).length;
  const counts = (['+', '~', '-'] as const).filter((m) => count(m) > 0).map((m) => `${m}${count(m)} peer${count(m) === 1 ? '' : 's'}`);
  return [...summary.filter((l) => !/^[+~-]peer /.test(l)), ...counts];
}

/**
 * The WireGuard change that makes `have` what `want` asks (Talos §3.4.3):
 * listen port 0 and an empty peer endpoint mean "don't care" (the endpoint
 * WireGuard roamed to is kept); missing peers are added, extra ones removed,
 * changed ones updated: their allowed IPs replaced only when some must go.
 * Endpoints must be ip:port here
 * (names are resolved by the caller). Undefined when nothing differs.
 */
export function wireguardDelta(want: WireguardSpec, have: WgDevice): { change: WgChange; summary: string[] } | undefined {
  const change: WgChange = {};
  const summary: string[] = [];
  // the kernel clamps the key it is given (and reports it clamped)
  if (clampPrivateKey(want.privateKey) !== clampPrivateKey(have.privateKey)) {
    change.privateKey = want.privateKey;
    summary.push('private key');
  }
  if (want.listenPort !== 0 && want.listenPort !== have.listenPort) {
    change.listenPort = want.listenPort;
    summary.push(`listen port ${have.listenPort} → ${want.listenPort}`);
  }
  if (want.firewallMark !== have.firewallMark) {
    change.firewallMark = want.firewallMark;
    summary.push(`fwmark ${have.firewallMark} → ${want.firewallMark}`);
  }
  const current = new Map(have.peers.map((p) => [p.publicKey, p]));
  const peers: NonNullable<WgChange['peers']> = [];
  for (const p of want.peers) {
    const h = current.get(p.publicKey);
    const allowed = [...new Set(p.allowedIPs.map(masked))].sort();
    const keepalive = Math.round(p.persistentKeepaliveIntervalMs / 1000);
    const have = new Set(h?.allowedIPs ?? []);
    const added = allowed.filter((ip) => !have.has(ip));
    // the kernel drops a peer's allowed IPs before it adds the new ones when asked to replace them, and packets to
    // the peer sent in between are lost: replace only when some must go, add when only some are new, else leave them
    const removes = have.size + added.length > allowed.length;
    const same =
      h !== undefined &&
      h.presharedKey === p.presharedKey &&
      (p.endpoint === '' || canonicalEndpoint(h.endpoint) === canonicalEndpoint(p.endpoint)) &&
      h.persistentKeepalive === keepalive &&
      added.length === 0 &&
      !removes;
    if (same) continue;
    peers.push({
      publicKey: p.publicKey,
      presharedKey: p.presharedKey,
      ...(p.endpoint !== '' ? { endpoint: p.endpoint } : {}),
      persistentKeepalive: keepalive,
      ...(removes ? { replaceAllowedIPs: true, allowedIPs: allowed } : added.length > 0 ? { allowedIPs: added } : {}),
    });
    summary.push(`${h ? '~' : '+'}peer ${p.publicKey.slice(0, 8)}…`);
  }
  const wanted = new Set(want.peers.map((p) => p.publicKey));
  for (const h of have.peers) {
    if (wanted.has(h.publicKey)) continue;
    peers.push({ publicKey: h.publicKey, remove: true });
    summary.push(`-peer ${h.publicKey.slice(0, 8)}…`);
  }
  if (peers.length > 0) change.peers = peers;
  if (summary.length === 0) return undefined;
  return { change, summary: compactPeerSummary(summary) };
}
