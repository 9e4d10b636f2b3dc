// Exponential backoff with the defaults of cenkalti/backoff v4 that the
// discovery client uses (§3.3): 500 ms initial, ×1.5, ±50 % jitter, 60 s max.
export class Backoff {
  private interval: number;

  constructor(
    private readonly initialMs = 500,
    private readonly multiplier = 1.5,
    private readonly randomization = 0.5,
    private readonly maxMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {
    this.interval = initialMs;
  }

  next(): number {
    const delta = this.randomization * this.interval;
    const ms = this.interval - delta + this.random() * (2 * delta);
    this.interval = Math.min(this.maxMs, this.interval * this.multiplier);
    return ms;
  }

  reset(): void {
    this.interval = this.initialMs;
  }
}
