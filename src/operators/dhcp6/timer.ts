// A restartable one-shot timer on an injected clock. setTimeout cannot wait
// more than 2^31-1 ms (about 24.8 days; longer delays fire at once), and DHCPv6
// lifetimes reach 136 years, so long waits are taken in steps.
import type { Clock } from './transport.js';

export const MAX_TIMER_MS = 2 ** 31 - 1;

export class Timer {
  private handle: unknown;
  private armed = false;

  constructor(private readonly clock: Clock) {}

  get pending(): boolean {
    return this.armed;
  }

  /** Runs `fn` once after `ms`, replacing whatever was pending. */
  set(ms: number, fn: () => void): void {
    this.cancel();
    this.armed = true;
    this.arm(this.clock.now() + Math.max(0, ms), fn);
  }

  cancel(): void {
    if (this.armed) this.clock.clearTimeout(this.handle);
    this.armed = false;
    this.handle = undefined;
  }

  private arm(due: number, fn: () => void): void {
    const wait = Math.min(Math.max(0, due - this.clock.now()), MAX_TIMER_MS);
    this.handle = this.clock.setTimeout(() => {
      if (!this.armed) return;
      if (this.clock.now() < due) {
        this.arm(due, fn);
        return;
      }
      this.armed = false;
      this.handle = undefined;
      fn();
    }, wait);
  }
}
