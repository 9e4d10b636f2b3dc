// The apply progress line: drawn only on a terminal, only for text output, only once thousands of writes are queued.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_MIN_WRITES, progressText, startProgress, type ProgressStream } from '../../src/cli/progress.js';

function stream(isTTY: boolean): ProgressStream & { text: string } {
  const s = { isTTY, text: '', write: (x: string) => ((s.text += x), true) };
  return s;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('apply progress', () => {
  it('shows done/total, percent and rate', () => {
    expect(progressText({ queued: 100000, done: 41000 }, 2000)).toBe('netlink writes 41000/100000 (41%), 20.5k/s');
    expect(progressText({ queued: 2000, done: 500 }, 1000)).toBe('netlink writes 500/2000 (25%), 500/s');
  });

  it('redraws one line in place on a terminal once enough writes are queued, and erases it at the end', () => {
    vi.useFakeTimers();
    const p = { queued: 7, done: 7 }; // writes of an earlier phase are not counted
    const out = stream(true);
    const line = startProgress(() => p, 'text', out);
    p.queued += 10;
    vi.advanceTimersByTime(300);
    expect(out.text).toBe(''); // a small plan: nothing
    p.queued += PROGRESS_MIN_WRITES * 3;
    p.done += 1000;
    vi.advanceTimersByTime(100);
    expect(out.text).toMatch(/^\r\x1b\[Knetlink writes 1000\/3010 \(33%\), [\d.]+k?\/s$/);
    p.done += 2010;
    vi.advanceTimersByTime(100);
    expect(out.text.split('\r\x1b[K').filter(Boolean).at(-1)).toMatch(/^netlink writes 3010\/3010 \(100%\)/);
    expect(out.text).not.toContain('\n');
    line.stop();
    expect(out.text.endsWith('\r\x1b[K')).toBe(true);
    const before = out.text;
    vi.advanceTimersByTime(500);
    expect(out.text).toBe(before);
  });

  it('draws nothing when the stream is not a terminal, or the output is JSON', () => {
    vi.useFakeTimers();
    for (const [tty, format] of [
      [false, 'text'],
      [true, 'json'],
    ] as const) {
      const p = { queued: 0, done: 0 };
      const out = stream(tty);
      const line = startProgress(() => p, format, out);
      p.queued = 50000;
      p.done = 20000;
      vi.advanceTimersByTime(1000);
      line.stop();
      expect(out.text).toBe('');
    }
  });
});
