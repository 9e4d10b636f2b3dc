// A progress line for long applies: on a terminal (stderr), once a run has queued
// thousands of netlink writes, one line redrawn in place every 100 ms with
// done/total and the rate; erased when the run ends, before the report. Never in
// `-o json`, never when stderr is not a terminal.
import type { WriteProgress } from '../netlink/connection.js';
import { monotonicMs } from '../util/clock.js';

/** Writes queued before the line appears: small plans finish before it would be read. */
export const PROGRESS_MIN_WRITES = 1000;
const INTERVAL_MS = 100;

export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): boolean;
}

export interface ProgressLine {
  stop(): void;
}

function rate(perSecond: number): string {
  return perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k/s` : `${Math.round(perSecond)}/s`;
}

/** The line as shown: `netlink writes 41000/100000 (41%), 52.3k/s`. */
export function progressText(p: WriteProgress, ms: number): string {
  const pct = p.queued === 0 ? 0 : Math.floor((p.done / p.queued) * 100);
  return `netlink writes ${p.done}/${p.queued} (${pct}%), ${rate(ms > 0 ? (p.done * 1000) / ms : 0)}`;
}

/**
 * Watches `progress` (polled: the counters live in the netlink connection) and
 * draws the line on `stream` when it is a terminal and the output is text;
 * otherwise does nothing.
 */
export function startProgress(progress: () => WriteProgress, format: 'text' | 'json', stream: ProgressStream = process.stderr): ProgressLine {
  if (format !== 'text' || stream.isTTY !== true) return { stop: () => {} };
  const { queued, done } = progress();
  const start = { queued, done };
  const t0 = monotonicMs();
  let shown = false;
  const draw = (): void => {
    const now = progress();
    const p = { queued: now.queued - start.queued, done: now.done - start.done };
    if (!shown && p.queued < PROGRESS_MIN_WRITES) return;
    shown = true;
    stream.write(`\r\x1b[K${progressText(p, monotonicMs() - t0)}`);
  };
  const timer = setInterval(draw, INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
