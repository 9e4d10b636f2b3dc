// BOOTP/DHCP message codec (RFC 2131 §2, RFC 2132 options area).
//
//   0      op, htype, hlen, hops      4 xid       8 secs, flags
//   12     ciaddr  16 yiaddr  20 siaddr  24 giaddr
//   28     chaddr (16)   44 sname (64)   108 file (128)
//   236    magic cookie 99.130.83.99     240 options
//
// Decoding never reads past the buffer and every loop advances, so any input
// ends in a message or a Dhcp4DecodeError.
import { formatIPv4, parseIPv4 } from '../../net/ip.js';
import { Dhcp4DecodeError } from './errors.js';
import { OPT } from './options.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const HTYPE_ETHERNET = 1;
export const MAGIC_COOKIE = 0x63825363;
/** flags: ask the server to broadcast its reply (RFC 2131 §4.1). */
export const FLAG_BROADCAST = 0x8000;
/** RFC 1542 §3.1.1 / RFC 2131: relays may drop BOOTP messages shorter than 300 bytes. */
export const MIN_MESSAGE_SIZE = 300;

const HEADER = 236;
const OPTIONS_START = HEADER + 4;
const SNAME = { offset: 44, length: 64 };
const FILE = { offset: 108, length: 128 };

export interface Dhcp4Message {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The client hardware address: the first `hlen` bytes of the chaddr field. */
  chaddr: Buffer;
  /** "" when the field holds options (option 52). */
  sname: string;
  file: string;
  /**
   * Raw options, in order of first appearance; repeated instances of a code
   * are concatenated (RFC 3396), so long values come back whole.
   */
  options: Map<number, Buffer>;
}

/** A message with the usual defaults: a BOOTREQUEST from an Ethernet client. */
export function newMessage(fields: Partial<Dhcp4Message> & Pick<Dhcp4Message, 'xid' | 'chaddr'>): Dhcp4Message {
  return {
    op: BOOTREQUEST,
    htype: HTYPE_ETHERNET,
    hlen: fields.chaddr.length,
    hops: 0,
    secs: 0,
    flags: 0,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: '0.0.0.0',
    sname: '',
    file: '',
    options: new Map(),
    ...fields,
  };
}

function putIP(buf: Buffer, offset: number, ip: string): void {
  const b = parseIPv4(ip);
  if (!b) throw new RangeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  buf.set(b, offset);
}

function putText(buf: Buffer, field: { offset: number; length: number }, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length >= field.length) throw new RangeError(`text too long for a ${field.length}-byte field`);
  buf.set(bytes, field.offset);
}

/** Options as TLVs; values over 255 bytes are split into several instances (RFC 3396). */
function encodeOptions(options: ReadonlyMap<number, Uint8Array>): Buffer[] {
  const parts: Buffer[] = [];
  const codes = [...options.keys()];
  // the message type first, as every implementation writes it
  codes.sort((a, b) => (a === OPT.MessageType ? -1 : b === OPT.MessageType ? 1 : 0));
  for (const code of codes) {
    if (!Number.isInteger(code) || code <= OPT.Pad || code >= OPT.End) throw new RangeError(`bad option code ${code}`);
    const data = options.get(code)!;
    if (data.length === 0) {
      parts.push(Buffer.from([code, 0]));
      continue;
    }
    for (let i = 0; i < data.length; i += 255) {
      const chunk = data.subarray(i, i + 255);
      parts.push(Buffer.from([code, chunk.length]), Buffer.from(chunk));
    }
  }
  return parts;
}

export function encodeMessage(m: Dhcp4Message): Buffer {
  if (m.chaddr.length > 16) throw new RangeError('chaddr longer than 16 bytes');
  const head = Buffer.alloc(OPTIONS_START);
  head.writeUInt8(m.op, 0);
  head.writeUInt8(m.htype, 1);
  head.writeUInt8(m.hlen, 2);
  head.writeUInt8(m.hops, 3);
  head.writeUInt32BE(m.xid >>> 0, 4);
  head.writeUInt16BE(m.secs, 8);
  head.writeUInt16BE(m.flags, 10);
  putIP(head, 12, m.ciaddr);
  putIP(head, 16, m.yiaddr);
  putIP(head, 20, m.siaddr);
  putIP(head, 24, m.giaddr);
  head.set(m.chaddr, 28);
  putText(head, SNAME, m.sname);
  putText(head, FILE, m.file);
  head.writeUInt32BE(MAGIC_COOKIE, HEADER);
  const out = Buffer.concat([head, ...encodeOptions(m.options), Buffer.from([OPT.End])]);
  return out.length >= MIN_MESSAGE_SIZE ? out : Buffer.concat([out, Buffer.alloc(MIN_MESSAGE_SIZE - out.length)]);
}

/**
 * Parses TLVs in [start, end) into `into` (the pieces of each code, in order).
 * Pad is skipped; End or the area's end stops. Repeats are joined once at the
 * end: joining as they come copies quadratically (a 9000-byte packet of
 * one-byte repeats took 200 ms).
 */
function parseOptionArea(buf: Uint8Array, start: number, end: number, into: Map<number, Uint8Array[]>, allowOverload: boolean): void {
  let pos = start;
  while (pos < end) {
    const code = buf[pos]!;
    if (code === OPT.Pad) {
      pos++;
      continue;
    }
    if (code === OPT.End) return;
    if (pos + 1 >= end) throw new Dhcp4DecodeError('option-truncated', 'option length missing', code);
    const len = buf[pos + 1]!;
    if (pos + 2 + len > end) throw new Dhcp4DecodeError('option-truncated', `length ${len} runs past the end of the options`, code);
    const data = buf.subarray(pos + 2, pos + 2 + len);
    pos += 2 + len;
    if (code === OPT.Overload && !allowOverload) continue; // only meaningful in the options field
    const parts = into.get(code);
    if (parts === undefined) into.set(code, [data]);
    else parts.push(data);
  }
}

/** Each code's pieces as one copied value (RFC 3396 concatenation). */
function joinOptions(parts: ReadonlyMap<number, Uint8Array[]>): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const [code, list] of parts) out.set(code, list.length === 1 ? Buffer.from(list[0]!) : Buffer.concat(list));
  return out;
}

function cString(buf: Uint8Array, field: { offset: number; length: number }): string {
  const bytes = buf.subarray(field.offset, field.offset + field.length);
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString('latin1');
}

/** Decodes a DHCP message; throws Dhcp4DecodeError for anything malformed. */
export function decodeMessage(buf: Uint8Array): Dhcp4Message {
  if (buf.length < OPTIONS_START) throw new Dhcp4DecodeError('short', `${buf.length} bytes, a DHCP message has at least ${OPTIONS_START}`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.readUInt32BE(HEADER) !== MAGIC_COOKIE) throw new Dhcp4DecodeError('cookie', 'no DHCP magic cookie');
  const hlen = view.readUInt8(2);
  if (hlen > 16) throw new Dhcp4DecodeError('hlen', `hardware address length ${hlen}`);
  const parts = new Map<number, Uint8Array[]>();
  parseOptionArea(view, OPTIONS_START, view.length, parts, true);
  // Option overload (RFC 2132 §9.3): file and/or sname carry more options.
  const overloadParts = parts.get(OPT.Overload);
  const overload = overloadParts === undefined ? undefined : Buffer.concat(overloadParts);
  let mode = 0;
  if (overload !== undefined) {
    if (overload.length !== 1 || overload[0]! < 1 || overload[0]! > 3) throw new Dhcp4DecodeError('option-value', 'overload must be 1, 2 or 3', OPT.Overload);
    mode = overload[0]!;
    if (mode & 1) parseOptionArea(view, FILE.offset, FILE.offset + FILE.length, parts, false);
    if (mode & 2) parseOptionArea(view, SNAME.offset, SNAME.offset + SNAME.length, parts, false);
  }
  return {
    op: view.readUInt8(0),
    htype: view.readUInt8(1),
    hlen,
    hops: view.readUInt8(3),
    xid: view.readUInt32BE(4),
    secs: view.readUInt16BE(8),
    flags: view.readUInt16BE(10),
    ciaddr: formatIPv4(view, 12),
    yiaddr: formatIPv4(view, 16),
    siaddr: formatIPv4(view, 20),
    giaddr: formatIPv4(view, 24),
    chaddr: Buffer.from(view.subarray(28, 28 + hlen)),
    sname: mode & 2 ? '' : cString(view, SNAME),
    file: mode & 1 ? '' : cString(view, FILE),
    options: joinOptions(parts),
  };
}
