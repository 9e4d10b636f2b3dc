// KubeSpan identity (spec §7.1): the cluster's ULA /64, this node's address in
// it (modified EUI-64 of the first physical link's MAC, as mdlayher/netx eui64),
// and the WireGuard key pair, generated once and kept in a file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jsYaml from 'js-yaml';
import { formatIPv6, parseIP } from '../net/ip.js';
import { generatePrivateKey, publicKey } from '../net/wgkey.js';
import { parseHardwareAddr } from '../netlink/codec.js';
import { ULA_PURPOSE } from './constants.js';

/** The Talos ULA /64 of a cluster for a purpose: SHA-256 of the cluster ID text, bytes 16–31, fd…, byte 7 = purpose. */
export function ulaPrefix(clusterId: string, purpose: number = ULA_PURPOSE.kubespan): string {
  const hash = crypto.createHash('sha256').update(clusterId, 'utf8').digest();
  const bytes = new Uint8Array(16);
  bytes.set(hash.subarray(16, 24), 0);
  bytes[0] = 0xfd;
  bytes[7] = purpose & 0xff;
  return `${formatIPv6(bytes)}/64`;
}

/** Whether an address is a Talos ULA of that purpose (any cluster): fd… with byte 7 = purpose. */
export function isULA(ip: string, purpose: number): boolean {
  const p = parseIP(ip);
  return p?.family === 'inet6' && p.bytes[0] === 0xfd && p.bytes[7] === purpose;
}

export class Eui64Error extends Error {
  constructor(
    readonly code: 'errInvalidPrefix' | 'errInvalidMAC',
    message: string,
  ) {
    super(message);
    this.name = 'Eui64Error';
  }
}

/**
 * The modified EUI-64 address of a MAC in an IPv6 /64 (mdlayher/netx
 * eui64.ParseMAC): a 6-byte MAC gets ff:fe in the middle, an 8-byte one is
 * copied, and the universal/local bit is flipped. The prefix must have no bits
 * in the interface identifier.
 */
export function eui64(prefix: string, mac: string): string {
  const p = parseIP(prefix.replace(/\/\d+$/, ''));
  if (!p || p.family !== 'inet6' || p.bytes.subarray(8).some((b) => b !== 0)) throw new Eui64Error('errInvalidPrefix', `prefix ${prefix} is not an IPv6 /64 prefix`);
  const hw = parseHardwareAddr(mac);
  if (!hw || (hw.length !== 6 && hw.length !== 8)) throw new Eui64Error('errInvalidMAC', `hardware address ${mac} is not 6 or 8 bytes`);
  const ip = new Uint8Array(16);
  ip.set(p.bytes.subarray(0, 8), 0);
  if (hw.length === 6) {
    ip.set(hw.subarray(0, 3), 8);
    ip[11] = 0xff;
    ip[12] = 0xfe;
    ip.set(hw.subarray(3, 6), 13);
  } else {
    ip.set(hw, 8);
  }
  ip[8]! ^= 0x02;
  return formatIPv6(ip);
}

/** This node's KubeSpan address (/128) and the cluster subnet (/64). */
export function kubespanAddress(clusterId: string, mac: string): { address: string; subnet: string } {
  const subnet = ulaPrefix(clusterId, ULA_PURPOSE.kubespan);
  return { address: `${eui64(subnet, mac)}/128`, subnet };
}

/** The MAC of the first physical link in name order (Talos FirstHardwareAddr: LinkStatuses sorted by ID). */
export function firstHardwareAddr(links: ReadonlyArray<{ name: string; physical: boolean; hardwareAddr: string }>): string | undefined {
  const sorted = [...links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.find((l) => l.physical)?.hardwareAddr;
}

/** KubeSpan identity as Talos's KubeSpanIdentity holds it. */
export interface KubespanIdentity {
  /** "<ULA>/128" */
  address: string;
  /** "<ULA prefix>/64" */
  subnet: string;
  /** Secret: never logged or shown. */
  privateKey: string;
  publicKey: string;
}

function checkKey(text: unknown, what: string, file: string): string {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(text) || Buffer.from(text, 'base64').length !== 32) {
    throw new Error(`${file}: ${what} is not a base64 WireGuard key (44 characters)`);
  }
  return text;
}

/**
 * The identity kept in `file` (Talos's kubespan-identity.yaml: address, subnet,
 * privateKey, publicKey). The key pair is generated the first time and written
 * with mode 0600 (atomically); later calls reuse it. The address is recomputed
 * from the cluster ID and MAC every time (as Talos does at each boot), and the
 * file is rewritten only when it changed.
 */
export function loadOrCreateIdentity(file: string, clusterId: string, mac: string): KubespanIdentity {
  return identityFrom(file, clusterId, mac, true)!;
}

/** The identity kept in `file`, with the address for this cluster and MAC, without writing anything; undefined when there is no file. */
export function loadIdentity(file: string, clusterId: string, mac: string): KubespanIdentity | undefined {
  return identityFrom(file, clusterId, mac, false);
}

function identityFrom(file: string, clusterId: string, mac: string, create: boolean): KubespanIdentity | undefined {
  const { address, subnet } = kubespanAddress(clusterId, mac);
  let stored: { privateKey: string; publicKey: string } | undefined;
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    let doc: unknown;
    try {
      doc = jsYaml.load(text);
    } catch (err) {
      throw new Error(`${file}: not a KubeSpan identity (${(err as Error).message.split('\n')[0]})`);
    }
    const d = (doc ?? {}) as Record<string, unknown>;
    const privateKey = checkKey(d.privateKey, 'privateKey', file);
    const derived = publicKey(privateKey);
    if (d.publicKey !== undefined && d.publicKey !== '' && d.publicKey !== derived) throw new Error(`${file}: publicKey does not belong to privateKey`);
    stored = { privateKey, publicKey: derived };
    if (!create || (d.address === address && d.subnet === subnet && d.publicKey === derived)) return { address, subnet, ...stored };
  }
  if (!create) return undefined;
  const privateKey = stored?.privateKey ?? generatePrivateKey();
  const identity: KubespanIdentity = { address, subnet, privateKey, publicKey: stored?.publicKey ?? publicKey(privateKey) };
  writePrivate(file, jsYaml.dump(identity));
  return identity;
}

function writePrivate(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
