// The bundled CLI's V8 code cache (bin/netcfg.js) holds the code a run compiled
// before it was written. A command writes one on exit; the daemon, which does not
// exit, says here when what it has compiled so far is what its start needs.
// Elsewhere (the plain build, tests, a cache already in use) this does nothing.

const CHECKPOINT = Symbol.for('netcfg.codeCacheCheckpoint');

/** The daemon's first config is in the kernel: write the code cache now, if this run writes one. */
export function codeCacheCheckpoint(): void {
  const write = (globalThis as { [CHECKPOINT]?: () => void })[CHECKPOINT];
  write?.();
}
