// IP addresses and prefixes: strict parsing (the rules of Go's net/netip, which
// Talos uses) and canonical formatting (RFC 5952 for IPv6).

export type Family = 'inet4' | 'inet6';

export const AF_INET = 2;
export const AF_INET6 = 10;

export interface IP {
  family: Family;
  bytes: Uint8Array; // 4 or 16 bytes
}

export interface Prefix extends IP {
  bits: number;
}

export function familyOfAf(af: number): Family | undefined {
  return af === AF_INET ? 'inet4' : af === AF_INET6 ? 'inet6' : undefined;
}

export function parseIPv4(s: string, out: Uint8Array = new Uint8Array(4), end = s.length): Uint8Array | undefined {
  let part = 0;
  let value = -1;
  let digits = 0;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46; // virtual trailing '.'
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero
      value = (value < 0 ? 0 : value) * 10 + (c - 48);
      if (value > 255) return undefined;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = -1;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function parseIPv6(s: string, out: Uint8Array = new Uint8Array(16)): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  out.fill(0);
  let pos = 0; // next byte to fill
  let ellipsis = -1; // byte position of "::"
  let i = 0;
  if (s.startsWith('::')) {
    ellipsis = 0;
    i = 2;
    if (i === s.length) return out;
  }
  while (i < s.length) {
    if (pos >= 16) return undefined;
    // parse up to 4 hex digits
    let value = 0;
    let n = 0;
    while (i + n < s.length && n < 5) {
      const h = hexValue(s.charCodeAt(i + n));
      if (h < 0) break;
      value = value * 16 + h;
      n++;
    }
    if (n === 0 || n > 4) return undefined;
    const next = s.charCodeAt(i + n);
    if (next === 46) {
      // embedded IPv4 in the last 32 bits
      if (ellipsis < 0 && pos !== 12) return undefined;
      if (pos > 12) return undefined;
      const v4 = parseIPv4(s.slice(i), new Uint8Array(4));
      if (!v4) return undefined;
      out.set(v4, pos);
      pos += 4;
      i = s.length;
      break;
    }
    out[pos++] = value >> 8;
    out[pos++] = value & 0xff;
    i += n;
    if (i === s.length) break;
    if (next !== 58) return undefined; // ':'
    i++;
    if (s.charCodeAt(i) === 58) {
      if (ellipsis >= 0) return undefined; // second "::"
      ellipsis = pos;
      i++;
      if (i === s.length) break;
    } else if (i === s.length) {
      return undefined; // trailing single ':'
    }
  }
  if (pos < 16) {
    if (ellipsis < 0) return undefined;
    const tail = pos - ellipsis;
    out.copyWithin(16 - tail, ellipsis, pos);
    out.fill(0, ellipsis, 16 - tail);
  } else if (ellipsis >= 0) {
    // "::" must stand for at least one group of zeros
    return undefined;
  }
  return out;
}

export function parseIP(s: string): IP | undefined {
  if (s.includes(':')) {
    const bytes = parseIPv6(s);
    return bytes ? { family: 'inet6', bytes } : undefined;
  }
  const bytes = parseIPv4(s);
  return bytes ? { family: 'inet4', bytes } : undefined;
}

/** The prefix length after a "/" at `slash`: 0, or 1-3 digits without a leading zero. */
function parseBits(s: string, slash: number): number {
  const n = s.length - slash - 1;
  if (n < 1 || n > 3) return -1;
  let bits = 0;
  for (let i = slash + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57 || (i === slash + 1 && c === 48 && n > 1)) return -1;
    bits = bits * 10 + (c - 48);
  }
  return bits;
}

/** Parses "addr/bits". */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const text = s.slice(0, slash);
  const v6 = text.includes(':');
  const bytes = v6 ? parseIPv6(text) : parseIPv4(text);
  if (!bytes) return undefined;
  const bits = parseBits(s, slash);
  if (bits < 0 || bits > bytes.length * 8) return undefined;
  return { family: v6 ? 'inet6' : 'inet4', bytes, bits };
}

/** A CIDR or a bare IP; a bare IP gets the full mask (/32 or /128). */
export function parseIPOrPrefix(s: string): Prefix | undefined {
  if (s.includes('/')) return parsePrefix(s);
  const ip = parseIP(s);
  return ip ? { family: ip.family, bytes: ip.bytes, bits: ip.bytes.length * 8 } : undefined;
}

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function formatIPv6(b: Uint8Array, off = 0): string {
  // IPv4-mapped addresses print with a dotted tail, as Go and iproute2 do.
  let mapped = b[off + 10] === 0xff && b[off + 11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[off + i] !== 0) mapped = false;
  if (mapped) return `::ffff:${formatIPv4(b, off + 12)}`;
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = ((b[off + 2 * i] ?? 0) << 8) | (b[off + 2 * i + 1] ?? 0);
  // longest run of two or more zero groups; the first one wins a tie
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += (groups[i] ?? 0).toString(16);
  }
  return out;
}

export function formatIP(ip: IP): string {
  return ip.family === 'inet4' ? formatIPv4(ip.bytes) : formatIPv6(ip.bytes);
}

export function formatBytes(bytes: Uint8Array, off = 0, len = bytes.length - off): string {
  return len === 4 ? formatIPv4(bytes, off) : formatIPv6(bytes, off);
}

export function formatPrefix(p: Prefix): string {
  return `${formatIP(p)}/${p.bits}`;
}

/** Canonical text of an IP string, or undefined when it does not parse. */
export function canonicalIP(s: string): string | undefined {
  const ip = parseIP(s);
  return ip ? formatIP(ip) : undefined;
}

/** The prefix with host bits cleared. */
export function networkOf(p: Prefix): Prefix {
  const bytes = new Uint8Array(p.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p.bits - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return { family: p.family, bytes, bits: p.bits };
}

/** A prefix with host bits set, as the network it stands for ("192.0.2.129/25" → "192.0.2.128/25"); undefined when none are set (or it is no prefix). */
export function hostBitsCleared(s: string): string | undefined {
  const p = parsePrefix(s);
  return p && hasHostBits(p) ? formatPrefix(networkOf(p)) : undefined;
}

/** Whether a dotted IPv4 address or prefix is multicast (224.0.0.0/4), read from its first number without parsing the rest. */
export function isMulticastIPv4Text(s: string): boolean {
  let first = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    first = first * 10 + c - 48;
  }
  return first >= 224 && first <= 239;
}

export function hasHostBits(p: Prefix): boolean {
  const n = networkOf(p);
  for (let i = 0; i < n.bytes.length; i++) if (n.bytes[i] !== p.bytes[i]) return true;
  return false;
}

export function prefixContains(p: Prefix, ip: IP): boolean {
  if (p.family !== ip.family) return false;
  for (let bit = 0; bit < p.bits; bit += 8) {
    const i = bit >> 3;
    const keep = Math.min(8, p.bits - bit);
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((p.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

export function isUnspecified(ip: IP): boolean {
  return ip.bytes.every((b) => b === 0);
}

export function isMulticast(ip: IP): boolean {
  return ip.family === 'inet4' ? ((ip.bytes[0] ?? 0) & 0xf0) === 0xe0 : ip.bytes[0] === 0xff;
}

/** IPv4 broadcast address of a prefix (all host bits set). */
export function broadcastOf(p: Prefix): IP {
  const bytes = new Uint8Array(p.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, p.bits - i * 8));
    bytes[i] = (bytes[i] ?? 0) | (~(0xff << (8 - keep)) & 0xff);
  }
  return { family: p.family, bytes };
}

// Validation without allocation (configs with 100k routes validate every address).
const scratch = new Uint8Array(16);

/**
 * Whether `s` is an IPv4 prefix as the kernel writes one ("a.b.c.d/n", n from 1
 * to 32, no host bits set), checked without allocating: a route's destination
 * is most often given so.
 */
export function isKernelIPv4Prefix(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const b = parseIPv4(s, scratch, slash);
  if (!b) return false;
  const bits = parseBits(s, slash);
  if (bits < 1 || bits > 32) return false;
  if (bits === 32) return true;
  const address = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return (address & (0xffffffff >>> bits)) === 0;
}

/** Family of a valid IP string, or undefined. */
export function ipFamily(s: string): Family | undefined {
  if (s.includes(':')) return parseIPv6(s, scratch) ? 'inet6' : undefined;
  return parseIPv4(s, scratch) ? 'inet4' : undefined;
}

/** Family of a valid "addr/bits" string, or undefined. */
export function prefixFamily(s: string): Family | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const text = s.slice(0, slash);
  const v6 = text.includes(':');
  const ok = v6 ? parseIPv6(text, scratch) : parseIPv4(text, scratch);
  if (!ok) return undefined;
  const bits = parseBits(s, slash);
  if (bits < 0 || bits > (v6 ? 128 : 32)) return undefined;
  return v6 ? 'inet6' : 'inet4';
}

/** True when a valid prefix string has bits set after its length. */
export function prefixHasHostBits(s: string): boolean {
  const slash = s.indexOf('/');
  const text = s.slice(0, slash);
  const v6 = text.includes(':');
  if (!(v6 ? parseIPv6(text, scratch) : parseIPv4(text, scratch))) return false;
  const bits = parseBits(s, slash);
  const len = v6 ? 16 : 4;
  for (let i = 0; i < len; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    if (((scratch[i] ?? 0) & ~((0xff << (8 - keep)) & 0xff) & 0xff) !== 0) return true;
  }
  return false;
}

/** Loopback, link-local or multicast: not an address a node is reached at. */
export function isSpecialIP(b: Uint8Array, family: Family): boolean {
  if (family === 'inet4') return b[0] === 127 || (b[0] === 169 && b[1] === 254) || ((b[0] ?? 0) & 0xf0) === 0xe0;
  return b.every((x, i) => (i < 15 ? x === 0 : x === 1)) || (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80) || b[0] === 0xff;
}
