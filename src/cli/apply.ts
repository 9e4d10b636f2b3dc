// netcfg apply FILE: validate (or take the config from its validated copy), then make the kernel match, and report.
import path from 'node:path';
import { configSet, readConfigText } from '../config/config-set.js';
import { validatedCopyOf } from '../config/validated-copy.js';
import { ConfigInvalidError, formatIssue } from '../config/issues.js';
import { PRINT_LIMIT, outputFormat, printReport, stateFor, type ApplyReport, type Output, type Target } from './report.js';
import { applyAt } from './apply-at.js';
import { UsageError } from './usage.js';
import { startTry, tryTimeoutMs } from './try.js';
import { callDaemon, daemonFor } from './daemon.js';

export { buildReport, changeLine, outputFormat, printReport, stateFor, type ApplyReport, type Output, type Target } from './report.js';
export { applyAt, report } from './apply-at.js';

export interface ApplyOptions extends Target {
  file: string | undefined;
  dryRun: boolean;
  output: string | undefined;
  logLevel: string | undefined;
  tryTimeout?: string | undefined;
}

export async function runApply(o: ApplyOptions, print: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (!o.file) throw new UsageError('apply needs a config file: netcfg apply FILE');
  const file = o.file;
  const out: Output = { format: outputFormat(o.output), logLevel: o.logLevel, print, warn };
  const state = stateFor(o);
  const timeoutMs = o.tryTimeout === undefined ? undefined : tryTimeoutMs(o.tryTimeout);
  if (o.dryRun && timeoutMs !== undefined) throw new UsageError('--try and --dry-run do not go together');
  // a running daemon owns this namespace: it validates and applies the config (validating it here too
  // would double the work of a big config: ~1 s and 180 MB at 100k routes), and its issues and
  // notes are printed as this command prints its own, with the file named as it was given
  let text: string | undefined = readConfigText(file);
  const daemon = await daemonFor(o);
  if (daemon) {
    let r: ApplyReport;
    try {
      // a terminal's report lists a thousand changes: the daemon neither sends nor this process reads more
      const limit = out.format === 'text' ? { changesLimit: PRINT_LIMIT } : {};
      r = await callDaemon<ApplyReport>(daemon, { op: 'apply', file: path.resolve(file), text, dryRun: o.dryRun, ...(timeoutMs !== undefined ? { tryMs: timeoutMs } : {}), ...limit });
    } catch (err) {
      if (err instanceof ConfigInvalidError) throw new ConfigInvalidError(file, err.issues);
      throw err;
    }
    for (const note of r.configNotes ?? []) warn(formatIssue(file, note));
    return printReport(r, out);
  }
  // handed over in a holder that applyHere empties: this frame keeps no reference to the text
  const held = { text: text as string | undefined };
  const bulk = text.length >= BULK_CONFIG;
  text = undefined;
  // a config this large is a bulk apply: see util/heap-growth.ts
  if (bulk) return (await import('../util/heap-growth.js')).withModestHeapGrowth(() => applyHere(o, file, held, state, timeoutMs, out, warn));
  return applyHere(o, file, held, state, timeoutMs, out, warn);
}

/** From a config of this size on (~4k routes), V8's heaps grow modestly while it is applied. */
const BULK_CONFIG = 256 * 1024;

/** Validates and applies the config in this process (no daemon serves the namespace). */
async function applyHere(o: ApplyOptions, file: string, held: { text: string | undefined }, state: ReturnType<typeof stateFor>, timeoutMs: number | undefined, out: Output, warn: (s: string) => void): Promise<number> {
  let text = held.text!;
  held.text = undefined;
  // the config as it was validated before, when this build validated exactly this text
  const copy = validatedCopyOf(state);
  const { loaded, fromCopy } = await copy.load(file, text, { writing: !o.dryRun });
  for (const note of loaded.notes) warn(formatIssue(file, note));
  if (o.dryRun) {
    if (timeoutMs !== undefined) throw new UsageError('--try and --dry-run do not go together');
    return applyAt(o, state, configSet(loaded), true, out);
  }
  state.lock();
  try {
    const trying = state.readTry();
    if (trying) throw new UsageError('an `apply --try` is waiting for confirmation: run `netcfg confirm` or `netcfg rollback` first');
    // kept for the next apply (or daemon start) on this text; best effort: without it, that one validates again
    if (!fromCopy) copy.write(loaded, text);
    // the text waits on disk while the config is applied (6.7 MB at 100k routes that this process need not
    // hold: a config that large has strings of its own, not slices of the text, see config/load.ts)
    state.writeConfig('staged', text);
    text = '';
    const code = await applyAt(o, state, configSet(loaded), false, out);
    if (timeoutMs !== undefined) startTry(state, o, state.readConfig('staged')!, timeoutMs, out);
    else state.applyConfig();
    return code;
  } finally {
    state.writeConfig('staged', undefined);
    state.unlock();
  }
}
