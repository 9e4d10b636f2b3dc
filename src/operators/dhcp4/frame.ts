// IPv4 + UDP headers around a DHCP payload, for a packet socket of type
// SOCK_DGRAM on ETH_P_IP: the socket takes and gives IP packets and the kernel
// adds or strips the Ethernet header. A DHCP client needs this because it
// sends from 0.0.0.0 and hears replies before it has an address.
import { formatIPv4, parseIPv4 } from '../../net/ip.js';

export const IPPROTO_UDP = 17;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

const IP_HEADER = 20;
const UDP_HEADER = 8;

export interface UdpPacketFields {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  /** Default 64. */
  ttl?: number;
}

export interface UdpDatagram {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** RFC 1071 ones' complement sum of 16-bit words (an odd last byte is padded with zero), not yet complemented. */
function sum16(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The pseudo-header sum: source, destination, protocol, UDP length (RFC 768). */
function pseudoSum(ip: Uint8Array, ipOffset: number, udpLength: number): number {
  return sum16(ip, ipOffset + 12, ipOffset + 20, IPPROTO_UDP + udpLength);
}

function addr(ip: string): Uint8Array {
  const b = parseIPv4(ip);
  if (!b) throw new RangeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return b;
}

function port(p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RangeError(`not a port: ${p}`);
  return p;
}

/** An IPv4 packet (no options, DF clear, id 0) holding one UDP datagram, with both checksums. */
export function udpPacket(f: UdpPacketFields): Buffer {
  const udpLength = UDP_HEADER + f.payload.length;
  const total = IP_HEADER + udpLength;
  if (total > 0xffff) throw new RangeError('payload too large for one IPv4 packet');
  const buf = Buffer.alloc(total);
  buf.writeUInt8(0x45, 0); // version 4, header length 5 words
  buf.writeUInt16BE(total, 2);
  buf.writeUInt8(f.ttl ?? 64, 8);
  buf.writeUInt8(IPPROTO_UDP, 9);
  buf.set(addr(f.src), 12);
  buf.set(addr(f.dst), 16);
  buf.writeUInt16BE(~sum16(buf, 0, IP_HEADER) & 0xffff, 10);
  buf.writeUInt16BE(port(f.srcPort), IP_HEADER);
  buf.writeUInt16BE(port(f.dstPort), IP_HEADER + 2);
  buf.writeUInt16BE(udpLength, IP_HEADER + 4);
  buf.set(f.payload, IP_HEADER + UDP_HEADER);
  const c = ~sum16(buf, IP_HEADER, total, pseudoSum(buf, 0, udpLength)) & 0xffff;
  // 0 means "no checksum" in IPv4 UDP, so a computed 0 is sent as 0xffff (RFC 768)
  buf.writeUInt16BE(c === 0 ? 0xffff : c, IP_HEADER + 6);
  return buf;
}

export interface ParseUdpOptions {
  /**
   * Verify the UDP checksum (default true). A packet socket can deliver
   * packets whose checksum the NIC has not filled in yet (checksum offload,
   * TP_STATUS_CSUMNOTREADY in PACKET_AUXDATA); the transport then passes false.
   */
  verifyChecksum?: boolean;
}

/**
 * The UDP datagram in an IPv4 packet, or undefined for anything else: not
 * IPv4, not UDP, a fragment, a bad header checksum or UDP checksum (0 means
 * none, RFC 768), or lengths that do not fit. Bytes past the IP total length
 * (Ethernet padding) are ignored.
 */
export function parseUdpPacket(buf: Uint8Array, opts: ParseUdpOptions = {}): UdpDatagram | undefined {
  if (buf.length < IP_HEADER) return undefined;
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const vihl = view.readUInt8(0);
  if (vihl >> 4 !== 4) return undefined;
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < IP_HEADER) return undefined;
  const total = view.readUInt16BE(2);
  if (total < ihl + UDP_HEADER || total > view.length) return undefined;
  if (view.readUInt16BE(6) & 0x3fff) return undefined; // more-fragments flag or a fragment offset
  if (view.readUInt8(9) !== IPPROTO_UDP) return undefined;
  if (sum16(view, 0, ihl) !== 0xffff) return undefined;
  const udpLength = view.readUInt16BE(ihl + 4);
  if (udpLength < UDP_HEADER || ihl + udpLength > total) return undefined;
  const checksum = view.readUInt16BE(ihl + 6);
  if (checksum !== 0 && opts.verifyChecksum !== false && sum16(view, ihl, ihl + udpLength, pseudoSum(view, 0, udpLength)) !== 0xffff) return undefined;
  return {
    src: formatIPv4(view, 12),
    dst: formatIPv4(view, 16),
    srcPort: view.readUInt16BE(ihl),
    dstPort: view.readUInt16BE(ihl + 2),
    payload: Buffer.from(view.subarray(ihl + UDP_HEADER, ihl + udpLength)),
  };
}
