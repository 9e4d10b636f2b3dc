// Netlink framing and attributes: NlWriter builds one or more messages into a
// growable buffer; AttrReader walks attributes without allocating per attribute.
import os from 'node:os';
import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN, align4 } from './constants.js';
import { NetlinkDecodeError } from './errors.js';
import { formatIPv4, formatIPv6 } from '../net/ip.js';

const LE = os.endianness() === 'LE';

export class NlWriter {
  private buf: Buffer;
  private off = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.off;
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /** Starts a message; returns its start offset for endMessage(). */
  beginMessage(type: number, flags: number, seq: number, portId: number): number {
    this.ensure(NLMSG_HDRLEN);
    const start = this.off;
    this.u32(0);
    this.u16(type);
    this.u16(flags);
    this.u32(seq >>> 0);
    this.u32(portId >>> 0);
    return start;
  }

  endMessage(start: number): void {
    this.pad();
    this.writeU32At(start, this.off - start);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    if (LE) this.buf.writeUInt16LE(v & 0xffff, this.off);
    else this.buf.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.writeU32At(this.off, v);
    this.off += 4;
    return this;
  }

  s32(v: number): this {
    this.ensure(4);
    if (LE) this.buf.writeInt32LE(v, this.off);
    else this.buf.writeInt32BE(v, this.off);
    this.off += 4;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    if (LE) this.buf.writeBigUInt64LE(v, this.off);
    else this.buf.writeBigUInt64BE(v, this.off);
    this.off += 8;
    return this;
  }

  u16be(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
    return this;
  }

  u32be(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.off, this.off + n);
    this.off += n;
    return this;
  }

  /** Pads with zeros to a 4-byte boundary. */
  pad(): this {
    const aligned = align4(this.off);
    if (aligned > this.off) this.zeros(aligned - this.off);
    return this;
  }

  private writeU32At(at: number, v: number): void {
    if (LE) this.buf.writeUInt32LE(v >>> 0, at);
    else this.buf.writeUInt32BE(v >>> 0, at);
  }

  private header(type: number, valueLength: number): void {
    this.ensure(NLA_HDRLEN + valueLength + 3);
    this.u16(NLA_HDRLEN + valueLength);
    this.u16(type);
  }

  attrU8(type: number, v: number): this {
    this.header(type, 1);
    return this.u8(v).pad();
  }

  attrU16(type: number, v: number): this {
    this.header(type, 2);
    return this.u16(v).pad();
  }

  attrU32(type: number, v: number): this {
    this.header(type, 4);
    return this.u32(v);
  }

  attrS32(type: number, v: number): this {
    this.header(type, 4);
    return this.s32(v);
  }

  attrU64(type: number, v: bigint): this {
    this.header(type, 8);
    return this.u64(v);
  }

  attrU16be(type: number, v: number): this {
    this.header(type, 2);
    return this.u16be(v).pad();
  }

  attrU32be(type: number, v: number): this {
    this.header(type, 4);
    return this.u32be(v);
  }

  attrFlag(type: number): this {
    this.header(type, 0);
    return this;
  }

  /** A NUL-terminated string attribute. */
  attrString(type: number, s: string): this {
    const len = Buffer.byteLength(s);
    this.header(type, len + 1);
    this.ensure(len + 1);
    this.off += this.buf.write(s, this.off);
    this.buf[this.off++] = 0;
    return this.pad();
  }

  attrBytes(type: number, b: Uint8Array): this {
    this.header(type, b.length);
    return this.bytes(b).pad();
  }

  /** Starts a nested attribute (NLA_F_NESTED set); returns its offset for endNested(). */
  beginNested(type: number): number {
    const start = this.off;
    this.header(type | NLA_F_NESTED, 0);
    return start;
  }

  endNested(start: number): void {
    const len = this.off - start;
    if (len > 0xffff) throw new RangeError(`nested attribute too long (${len} bytes)`);
    if (LE) this.buf.writeUInt16LE(len, start);
    else this.buf.writeUInt16BE(len, start);
  }

  /** A copy of everything written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.off));
  }

  /** The bytes written so far (a view; valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.off);
  }

  reset(): void {
    this.off = 0;
  }
}

// Host-order integers, read from the bytes: Buffer's readUInt16LE and the like
// validate their offset through a wrapper of node's on every call, and at a
// netlink dump's rate they were what V8 optimised first at the daemon's start
// (a few MB of its compiler's code paged in for them alone).

function outOfRange(buf: Uint8Array, off: number, size: number): RangeError {
  return new RangeError(`reading ${size} bytes at offset ${off} of a ${buf.length}-byte buffer`);
}

export function readU16(buf: Uint8Array, off: number): number {
  if (!(off >= 0 && off + 2 <= buf.length)) throw outOfRange(buf, off, 2);
  return LE ? buf[off]! | (buf[off + 1]! << 8) : (buf[off]! << 8) | buf[off + 1]!;
}

export function readS32(buf: Uint8Array, off: number): number {
  if (!(off >= 0 && off + 4 <= buf.length)) throw outOfRange(buf, off, 4);
  return LE ? buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24) : (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
}

export function readU32(buf: Uint8Array, off: number): number {
  return readS32(buf, off) >>> 0;
}

/**
 * Iterates attributes in buf[start, end). After next() returns true, `type`,
 * `nested`, `offset` (value start) and `length` (value length) describe the
 * current attribute and the typed getters read its value. Malformed input
 * throws NetlinkDecodeError.
 */
export class AttrReader {
  type = 0;
  isNested = false;
  offset = 0;
  length = 0;
  private pos = 0;
  buf: Buffer;
  private end = 0;

  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.reset(buf, start, end);
  }

  /** Points the reader at another attribute range (decoders of large dumps reuse one reader). */
  reset(buf: Buffer, start: number, end: number): this {
    if (start < 0 || end > buf.length || start > end) throw new NetlinkDecodeError('attribute range outside the buffer', start);
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  next(): boolean {
    if (this.pos + NLA_HDRLEN > this.end) {
      if (this.pos < this.end && this.end - this.pos >= 1 && this.hasNonPadding()) {
        throw new NetlinkDecodeError(`truncated attribute header (${this.end - this.pos} bytes left)`, this.pos);
      }
      return false;
    }
    const len = readU16(this.buf, this.pos);
    const rawType = readU16(this.buf, this.pos + 2);
    if (len < NLA_HDRLEN || this.pos + len > this.end) {
      throw new NetlinkDecodeError(`attribute length ${len} does not fit (${this.end - this.pos} bytes left)`, this.pos);
    }
    this.type = rawType & NLA_TYPE_MASK;
    this.isNested = (rawType & NLA_F_NESTED) !== 0;
    this.offset = this.pos + NLA_HDRLEN;
    this.length = len - NLA_HDRLEN;
    this.pos += align4(len);
    if (this.pos > this.end) this.pos = this.end;
    return true;
  }

  private hasNonPadding(): boolean {
    for (let i = this.pos; i < this.end; i++) if (this.buf[i] !== 0) return true;
    return false;
  }

  private need(n: number, what: string): void {
    if (this.length < n) throw new NetlinkDecodeError(`attribute ${this.type}: ${what} needs ${n} bytes, has ${this.length}`, this.offset);
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.offset] ?? 0;
  }

  u16(): number {
    this.need(2, 'u16');
    return readU16(this.buf, this.offset);
  }

  u32(): number {
    this.need(4, 'u32');
    return readU32(this.buf, this.offset);
  }

  s32(): number {
    this.need(4, 's32');
    return readS32(this.buf, this.offset);
  }

  u64(): bigint {
    this.need(8, 'u64');
    return LE ? this.buf.readBigUInt64LE(this.offset) : this.buf.readBigUInt64BE(this.offset);
  }

  u16be(): number {
    this.need(2, 'be16');
    return this.buf.readUInt16BE(this.offset);
  }

  u32be(): number {
    this.need(4, 'be32');
    return this.buf.readUInt32BE(this.offset);
  }

  /** A string attribute, up to the first NUL. */
  string(): string {
    let stop = this.offset;
    const end = this.offset + this.length;
    while (stop < end && this.buf[stop] !== 0) stop++;
    return this.buf.toString('utf8', this.offset, stop);
  }

  /** The value bytes (a view into the message buffer). */
  bytes(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.length);
  }

  /** An IPv4 or IPv6 address in canonical text form. */
  ip(): string {
    if (this.length === 4) return formatIPv4(this.buf, this.offset);
    if (this.length === 16) return formatIPv6(this.buf, this.offset);
    throw new NetlinkDecodeError(`attribute ${this.type}: address of ${this.length} bytes`, this.offset);
  }

  /** A link-layer address as lower-case colon-separated hex. */
  hwaddr(): string {
    return formatHardwareAddr(this.buf, this.offset, this.length);
  }

  /** A reader over the attributes nested in the current one. */
  nested(): AttrReader {
    return new AttrReader(this.buf, this.offset, this.offset + this.length);
  }
}

const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatHardwareAddr(buf: Uint8Array, off = 0, len = buf.length - off): string {
  let out = '';
  for (let i = 0; i < len; i++) {
    if (i > 0) out += ':';
    out += hex[buf[off + i] ?? 0];
  }
  return out;
}

export function parseHardwareAddr(s: string): Buffer | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/.test(s)) return undefined;
  return Buffer.from(s.split(':').map((h) => parseInt(h, 16)));
}
