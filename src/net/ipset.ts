// A set of IP addresses kept as sorted, disjoint, non-adjacent ranges per
// family (as netipx.IPSet): union, difference, overlap, and the minimal list of
// prefixes covering it (IPv4 first, each family in address order, as
// IPSet.Prefixes() lists them). Prefixes with host bits count as their network.
import { formatBytes, parseIPOrPrefix, type Family, type Prefix } from './ip.js';

interface Range {
  start: bigint;
  end: bigint;
}

const WIDTH: Record<Family, number> = { inet4: 32, inet6: 128 };

function toBig(bytes: Uint8Array): bigint {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return b.length === 4 ? BigInt(b.readUInt32BE(0)) : (b.readBigUInt64BE(0) << 64n) | b.readBigUInt64BE(8);
}

function fromBig(v: bigint, family: Family): string {
  return formatBytes(Buffer.from(v.toString(16).padStart(WIDTH[family] / 4, '0'), 'hex'));
}

const POW2 = Array.from({ length: 129 }, (_, k) => 1n << BigInt(k));

/** ⌊log2 x⌋ for 1 ≤ x < 2^129. */
function log2(x: bigint): number {
  let lo = 0;
  let hi = 128;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POW2[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function rangeOf(p: Prefix): Range {
  const host = BigInt(WIDTH[p.family] - p.bits);
  const start = (toBig(p.bytes) >> host) << host;
  return { start, end: start + (1n << host) - 1n };
}

/** Index of the first range whose end is at or after `v` (ranges.length when none). */
function firstEndingAtOrAfter(ranges: readonly Range[], v: bigint): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.end < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds [start, end] to sorted disjoint ranges, merging what it touches or adjoins. */
function insert(ranges: Range[], start: bigint, end: bigint): void {
  // the first range that ends at or after start - 1 may touch or adjoin
  const i = firstEndingAtOrAfter(ranges, start === 0n ? 0n : start - 1n);
  let j = i;
  let s = start;
  let e = end;
  while (j < ranges.length && ranges[j]!.start <= e + 1n) {
    if (ranges[j]!.start < s) s = ranges[j]!.start;
    if (ranges[j]!.end > e) e = ranges[j]!.end;
    j++;
  }
  ranges.splice(i, j - i, { start: s, end: e });
}

/** The parts of sorted `ranges` not in sorted `cut`. */
function difference(ranges: readonly Range[], cut: readonly Range[]): Range[] {
  if (cut.length === 0) return ranges.slice();
  const out: Range[] = [];
  for (const r of ranges) {
    let s = r.start;
    let i = firstEndingAtOrAfter(cut, s);
    while (i < cut.length && cut[i]!.start <= r.end && s <= r.end) {
      const c = cut[i]!;
      if (c.start > s) out.push({ start: s, end: c.start - 1n });
      s = c.end + 1n;
      i++;
    }
    if (s <= r.end) out.push({ start: s, end: r.end });
  }
  return out;
}

function overlapping(a: readonly Range[], b: readonly Range[]): boolean {
  const [small, large] = a.length <= b.length ? [a, b] : [b, a];
  for (const r of small) {
    const i = firstEndingAtOrAfter(large, r.start);
    if (i < large.length && large[i]!.start <= r.end) return true;
  }
  return false;
}

/** The minimal prefixes covering [start, end], lowest first. */
function rangePrefixes(r: Range, family: Family, out: string[]): void {
  const width = WIDTH[family];
  let s = r.start;
  while (s <= r.end) {
    // the largest block aligned at s (its lowest set bit) that does not pass the end
    const host = Math.min(width, s === 0n ? width : log2(s & -s), log2(r.end - s + 1n));
    out.push(`${fromBig(s, family)}/${width - host}`);
    s += POW2[host]!;
  }
}

export class IPSet {
  private readonly ranges: Record<Family, Range[]> = { inet4: [], inet6: [] };

  /** A set of prefixes or addresses ("10.0.0.0/8", "192.0.2.1"); throws on one that does not parse. */
  static of(items: Iterable<string>): IPSet {
    const set = new IPSet();
    for (const item of items) set.add(item);
    return set;
  }

  /** Adds a prefix ("10.0.0.0/8"; host bits are ignored) or an address. */
  add(item: string | Prefix): this {
    const p = typeof item === 'string' ? parseIPOrPrefix(item) : item;
    if (!p) throw new Error(`"${String(item)}" is not an IP address or prefix`);
    const r = rangeOf(p);
    insert(this.ranges[p.family], r.start, r.end);
    return this;
  }

  addSet(other: IPSet): this {
    for (const family of ['inet4', 'inet6'] as const) for (const r of other.ranges[family]) insert(this.ranges[family], r.start, r.end);
    return this;
  }

  /** Removes a prefix or address. */
  remove(item: string | Prefix): this {
    return this.removeSet(new IPSet().add(item));
  }

  removeSet(other: IPSet): this {
    for (const family of ['inet4', 'inet6'] as const) {
      if (other.ranges[family].length > 0) this.ranges[family] = difference(this.ranges[family], other.ranges[family]);
    }
    return this;
  }

  /** This set without the addresses of `other` (a new set). */
  minus(other: IPSet): IPSet {
    return this.clone().removeSet(other);
  }

  overlaps(other: IPSet): boolean {
    return overlapping(this.ranges.inet4, other.ranges.inet4) || overlapping(this.ranges.inet6, other.ranges.inet6);
  }

  /** The addresses in both sets (a new set). */
  intersection(other: IPSet): IPSet {
    // a ∩ b = a − (a − b)
    return this.minus(this.minus(other));
  }

  contains(item: string): boolean {
    const p = parseIPOrPrefix(item);
    if (!p) return false;
    const r = rangeOf(p);
    const ranges = this.ranges[p.family];
    const i = firstEndingAtOrAfter(ranges, r.end);
    return i < ranges.length && ranges[i]!.start <= r.start;
  }

  get empty(): boolean {
    return this.ranges.inet4.length === 0 && this.ranges.inet6.length === 0;
  }

  clone(): IPSet {
    const c = new IPSet();
    c.ranges.inet4 = this.ranges.inet4.slice();
    c.ranges.inet6 = this.ranges.inet6.slice();
    return c;
  }

  /** Minimal prefixes of one family, or of both (IPv4 first). */
  prefixes(family?: Family): string[] {
    const out: string[] = [];
    for (const f of ['inet4', 'inet6'] as const) {
      if (family !== undefined && f !== family) continue;
      for (const r of this.ranges[f]) rangePrefixes(r, f, out);
    }
    return out;
  }

  /** Ranges as text ("10.0.0.0-10.0.0.255"), for messages. */
  rangesText(): string[] {
    const out: string[] = [];
    for (const f of ['inet4', 'inet6'] as const) for (const r of this.ranges[f]) out.push(`${fromBig(r.start, f)}-${fromBig(r.end, f)}`);
    return out;
  }
}
