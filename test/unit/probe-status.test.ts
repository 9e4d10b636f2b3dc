// ProbeStatusController with a scripted prober and a hand-driven clock: when a
// status appears, when a failure counts (failureThreshold), and that a changed
// or removed spec stops its task.
import { describe, expect, it } from 'vitest';
import { ProbeStatusController, type ProbeClock } from '../../src/controllers/status/probe-status.js';
import { probeId } from '../../src/resources/network/ids.js';
import { NS } from '../../src/resources/resource.js';
import { T, type ProbeSpec, type ProbeStatus } from '../../src/resources/network/types.js';
import { silentLogger } from '../../src/log.js';
import { Runtime } from '../../src/runtime/runtime.js';

class ManualClock implements ProbeClock {
  timers = new Map<number, () => void>();
  /** The delay each timer was set for, in order. */
  delays: number[] = [];
  ms = 0;
  private next = 0;
  now(): number {
    return this.ms;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.next, fn);
    this.delays.push(ms);
    return this.next;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Runs the timers due now (every probe's next attempt). */
  tick(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
}

const spec = (failureThreshold: number, endpoint = '192.0.2.1:80'): ProbeSpec => ({ interval: 1000, failureThreshold, timeout: 1000, tcp: { endpoint }, layer: 'configuration' });
const settle = () => new Promise((r) => setTimeout(r, 20));

/** `took`: how long each attempt lasts on the clock (ms; the last one repeats). */
async function setup(outcomes: Array<Error | undefined>, took: number[] = [0]) {
  const clock = new ManualClock();
  let attempts = 0;
  const controller = new ProbeStatusController(async () => {
    clock.ms += took[Math.min(attempts, took.length - 1)]!;
    const o = outcomes[Math.min(attempts++, outcomes.length - 1)];
    if (o) throw o;
  }, clock);
  const runtime = new Runtime({ log: silentLogger(), mode: 'daemon' });
  runtime.register(controller);
  const status = (s: ProbeSpec) => runtime.store.get<ProbeStatus>(NS.network, T.ProbeStatus, probeId(s))?.spec;
  return { clock, runtime, status, attempts: () => attempts };
}

describe('ProbeStatusController', () => {
  it('counts a failure only after failureThreshold in a row, and a success at once', async () => {
    const refused = new Error('connect ECONNREFUSED');
    const t = await setup([undefined, refused, refused, refused, undefined]);
    const s = spec(3);
    t.runtime.store.put(NS.network, T.ProbeSpec, probeId(s), s, 'test');
    await t.runtime.start();
    await settle();
    expect(t.status(s)).toEqual({ success: true, lastError: '' });
    t.clock.tick();
    await settle();
    t.clock.tick();
    await settle();
    // two failures of three: the success stands
    expect(t.status(s)).toEqual({ success: true, lastError: '' });
    t.clock.tick();
    await settle();
    expect(t.status(s)).toEqual({ success: false, lastError: 'connect ECONNREFUSED' });
    t.clock.tick();
    await settle();
    expect(t.status(s)).toEqual({ success: true, lastError: '' });
    await t.runtime.stop();
  });

  it('starts an attempt every interval from the start of the last, as Talos\' ticker; at once after one that took longer', async () => {
    const t = await setup([undefined], [300, 1500, 0]);
    const s = spec(1);
    t.runtime.store.put(NS.network, T.ProbeSpec, probeId(s), s, 'test');
    await t.runtime.start();
    await settle();
    t.clock.tick();
    await settle();
    t.clock.tick();
    await settle();
    // 1000 ms interval: 300 ms spent → 700 to wait; 1500 ms spent → none; 0 spent → the whole interval
    expect(t.clock.delays).toEqual([700, 0, 1000]);
    await t.runtime.stop();
  });

  it('has no status before a first outcome that counts, and stops a removed probe', async () => {
    const t = await setup([new Error('timed out')]);
    const s = spec(2);
    t.runtime.store.put(NS.network, T.ProbeSpec, probeId(s), s, 'test');
    await t.runtime.start();
    await settle();
    expect(t.status(s)).toBeUndefined();
    t.clock.tick();
    await settle();
    expect(t.status(s)).toEqual({ success: false, lastError: 'timed out' });
    t.runtime.store.destroy(NS.network, T.ProbeSpec, probeId(s), 'test');
    await settle();
    expect(t.status(s)).toBeUndefined();
    expect(t.clock.timers.size).toBe(0);
    const before = t.attempts();
    t.clock.tick();
    await settle();
    expect(t.attempts()).toBe(before);
    await t.runtime.stop();
  });
});
