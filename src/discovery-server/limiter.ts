// Per-IP rate limiting as the reference server does it (§5.3): a token bucket
// of 15 requests/s with a burst of 60 per client IP; a request waits for a token
// rather than being refused, unless waiting would outlast its deadline. Buckets
// that have refilled are dropped once a minute.
export class RateLimitExceeded extends Error {
  constructor() {
    super('rate limit exceeds request timeout');
    this.name = 'RateLimitExceeded';
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

export class IPRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly perSecond = 15,
    private readonly burst = 60,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.collect(), 60_000);
    this.timer.unref();
  }

  private refill(b: Bucket, t: number): void {
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
  }

  /** Milliseconds to wait before the request may go on (a token is taken now, possibly in advance). */
  reserve(ip: string, deadline = Infinity): number {
    const t = this.now();
    let b = this.buckets.get(ip);
    if (!b) {
      b = { tokens: this.burst, at: t };
      this.buckets.set(ip, b);
    }
    this.refill(b, t);
    const wait = b.tokens >= 1 ? 0 : ((1 - b.tokens) / this.perSecond) * 1000;
    if (t + wait > deadline) throw new RateLimitExceeded();
    b.tokens -= 1;
    return wait;
  }

  async wait(ip: string, deadline = Infinity): Promise<void> {
    const ms = this.reserve(ip, deadline);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  collect(): void {
    const t = this.now();
    for (const [ip, b] of this.buckets) {
      this.refill(b, t);
      if (b.tokens >= this.burst) this.buckets.delete(ip);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
