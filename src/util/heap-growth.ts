// V8 lets a heap that is still small grow up to several times its live size
// before its next full collection. A bulk apply allocates most of what it will
// hold in one go, right after start: at 100k routes the heap went from ~30 MB
// live to 172 MB before V8 first looked again (87 MB live then), which was the
// whole process's peak. Asked to grow by 20% at a time while such a config is
// applied, it collects a little more often: peak RSS 230 → ~200 MB, no slower
// (bench/routes.mjs). The flag is read each time V8 sets its next limit, so it
// can change while the process runs.
//
// The young generation doubles up to 16 MiB a semi-space (32 MiB committed)
// during such an apply, with a quarter of it in use at a time. It is capped at
// YOUNG_SEMI_SPACE by the addon (native/young_generation.cc): V8 reads no other
// ceiling after node's start. At 100k routes: peak RSS ~197 → ~186 MB, within
// noise in time, with 8 MiB; 4 MiB then gave ~174 MB but ~180 ms more of
// scavenges. Since a bulk apply holds each route once (route sets, records that
// are their specs) 4 MiB costs little: 8 alternated runs, peak RSS 142.7 / 142.5
// MB against 147.2 / 148.1 with 8 MiB (first / re-apply), wall time within the
// runs' spread (2.32 / 1.46 s against 2.33 / 1.43 s).
//
// Both are put back afterwards, so that the code cache written at exit
// (bin/netcfg.js: V8 keys it by the flags) is that of every other run. A
// setting the user gave node is left alone.
import v8 from 'node:v8';
import { native } from '../native/index.js';

const GROWING_PERCENT = 20;
const YOUNG_SEMI_SPACE = 4 << 20;

/** The flags given to node: its command line and NODE_OPTIONS. */
const nodeFlags = (): string[] => [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''];

/** Runs `work` with V8's heaps growing modestly (unless node was told otherwise). */
export async function withModestHeapGrowth<T>(work: () => Promise<T>): Promise<T> {
  const flags = nodeFlags();
  const oldGeneration = !flags.some((a) => /heap[-_]growing[-_]percent/.test(a));
  const youngGeneration = !flags.some((a) => /semi[-_]space/.test(a));
  if (oldGeneration) v8.setFlagsFromString(`--heap-growing-percent=${GROWING_PERCENT}`);
  if (youngGeneration) native().capYoungGeneration(YOUNG_SEMI_SPACE);
  try {
    return await work();
  } finally {
    if (oldGeneration) v8.setFlagsFromString('--heap-growing-percent=0'); // V8's default: its own factor
    if (youngGeneration) native().capYoungGeneration(0);
  }
}
