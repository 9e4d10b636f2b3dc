// V8 lets a heap that is still small grow up to several times its live size
// before its next full collection. A bulk apply allocates most of what it will
// hold in one go, right after start: at 100k routes the heap went from ~30 MB
// live to 172 MB before V8 first looked again (87 MB live then), which was the
// whole process's peak. Asked to grow by 20% at a time while such a config is
// applied, it collects a little more often: peak RSS 230 → ~200 MB, no slower
// (bench/routes.mjs). The flag is read each time V8 sets its next limit, so it
// can change while the process runs; it is put back afterwards, so that the
// code cache written at exit (bin/netcfg.js: V8 keys it by the flags) is that
// of every other run.
import v8 from 'node:v8';

const GROWING_PERCENT = 20;

/** Runs `work` with V8's heap growing by GROWING_PERCENT at a time (unless node was told a growth of its own). */
export async function withModestHeapGrowth<T>(work: () => Promise<T>): Promise<T> {
  if ([...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((a) => /heap[-_]growing[-_]percent/.test(a))) return work();
  v8.setFlagsFromString(`--heap-growing-percent=${GROWING_PERCENT}`);
  try {
    return await work();
  } finally {
    v8.setFlagsFromString('--heap-growing-percent=0'); // V8's default: its own factor
  }
}
