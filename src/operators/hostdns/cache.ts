// Host DNS's answer cache, as Talos configures CoreDNS' (capacity 10000 per
// kind; answers kept between 5 s and an hour by their smallest TTL; NXDOMAIN
// and empty answers at most 10 s). A hit is the upstream's bytes with the
// asker's ID and every TTL lowered by the seconds it spent here.
import { parseAnswer, RCODE_NOERROR, RCODE_NXDOMAIN, type Query } from './wire.js';

export const CACHE_CAPACITY = 10_000;
/** Answers can be up to 64 KiB: the bytes are capped too. */
export const CACHE_BYTES = 16 * 1024 * 1024;
/** RFC 2181 §8: a TTL is at most 2^31 - 1. */
const TTL_LIMIT = 0x7fffffff;
const MIN_TTL = 5;
const MAX_TTL = 3600;
const MAX_NEGATIVE_TTL = 10;

interface Entry {
  bytes: Buffer;
  storedMs: number;
  ttl: number;
  ttlOffsets: Array<{ at: number; ttl: number }>;
}

/** The part of a query its answer depends on. */
export function cacheKey(q: Query): string {
  return `${q.question.name}|${q.question.type}|${q.question.class}|${q.rd ? 1 : 0}|${q.do ? 1 : 0}|${q.cd ? 1 : 0}`;
}

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    /** Monotonic milliseconds: a wall-clock step must not age or rejuvenate answers. */
    private readonly now: () => number,
    private readonly capacity = CACHE_CAPACITY,
    private readonly maxBytes = CACHE_BYTES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer to `q` with its ID and the TTLs that are left, or undefined. */
  get(q: Query): Buffer | undefined {
    const key = cacheKey(q);
    const e = this.entries.get(key);
    if (!e) return undefined;
    const elapsed = Math.floor((this.now() - e.storedMs) / 1000);
    if (elapsed < 0 || elapsed >= e.ttl) {
      this.drop(key, e);
      return undefined;
    }
    // most recently used last: the oldest goes first when the cache is full
    this.entries.delete(key);
    this.entries.set(key, e);
    const out = Buffer.from(e.bytes);
    out.writeUInt16BE(q.id, 0);
    // never more than the entry itself has left
    for (const t of e.ttlOffsets) out.writeUInt32BE(Math.max(0, Math.min(t.ttl, e.ttl) - elapsed), t.at);
    return out;
  }

  /** Keeps an upstream's answer to `q` when it may be kept (a NOERROR or NXDOMAIN answer, not truncated). */
  put(q: Query, answer: Buffer): void {
    let a;
    try {
      a = parseAnswer(answer);
    } catch {
      return;
    }
    if (a.truncated || (a.rcode !== RCODE_NOERROR && a.rcode !== RCODE_NXDOMAIN)) return;
    const negative = a.rcode === RCODE_NXDOMAIN || a.answerCount === 0;
    const smallest = a.ttls.length > 0 ? Math.min(...a.ttls.map((t) => Math.min(t.ttl, TTL_LIMIT))) : MIN_TTL;
    const ttl = negative ? Math.min(Math.max(a.soaMinimum ?? MIN_TTL, MIN_TTL), MAX_NEGATIVE_TTL) : Math.min(Math.max(smallest, MIN_TTL), MAX_TTL);
    const key = cacheKey(q);
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    // the oldest go first, until both the count and the bytes fit
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.capacity && this.bytes + answer.length <= this.maxBytes) break;
      this.drop(k, e);
    }
    if (answer.length > this.maxBytes) return;
    this.entries.set(key, { bytes: Buffer.from(answer), storedMs: this.now(), ttl, ttlOffsets: a.ttls });
    this.bytes += answer.length;
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes.length;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
