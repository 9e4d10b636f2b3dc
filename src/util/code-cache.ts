// The bundled CLI's V8 code cache (bin/netcfg.js) holds the code a run compiled
// before it was written. A command writes one on exit; the daemon, which does not
// exit, says here when what it has compiled so far is what its start needs.
// Elsewhere (the plain build, tests, a cache already in use) this does nothing.
//
// Whether the daemon's start validated its config matters: one that did compiled
// the YAML parser and the schema library, which a start served by the validated
// copy of its config (config/validated-copy.ts) does not run, and V8 would read
// them from the cache at every such start (~0.2 MB, ~9 ms measured). So a cache
// written by a start that validated is marked so, and a start served by the copy
// drops it: the next start writes one without them (once: it runs without a
// cache). A daemon that validates at every start (its state is not kept, or its
// config changes each time) keeps the one it wrote.

const CHECKPOINT = Symbol.for('netcfg.codeCacheCheckpoint');

/** The daemon's first config is in the kernel: `validated`, it validated its config on the way. */
export function codeCacheCheckpoint(validated: boolean): void {
  const checkpoint = (globalThis as { [CHECKPOINT]?: (validated: boolean) => void })[CHECKPOINT];
  try {
    checkpoint?.(validated);
  } catch {
    // a cache is only ever a speed-up: nothing about it may stop the daemon
  }
}
