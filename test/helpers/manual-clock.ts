// A clock whose time moves only when the test says so; timers fire in order.
import type { SessionClock } from '../../src/operators/vip/session.js';

export class ManualClock implements SessionClock {
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;

  constructor(public t: number) {}

  now = () => this.t;
  wall = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id as unknown as NodeJS.Timeout;
  };
  clearTimeout = (t: NodeJS.Timeout) => {
    this.timers = this.timers.filter((x) => x.id !== (t as unknown as number));
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const first = this.timers[0];
      if (!first || first.at > end) break;
      this.timers.shift();
      this.t = first.at;
      first.fn();
    }
    this.t = end;
  }
}
