// base62 as github.com/jxskiss/base62 v1.1.0 (StdEncoding) writes it, which is
// how Talos encodes node IDs (discovery-and-kubespan.md §6). Not big-integer
// base62: 6-bit groups are read from the end of the input; a group whose value
// has bits 0x1E set (30, 31, 62, 63) is cut to 5 bits (unless it is the last,
// short group and fits in 5), so every emitted value is below 62.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const COMPACT = 0x1e;
const MASK5 = 0x1f;

const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** Bits [start, end) of `src` (bit 0 = the first byte's most significant bit), as an integer. */
function bitsOf(src: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) v = (v << 1) | (((src[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
  return v;
}

export function base62Encode(src: Uint8Array): string {
  if (src.length === 0) return '';
  let out = '';
  let pos = src.length * 8; // bits [0, pos) are not encoded yet
  for (;;) {
    let start = Math.max(0, pos - 6);
    let b = bitsOf(src, start, pos);
    if ((b & COMPACT) === COMPACT) {
      if (start > 0 || b > MASK5) start++;
      b &= MASK5;
    }
    out += ALPHABET[b];
    pos = start;
    if (pos <= 0) return out;
  }
}

export function base62Decode(text: string): Buffer {
  if (text.length === 0) return Buffer.alloc(0);
  const out: number[] = [];
  let acc = 0;
  let pos = 0;
  for (let i = 0; i < text.length; i++) {
    const x = DECODE.get(text[i]!);
    if (x === undefined) throw new Error(`invalid base62 character ${JSON.stringify(text[i])} at ${i}`);
    acc |= x << pos;
    if (i === text.length - 1) pos += x === 0 ? 0 : 32 - Math.clz32(x);
    else pos += (x & COMPACT) === COMPACT ? 5 : 6;
    while (pos >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      pos -= 8;
    }
  }
  if (pos > 0) out.push(acc & 0xff);
  return Buffer.from(out.reverse());
}
