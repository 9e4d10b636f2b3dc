// The WireGuard generic netlink family (include/uapi/linux/wireguard.h):
// reading a device's configuration and applying a change to it.
import { NlWriter, type AttrReader } from './codec.js';
import type { NlMessage } from './message.js';
import { NLM_F_DUMP } from './constants.js';
import { GenlClient, genlAttributes, genlRequest, type GenlFamily } from './genetlink.js';
import { formatBytes, parseIP } from '../net/ip.js';

const WG_CMD_GET_DEVICE = 0;
const WG_CMD_SET_DEVICE = 1;

const WGDEVICE_A_IFNAME = 2;
const WGDEVICE_A_PRIVATE_KEY = 3;
const WGDEVICE_A_PUBLIC_KEY = 4;
const WGDEVICE_A_FLAGS = 5;
const WGDEVICE_A_LISTEN_PORT = 6;
const WGDEVICE_A_FWMARK = 7;
const WGDEVICE_A_PEERS = 8;
const WGDEVICE_F_REPLACE_PEERS = 1;

const WGPEER_A_PUBLIC_KEY = 1;
const WGPEER_A_PRESHARED_KEY = 2;
const WGPEER_A_FLAGS = 3;
const WGPEER_A_ENDPOINT = 4;
const WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL = 5;
const WGPEER_A_LAST_HANDSHAKE_TIME = 6;
const WGPEER_A_RX_BYTES = 7;
const WGPEER_A_TX_BYTES = 8;
const WGPEER_A_ALLOWEDIPS = 9;
const WGPEER_F_REMOVE_ME = 1;
const WGPEER_F_REPLACE_ALLOWEDIPS = 2;

const WGALLOWEDIP_A_FAMILY = 1;
const WGALLOWEDIP_A_IPADDR = 2;
const WGALLOWEDIP_A_CIDR_MASK = 3;

const AF_INET = 2;
const AF_INET6 = 10;
const ZERO_KEY = Buffer.alloc(32).toString('base64');

export interface WgPeer {
  publicKey: string;
  /** "" when none. */
  presharedKey: string;
  /** "ip:port" / "[ip]:port", "" when none. */
  endpoint: string;
  /** Seconds, 0 when off. */
  persistentKeepalive: number;
  allowedIPs: string[];
  lastHandshakeSeconds?: number;
  rxBytes?: number;
  txBytes?: number;
}

export interface WgDevice {
  privateKey: string;
  publicKey: string;
  listenPort: number;
  firewallMark: number;
  peers: WgPeer[];
}

/** A change to a device: only the fields present are sent. */
export interface WgChange {
  privateKey?: string;
  listenPort?: number;
  firewallMark?: number;
  replacePeers?: boolean;
  peers?: Array<{
    publicKey: string;
    remove?: boolean;
    presharedKey?: string;
    endpoint?: string;
    persistentKeepalive?: number;
    replaceAllowedIPs?: boolean;
    allowedIPs?: string[];
  }>;
}

function decodeEndpoint(b: Buffer): string {
  if (b.length < 4) return '';
  const family = b.readUInt16LE(0);
  const port = b.readUInt16BE(2);
  if (family === AF_INET && b.length >= 8) return `${formatBytes(b, 4, 4)}:${port}`;
  if (family === AF_INET6 && b.length >= 24) return `[${formatBytes(b, 8, 16)}]:${port}`;
  return '';
}

function encodeEndpoint(endpoint: string): Buffer {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(endpoint);
  const ip = m ? parseIP(m[1] ?? m[2] ?? '') : undefined;
  if (!m || !ip) throw new Error(`WireGuard endpoint "${endpoint}" must be ip:port (names are resolved before)`);
  const port = Number(m[3]);
  if (ip.family === 'inet4') {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    b.set(ip.bytes, 4);
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b.set(ip.bytes, 8);
  return b;
}

function decodePeer(r: AttrReader): WgPeer {
  const peer: WgPeer = { publicKey: '', presharedKey: '', endpoint: '', persistentKeepalive: 0, allowedIPs: [] };
  while (r.next()) {
    switch (r.type) {
      case WGPEER_A_PUBLIC_KEY:
        peer.publicKey = r.bytes().toString('base64');
        break;
      case WGPEER_A_PRESHARED_KEY: {
        const k = r.bytes().toString('base64');
        peer.presharedKey = k === ZERO_KEY ? '' : k;
        break;
      }
      case WGPEER_A_ENDPOINT:
        peer.endpoint = decodeEndpoint(r.bytes());
        break;
      case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
        peer.persistentKeepalive = r.u16();
        break;
      case WGPEER_A_LAST_HANDSHAKE_TIME:
        if (r.length >= 8) peer.lastHandshakeSeconds = Number(r.buf.readBigInt64LE(r.offset));
        break;
      case WGPEER_A_RX_BYTES:
        peer.rxBytes = Number(r.u64());
        break;
      case WGPEER_A_TX_BYTES:
        peer.txBytes = Number(r.u64());
        break;
      case WGPEER_A_ALLOWEDIPS: {
        const list = r.nested();
        while (list.next()) {
          const a = list.nested();
          let bytes: Buffer | undefined;
          let mask = 0;
          while (a.next()) {
            if (a.type === WGALLOWEDIP_A_IPADDR) bytes = a.bytes();
            else if (a.type === WGALLOWEDIP_A_CIDR_MASK) mask = a.u8();
          }
          if (bytes && (bytes.length === 4 || bytes.length === 16)) peer.allowedIPs.push(`${formatBytes(bytes, 0, bytes.length)}/${mask}`);
        }
        break;
      }
      default:
        break;
    }
  }
  return peer;
}

/** One message of a WG_CMD_GET_DEVICE dump: the device's fields and the peers it carries. */
export function decodeDevicePart(m: NlMessage): WgDevice {
  const part: WgDevice = { privateKey: '', publicKey: '', listenPort: 0, firewallMark: 0, peers: [] };
  const r = genlAttributes(m);
  while (r.next()) {
    if (r.type === WGDEVICE_A_PRIVATE_KEY) part.privateKey = r.bytes().toString('base64');
    else if (r.type === WGDEVICE_A_PUBLIC_KEY) part.publicKey = r.bytes().toString('base64');
    else if (r.type === WGDEVICE_A_LISTEN_PORT) part.listenPort = r.u16();
    else if (r.type === WGDEVICE_A_FWMARK) part.firewallMark = r.u32();
    else if (r.type === WGDEVICE_A_PEERS) {
      const peers = r.nested();
      while (peers.next()) part.peers.push(decodePeer(peers.nested()));
    }
  }
  return part;
}

/** The parts of a dump as one device: a device with many peers arrives in several messages, and a peer may continue across them. */
export function mergeDeviceParts(parts: readonly WgDevice[]): WgDevice | undefined {
  if (parts.length === 0) return undefined;
  const device = { ...parts[0]!, peers: [] as WgPeer[] };
  for (const part of parts) {
    for (const peer of part.peers) {
      const last = device.peers.at(-1);
      if (last && last.publicKey === peer.publicKey) last.allowedIPs.push(...peer.allowedIPs);
      else device.peers.push(peer);
    }
  }
  if (device.privateKey === ZERO_KEY) device.privateKey = '';
  return device;
}

type PeerChange = NonNullable<WgChange['peers']>[number];

/** One peer's part of a message: its attributes, then the allowed IPs it carries there. */
interface PeerPart {
  head: Buffer;
  allowedIPs: Buffer[];
}

/** One WG_CMD_SET_DEVICE message: the device settings (first message only), then whole or partial peers. */
interface DeviceMessage {
  first: boolean;
  peers: PeerPart[];
}

const NLA_HDRLEN = 4;

function encodeAllowedIP(cidr: string): Buffer {
  const slash = cidr.indexOf('/');
  const ip = slash > 0 ? parseIP(cidr.slice(0, slash)) : undefined;
  const bits = Number(cidr.slice(slash + 1));
  if (!ip || !Number.isInteger(bits) || bits < 0 || bits > ip.bytes.length * 8) throw new Error(`allowed IP "${cidr}" is not a CIDR`);
  const w = new NlWriter(48);
  const a = w.beginNested(0);
  w.attrU16(WGALLOWEDIP_A_FAMILY, ip.family === 'inet4' ? AF_INET : AF_INET6);
  w.attrBytes(WGALLOWEDIP_A_IPADDR, ip.bytes);
  w.attrU8(WGALLOWEDIP_A_CIDR_MASK, bits);
  w.endNested(a);
  return w.toBuffer();
}

/** A peer's attributes: everything for its first part; a continuation repeats only the key (and "remove"). */
function encodePeerHead(p: PeerChange, continuation: boolean): Buffer {
  const w = new NlWriter(128);
  w.attrBytes(WGPEER_A_PUBLIC_KEY, Buffer.from(p.publicKey, 'base64'));
  let flags = 0;
  if (p.remove) flags |= WGPEER_F_REMOVE_ME;
  if (!continuation && p.replaceAllowedIPs) flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
  if (flags) w.attrU32(WGPEER_A_FLAGS, flags);
  if (!continuation && !p.remove) {
    if (p.presharedKey !== undefined) w.attrBytes(WGPEER_A_PRESHARED_KEY, p.presharedKey === '' ? Buffer.alloc(32) : Buffer.from(p.presharedKey, 'base64'));
    if (p.endpoint !== undefined && p.endpoint !== '') w.attrBytes(WGPEER_A_ENDPOINT, encodeEndpoint(p.endpoint));
    if (p.persistentKeepalive !== undefined) w.attrU16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p.persistentKeepalive);
  }
  return w.toBuffer();
}

function encodeDeviceHead(name: string, change: WgChange, first: boolean): Buffer {
  const w = new NlWriter(128);
  w.attrString(WGDEVICE_A_IFNAME, name);
  if (first) {
    if (change.privateKey !== undefined) w.attrBytes(WGDEVICE_A_PRIVATE_KEY, Buffer.from(change.privateKey, 'base64'));
    if (change.listenPort !== undefined) w.attrU16(WGDEVICE_A_LISTEN_PORT, change.listenPort);
    if (change.firewallMark !== undefined) w.attrU32(WGDEVICE_A_FWMARK, change.firewallMark);
    if (change.replacePeers) w.attrU32(WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
  }
  return w.toBuffer();
}

/** Attribute bytes a message may carry (after the netlink and generic netlink headers). */
export const WG_MESSAGE_BUDGET = 32 * 1024;

/**
 * Splits a change into WG_CMD_SET_DEVICE messages the way `wg` does
 * (wireguard-tools kernel_set_device): the device settings go in the first
 * message; peers are added while they fit; a peer whose allowed IPs do not all
 * fit is closed and continued in the next message, which repeats its public
 * key without the replace-allowed-IPs flag (the kernel then adds the rest).
 * `wg` fills a page per message; netcfg fills `budget` bytes (32 KiB: half the
 * 64 KiB a nested attribute can hold), so 1000 peers take a few dozen messages.
 */
export function planDeviceMessages(name: string, change: WgChange, budget = WG_MESSAGE_BUDGET): DeviceMessage[] {
  const first = encodeDeviceHead(name, change, true);
  const cont = encodeDeviceHead(name, change, false);
  const messages: DeviceMessage[] = [{ first: true, peers: [] }];
  // bytes used in the current message: its device head, and the WGDEVICE_A_PEERS header once a peer is in
  let used = first.length;
  const open = () => {
    messages.push({ first: false, peers: [] });
    used = cont.length;
  };
  for (const p of change.peers ?? []) {
    const allowed = (p.remove ? [] : (p.allowedIPs ?? [])).map(encodeAllowedIP);
    let next = 0;
    let continuation = false;
    for (;;) {
      const head = encodePeerHead(p, continuation);
      const current = messages.at(-1)!;
      const peersHeader = current.peers.length === 0 ? NLA_HDRLEN : 0;
      // a peer part: its nest header and head, then the allowed IPs nest header and at least one allowed IP (if any)
      const minimum = peersHeader + NLA_HDRLEN + head.length + (next < allowed.length ? NLA_HDRLEN + allowed[next]!.length : 0);
      if (used + minimum > budget) {
        if (current.peers.length === 0) throw new Error(`WireGuard peer ${p.publicKey} does not fit a ${budget}-byte message`);
        open();
        continue;
      }
      used += minimum;
      const part: PeerPart = { head, allowedIPs: [] };
      if (next < allowed.length) {
        part.allowedIPs.push(allowed[next++]!);
        while (next < allowed.length && used + allowed[next]!.length <= budget) {
          used += allowed[next]!.length;
          part.allowedIPs.push(allowed[next++]!);
        }
      }
      current.peers.push(part);
      if (next >= allowed.length) break;
      // the rest of this peer's allowed IPs go in the next message
      open();
      continuation = true;
    }
  }
  return messages;
}

/** The attribute bytes of each message of a change (what follows the generic netlink header). */
export function deviceMessageBytes(name: string, change: WgChange, budget = WG_MESSAGE_BUDGET): Buffer[] {
  return planDeviceMessages(name, change, budget).map((m) => {
    const w = new NlWriter();
    encodeMessage(w, name, change, m);
    return w.toBuffer();
  });
}

function encodeMessage(w: NlWriter, name: string, change: WgChange, m: DeviceMessage): void {
  w.bytes(encodeDeviceHead(name, change, m.first));
  if (m.peers.length === 0) return;
  const peers = w.beginNested(WGDEVICE_A_PEERS);
  for (const part of m.peers) {
    const peer = w.beginNested(0);
    w.bytes(part.head);
    if (part.allowedIPs.length > 0) {
      const list = w.beginNested(WGPEER_A_ALLOWEDIPS);
      for (const a of part.allowedIPs) w.bytes(a);
      w.endNested(list);
    }
    w.endNested(peer);
  }
  w.endNested(peers);
}

export class WireguardClient {
  constructor(readonly genl: GenlClient) {}

  private async family(): Promise<GenlFamily> {
    const f = await this.genl.family('wireguard');
    if (!f) throw new Error('the kernel has no WireGuard support (generic netlink family "wireguard" is missing; load the wireguard module)');
    return f;
  }

  async getDevice(name: string): Promise<WgDevice | undefined> {
    const family = await this.family();
    const request = genlRequest(family, WG_CMD_GET_DEVICE, false, (w) => w.attrString(WGDEVICE_A_IFNAME, name), () => `read WireGuard device ${name}`);
    request.flags = NLM_F_DUMP;
    return mergeDeviceParts(await this.genl.conn.dump(request, decodeDevicePart));
  }

  /**
   * Applies a change in as many messages as it takes (planDeviceMessages), one
   * after the other; the first one refused stops the rest, as with `wg set`.
   */
  async setDevice(name: string, change: WgChange, budget = WG_MESSAGE_BUDGET): Promise<void> {
    const family = await this.family();
    const messages = planDeviceMessages(name, change, budget);
    for (const [i, m] of messages.entries()) {
      const what = messages.length === 1 ? `configure WireGuard device ${name}` : `configure WireGuard device ${name} (message ${i + 1} of ${messages.length})`;
      await this.genl.conn.exec(genlRequest(family, WG_CMD_SET_DEVICE, true, (w) => encodeMessage(w, name, change, m), () => what));
    }
  }

  close(): void {
    this.genl.close();
  }
}
