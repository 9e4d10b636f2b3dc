// Frames that announce that an address moved to this link: a gratuitous ARP
// request for IPv4 (sender = target = the address, sender hardware = the
// link's MAC, to broadcast, as Talos sends it), and an unsolicited neighbour
// advertisement for IPv6 (RFC 4861 §7.2.6: override flag, to all-nodes ff02::1,
// with the target link-layer address option). Both are built for a SOCK_DGRAM
// packet socket: the kernel adds the Ethernet header.
import { parseIP, parseIPv6 } from './ip.js';

export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
/** ff02::1 on Ethernet (RFC 2464 §7). */
export const ALL_NODES_MAC = '33:33:00:00:00:01';

const ARP_REQUEST = 1;
const ICMPV6 = 58;
const NEIGHBOR_ADVERTISEMENT = 136;
const NA_FLAG_OVERRIDE = 0x20000000;
const OPTION_TARGET_LINK_ADDRESS = 2;

export function parseMac(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a 6-byte MAC address: "${mac}"`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** The ARP payload of a gratuitous ARP request for `ip` (IPv4) from `mac`. */
export function gratuitousArp(ip: string, mac: string): Buffer {
  const addr = parseIP(ip);
  if (addr?.family !== 'inet4') throw new Error(`gratuitous ARP needs an IPv4 address, not "${ip}"`);
  const hw = parseMac(mac);
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(0x0800, 2); // IPv4
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(ARP_REQUEST, 6);
  hw.copy(b, 8);
  Buffer.from(addr.bytes).copy(b, 14);
  parseMac(BROADCAST_MAC).copy(b, 18);
  Buffer.from(addr.bytes).copy(b, 24);
  return b;
}

/** The Internet checksum (RFC 1071) of `data`. */
function checksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv6 packet: an unsolicited neighbour advertisement of `ip` (from itself) with `mac`, to ff02::1. */
export function unsolicitedNeighborAdvertisement(ip: string, mac: string): Buffer {
  const addr = parseIP(ip);
  if (addr?.family !== 'inet6') throw new Error(`a neighbour advertisement needs an IPv6 address, not "${ip}"`);
  const src = Buffer.from(addr.bytes);
  const dst = Buffer.from(parseIPv6('ff02::1')!);
  const icmp = Buffer.alloc(32);
  icmp[0] = NEIGHBOR_ADVERTISEMENT;
  icmp[1] = 0;
  icmp.writeUInt32BE(NA_FLAG_OVERRIDE, 4);
  src.copy(icmp, 8);
  icmp[24] = OPTION_TARGET_LINK_ADDRESS;
  icmp[25] = 1; // in units of 8 bytes
  parseMac(mac).copy(icmp, 26);
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0);
  dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo[39] = ICMPV6;
  icmp.writeUInt16BE(checksum(Buffer.concat([pseudo, icmp])), 2);
  const header = Buffer.alloc(40);
  header.writeUInt32BE(0x60000000, 0);
  header.writeUInt16BE(icmp.length, 4);
  header[6] = ICMPV6;
  header[7] = 255; // hop limit: receivers drop neighbour discovery with any other
  src.copy(header, 8);
  dst.copy(header, 24);
  return Buffer.concat([header, icmp]);
}

/** The frame announcing `ip` from `mac`: its payload, EtherType and destination MAC. */
export function announcement(ip: string, mac: string): { payload: Buffer; protocol: number; destination: string } {
  return parseIP(ip)?.family === 'inet6'
    ? { payload: unsolicitedNeighborAdvertisement(ip, mac), protocol: ETH_P_IPV6, destination: ALL_NODES_MAC }
    : { payload: gratuitousArp(ip, mac), protocol: ETH_P_ARP, destination: BROADCAST_MAC };
}
