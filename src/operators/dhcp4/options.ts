// DHCPv4 option codes and typed option values (RFC 2132, RFC 3397 option 119,
// RFC 3442 option 121). Decoders throw Dhcp4DecodeError on malformed data;
// encoders throw RangeError on values that cannot be encoded (a caller bug).
import { formatIPv4, parseIPv4 } from '../../net/ip.js';
import { Dhcp4DecodeError } from './errors.js';

export const OPT = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DNS: 6,
  Hostname: 12,
  DomainName: 15,
  MTU: 26,
  NTP: 42,
  RequestedIP: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  ClientId: 61,
  DomainSearch: 119,
  ClasslessRoutes: 121,
  End: 255,
} as const;

export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

/** An option 121 entry: destination prefix ("10.0.0.0/8") and router ("0.0.0.0": on-link). */
export interface ClasslessRoute {
  dst: string;
  router: string;
}

// ---- scalars and addresses ----

function ipBytes(ip: string): Uint8Array {
  const b = parseIPv4(ip);
  if (!b) throw new RangeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return b;
}

export function encodeIP(ip: string): Buffer {
  return Buffer.from(ipBytes(ip));
}

export function encodeIPs(ips: readonly string[]): Buffer {
  return Buffer.concat(ips.map(encodeIP));
}

export function decodeIP(data: Uint8Array, code: number): string {
  if (data.length !== 4) throw new Dhcp4DecodeError('option-length', `expected 4 bytes, got ${data.length}`, code);
  return formatIPv4(data);
}

export function decodeIPs(data: Uint8Array, code: number): string[] {
  if (data.length === 0 || data.length % 4 !== 0) throw new Dhcp4DecodeError('option-length', `expected a non-empty multiple of 4 bytes, got ${data.length}`, code);
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) out.push(formatIPv4(data, i));
  return out;
}

export function encodeU8(v: number): Buffer {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`not a u8: ${v}`);
  return Buffer.from([v]);
}

export function encodeU16(v: number): Buffer {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`not a u16: ${v}`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

export function encodeU32(v: number): Buffer {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`not a u32: ${v}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

function fixed(data: Uint8Array, n: number, code: number): Buffer {
  if (data.length !== n) throw new Dhcp4DecodeError('option-length', `expected ${n} bytes, got ${data.length}`, code);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function decodeU8(data: Uint8Array, code: number): number {
  return fixed(data, 1, code).readUInt8(0);
}

export function decodeU16(data: Uint8Array, code: number): number {
  return fixed(data, 2, code).readUInt16BE(0);
}

export function decodeU32(data: Uint8Array, code: number): number {
  return fixed(data, 4, code).readUInt32BE(0);
}

/** Text options are bytes; latin1 keeps every byte (callers validate names). */
export function encodeString(s: string): Buffer {
  if (s.length === 0) throw new RangeError('empty string option');
  return Buffer.from(s, 'latin1');
}

/** Text with NULs trimmed at both ends: some servers NUL-terminate or pad (hostname, domain name). */
export function decodeString(data: Uint8Array): string {
  let start = 0;
  let end = data.length;
  while (start < end && data[start] === 0) start++;
  while (end > start && data[end - 1] === 0) end--;
  return Buffer.from(data.buffer, data.byteOffset + start, end - start).toString('latin1');
}

/** Subnet mask → prefix length; a mask with non-contiguous ones is malformed. */
export function maskBits(mask: string): number | undefined {
  const b = parseIPv4(mask);
  if (!b) return undefined;
  const n = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  const ones = Math.clz32(~n); // leading ones of n (clz32(0) is 32)
  // n must be `ones` leading ones followed by zeros only
  const expected = ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0;
  return n === expected ? ones : undefined;
}

export function bitsToMask(bits: number): string {
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new RangeError(`not a prefix length: ${bits}`);
  const n = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

// ---- option 119: domain search list (RFC 3397, RFC 1035 §4.1.4 compression) ----

/**
 * Encodes names as a sequence of RFC 1035 names, replacing any suffix already
 * written by a pointer to it (offsets are into the option data, RFC 3397 §2).
 * Suffixes are matched exactly (case-sensitively) so decoding gives back the input.
 */
export function encodeDomainSearch(names: readonly string[]): Buffer {
  const out: number[] = [];
  const written = new Map<string, number>();
  for (const raw of names) {
    const name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    if (name === '') throw new RangeError('empty search domain');
    const labels = name.split('.').map((l) => Buffer.from(l, 'latin1'));
    let total = 1;
    for (const l of labels) {
      if (l.length < 1 || l.length > 63) throw new RangeError(`bad label in ${JSON.stringify(raw)}`);
      total += l.length + 1;
    }
    if (total > 255) throw new RangeError(`name too long: ${JSON.stringify(raw)}`);
    let i = 0;
    for (; i < labels.length; i++) {
      const suffix = name.split('.').slice(i).join('.');
      const at = written.get(suffix);
      if (at !== undefined) {
        out.push(0xc0 | (at >> 8), at & 0xff);
        break;
      }
      if (out.length <= 0x3fff) written.set(suffix, out.length);
      const label = labels[i]!;
      out.push(label.length, ...label);
    }
    if (i === labels.length) out.push(0);
  }
  return Buffer.from(out);
}

/**
 * Compression pointers one name may follow: enough for any name of 255 octets
 * (as miekg/dns allows), and a bound on the work: without it, pointers that
 * point at earlier pointers made each name walk back through all of them (a
 * 64 KiB option 119 took 1.9 s; a jumbo frame's, 125 ms).
 */
const MAX_POINTERS = 126;

/** Reads one name at `start`; returns it and the offset after it (after the first pointer, if any). */
function readName(data: Uint8Array, start: number, code: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = start;
  let next = -1;
  let length = 1;
  let pointers = 0;
  // Every pointer must jump strictly below the previous jump (the first one
  // below its own position): targets strictly decrease, so decoding ends.
  // Encoders only point back at earlier names, which always satisfies this.
  let bound = Number.POSITIVE_INFINITY;
  for (;;) {
    if (pos >= data.length) throw new Dhcp4DecodeError('name', 'name runs past the end of the option', code);
    const len = data[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= data.length) throw new Dhcp4DecodeError('name', 'truncated compression pointer', code);
      const target = ((len & 0x3f) << 8) | data[pos + 1]!;
      if (target >= pos || target >= bound) throw new Dhcp4DecodeError('name', `compression pointer at ${pos} to ${target} does not point back (loop)`, code);
      if (++pointers > MAX_POINTERS) throw new Dhcp4DecodeError('name', `more than ${MAX_POINTERS} compression pointers in one name`, code);
      bound = target;
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new Dhcp4DecodeError('name', `reserved label type 0x${kind.toString(16)}`, code);
    if (pos + 1 + len > data.length) throw new Dhcp4DecodeError('name', 'label runs past the end of the option', code);
    length += len + 1;
    if (length > 255) throw new Dhcp4DecodeError('name', 'name longer than 255 bytes', code);
    labels.push(Buffer.from(data.buffer, data.byteOffset + pos + 1, len).toString('latin1'));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** The names in option 119 data (the root name, if present, is left out). */
export function decodeDomainSearch(data: Uint8Array, code: number = OPT.DomainSearch): string[] {
  const names: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    const { name, next } = readName(data, pos, code);
    if (name !== '') names.push(name);
    pos = next;
  }
  return names;
}

// ---- option 121: classless static routes (RFC 3442) ----

export function encodeClasslessRoutes(routes: readonly ClasslessRoute[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of routes) {
    const slash = r.dst.indexOf('/');
    const bits = slash < 0 ? NaN : Number(r.dst.slice(slash + 1));
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new RangeError(`not an IPv4 prefix: ${JSON.stringify(r.dst)}`);
    const dst = ipBytes(r.dst.slice(0, slash));
    const significant = Math.ceil(bits / 8);
    parts.push(Buffer.from([bits]), Buffer.from(dst.subarray(0, significant)), encodeIP(r.router));
  }
  return Buffer.concat(parts);
}

/** Each descriptor: width, ceil(width/8) destination octets, 4 router octets; bits past width are cleared. */
export function decodeClasslessRoutes(data: Uint8Array, code: number = OPT.ClasslessRoutes): ClasslessRoute[] {
  const out: ClasslessRoute[] = [];
  let pos = 0;
  while (pos < data.length) {
    const bits = data[pos]!;
    if (bits > 32) throw new Dhcp4DecodeError('option-value', `prefix length ${bits} over 32`, code);
    const significant = Math.ceil(bits / 8);
    if (pos + 1 + significant + 4 > data.length) throw new Dhcp4DecodeError('option-truncated', 'truncated route descriptor', code);
    const dst = new Uint8Array(4);
    for (let i = 0; i < significant; i++) {
      const keep = Math.min(8, bits - i * 8);
      dst[i] = data[pos + 1 + i]! & ((0xff << (8 - keep)) & 0xff);
    }
    out.push({ dst: `${formatIPv4(dst)}/${bits}`, router: formatIPv4(data, pos + 1 + significant) });
    pos += 1 + significant + 4;
  }
  return out;
}

// ---- all typed options at once ----

/** The options netcfg knows, typed. Absent options are undefined. */
export interface Dhcp4OptionValues {
  messageType?: number;
  subnetMask?: string;
  routers?: string[];
  dns?: string[];
  hostname?: string;
  domainName?: string;
  mtu?: number;
  ntp?: string[];
  requestedIP?: string;
  leaseTime?: number;
  serverId?: string;
  parameterRequestList?: number[];
  maxMessageSize?: number;
  renewalTime?: number;
  rebindingTime?: number;
  clientId?: Buffer;
  domainSearch?: string[];
  classlessRoutes?: ClasslessRoute[];
}

type Codec<K extends keyof Dhcp4OptionValues> = {
  key: K;
  code: number;
  encode(v: NonNullable<Dhcp4OptionValues[K]>): Buffer;
  decode(data: Uint8Array, code: number): NonNullable<Dhcp4OptionValues[K]>;
};

function codec<K extends keyof Dhcp4OptionValues>(c: Codec<K>): Codec<K> {
  return c;
}

function mask(data: Uint8Array, code: number): string {
  const m = decodeIP(data, code);
  if (maskBits(m) === undefined) throw new Dhcp4DecodeError('option-value', `non-contiguous subnet mask ${m}`, code);
  return m;
}

const CODECS = [
  codec({ key: 'messageType', code: OPT.MessageType, encode: encodeU8, decode: decodeU8 }),
  codec({ key: 'subnetMask', code: OPT.SubnetMask, encode: encodeIP, decode: mask }),
  codec({ key: 'routers', code: OPT.Router, encode: encodeIPs, decode: decodeIPs }),
  codec({ key: 'dns', code: OPT.DNS, encode: encodeIPs, decode: decodeIPs }),
  codec({ key: 'hostname', code: OPT.Hostname, encode: encodeString, decode: decodeString }),
  codec({ key: 'domainName', code: OPT.DomainName, encode: encodeString, decode: decodeString }),
  codec({
    key: 'mtu',
    code: OPT.MTU,
    encode: encodeU16,
    decode: (d, c) => {
      const v = decodeU16(d, c);
      if (v < 68) throw new Dhcp4DecodeError('option-value', `MTU ${v} below the minimum of 68`, c); // RFC 2132 §5.1
      return v;
    },
  }),
  codec({ key: 'ntp', code: OPT.NTP, encode: encodeIPs, decode: decodeIPs }),
  codec({ key: 'requestedIP', code: OPT.RequestedIP, encode: encodeIP, decode: decodeIP }),
  codec({ key: 'leaseTime', code: OPT.LeaseTime, encode: encodeU32, decode: decodeU32 }),
  codec({ key: 'serverId', code: OPT.ServerId, encode: encodeIP, decode: decodeIP }),
  codec({
    key: 'parameterRequestList',
    code: OPT.ParameterRequestList,
    encode: (v) => Buffer.from(v.map((c) => encodeU8(c)[0]!)),
    decode: (d) => [...d],
  }),
  codec({ key: 'maxMessageSize', code: OPT.MaxMessageSize, encode: encodeU16, decode: decodeU16 }),
  codec({ key: 'renewalTime', code: OPT.RenewalTime, encode: encodeU32, decode: decodeU32 }),
  codec({ key: 'rebindingTime', code: OPT.RebindingTime, encode: encodeU32, decode: decodeU32 }),
  codec({
    key: 'clientId',
    code: OPT.ClientId,
    encode: (v) => {
      if (v.length < 2) throw new RangeError('client identifier shorter than 2 bytes'); // RFC 2132 §9.14
      return Buffer.from(v);
    },
    decode: (d, c) => {
      if (d.length < 2) throw new Dhcp4DecodeError('option-length', 'client identifier shorter than 2 bytes', c);
      return Buffer.from(d);
    },
  }),
  codec({ key: 'domainSearch', code: OPT.DomainSearch, encode: encodeDomainSearch, decode: decodeDomainSearch }),
  codec({ key: 'classlessRoutes', code: OPT.ClasslessRoutes, encode: encodeClasslessRoutes, decode: decodeClasslessRoutes }),
] as const;

/**
 * Typed values of the known options. A malformed option throws, unless
 * `onError` is given: then it is reported there and left out, so one bad
 * option does not cost the whole message.
 */
export function readOptions(options: ReadonlyMap<number, Uint8Array>, onError?: (e: Dhcp4DecodeError) => void): Dhcp4OptionValues {
  const out: Dhcp4OptionValues = {};
  const sink = out as Record<string, unknown>;
  for (const c of CODECS) {
    const data = options.get(c.code);
    if (data === undefined) continue;
    try {
      sink[c.key] = c.decode(data, c.code);
    } catch (e) {
      if (!(e instanceof Dhcp4DecodeError) || onError === undefined) throw e;
      onError(e);
    }
  }
  return out;
}

/** Raw options from typed values: message type first, then by code. */
export function writeOptions(values: Dhcp4OptionValues): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  const source = values as Record<string, unknown>;
  const ordered = [...CODECS].sort((a, b) => (a.code === OPT.MessageType ? -1 : b.code === OPT.MessageType ? 1 : a.code - b.code));
  for (const c of ordered) {
    const v = source[c.key];
    if (v === undefined) continue;
    // The key/codec pairing is fixed by CODECS, so the value has the codec's type.
    out.set(c.code, (c.encode as (x: unknown) => Buffer)(v));
  }
  return out;
}
