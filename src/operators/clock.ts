// Time for the protocol clients, injected so tests can run them on a fake clock.
import { monotonicMs } from '../util/clock.js';

export interface Clock {
  /** Milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
}

const timers = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (t: unknown): void => clearTimeout(t as ReturnType<typeof setTimeout>),
};

/** Monotonic (monotonicMs(): unaffected by wall-clock changes). */
export const monotonicClock: Clock = { now: monotonicMs, ...timers };

/** Wall clock (Date.now()): for times that are compared with other processes' or saved. */
export const wallClock: Clock = { now: () => Date.now(), ...timers };
