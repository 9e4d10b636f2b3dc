// netcfg apply FILE: validate, then make the kernel match, and report.
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/load.js';
import { ConfigInvalidError, formatIssue } from '../config/issues.js';
import { applyOnce, undoAll, type ApplyResult } from '../engine.js';
import { etcDirFor, kernelCmdline, kernelUts } from '../host.js';
import { hardwareFor } from '../hw/hardware.js';
import { stateScope } from '../netns.js';
import type { RtnlClient } from '../netlink/rtnetlink/client.js';
import type { Change } from '../runtime/changes.js';
import { ReconcileErrors } from '../runtime/controller.js';
import { DEFAULT_STATE_DIR, StateFile } from '../runtime/state-file.js';
import { logger, openKernel } from './common.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './usage.js';
import { startTry, tryTimeoutMs } from './try.js';
import { callDaemon, daemonFor } from './daemon.js';

/** Where an apply acts: the namespace, state, /etc and kernel command line. */
export interface Target {
  netns?: string | undefined;
  stateDir?: string | undefined;
  etcDir?: string | undefined;
  /** A sysfs that shows the target namespace's links (default: /sys, and only for the process's own namespace). */
  sysfsRoot?: string | undefined;
  cmdline?: string | undefined;
  /** UTS namespace (e.g. /proc/PID/ns/uts) for the hostname of another network namespace. */
  uts?: string | undefined;
  /** A running daemon's control socket (default: next to the state file). */
  socket?: string | undefined;
}

export interface Output {
  format: 'text' | 'json';
  logLevel?: string | undefined;
  print: (s: string) => void;
  warn: (s: string) => void;
}

export interface ApplyOptions extends Target {
  file: string | undefined;
  dryRun: boolean;
  output: string | undefined;
  logLevel: string | undefined;
  tryTimeout?: string | undefined;
}

const SYMBOL = { add: '+', change: '~', remove: '-' } as const;
const PRINT_LIMIT = 1000;

export function changeLine(c: Change): string {
  return `${SYMBOL[c.action]} ${c.kind} ${c.id}${c.detail ? `: ${c.detail}` : ''}`;
}

function errorMessages(failures: ApplyResult['failures']): string[] {
  const out: string[] = [];
  for (const f of failures) {
    if (f.error instanceof ReconcileErrors) for (const e of f.error.errors) out.push(e.message);
    else out.push(f.error.message);
  }
  return out;
}

export function stateFor(target: Target): StateFile {
  return new StateFile(target.stateDir ?? DEFAULT_STATE_DIR, stateScope(target.netns));
}

export function outputFormat(output: string | undefined): 'text' | 'json' {
  const format = output ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('-o must be text or json');
  return format;
}

/** Reads and validates a config file (ConfigInvalidError → exit 2, before any kernel access). */
export function readConfigFile(file: string): { text: string; config: ReturnType<typeof parseConfig>['config']; notes: ReturnType<typeof parseConfig>['notes'] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigInvalidError(file, [{ severity: 'error', path: [], message: `cannot read the file: ${e.code ?? e.message}` }]);
  }
  return { text, ...parseConfig(file, text) };
}

/** What a run did (or would do): printed as text, or as JSON with -o json; the daemon sends it over its socket. */
export interface ApplyReport {
  dryRun: boolean;
  changes: Change[];
  pending: string[];
  errors: string[];
  summary: { added: number; changed: number; removed: number; netlinkWrites: number };
  /** Extra lines for humans (e.g. how to confirm a tried config). */
  notes?: string[];
}

export function buildReport(result: ApplyResult, netlinkWrites: number, dryRun: boolean): ApplyReport {
  return {
    dryRun,
    changes: result.changes.changes,
    pending: [...result.changes.pending.values()],
    errors: errorMessages(result.failures),
    summary: { added: result.changes.count('add'), changed: result.changes.count('change'), removed: result.changes.count('remove'), netlinkWrites },
  };
}

/** Prints a report and returns the exit code. */
export function printReport(r: ApplyReport, out: Output, verb = 'apply'): number {
  if (out.format === 'json') {
    const { notes: _, ...rest } = r;
    out.print(JSON.stringify(rest, null, 2));
  } else {
    r.changes.slice(0, PRINT_LIMIT).forEach((c) => out.print(changeLine(c)));
    if (r.changes.length > PRINT_LIMIT) out.print(`… and ${r.changes.length - PRINT_LIMIT} more changes (use -o json to see all)`);
    for (const p of r.pending) out.print(`pending: ${p}`);
    for (const e of r.errors) out.print(`error: ${e}`);
    const s = r.summary;
    const summary = `${s.added} added, ${s.changed} changed, ${s.removed} removed (${s.netlinkWrites} netlink writes)`;
    out.print(r.dryRun ? `dry run: would ${verb} ${summary.replace(/ \(0 netlink writes\)$/, '')}; nothing was changed` : `${verb}: ${summary}`);
  }
  for (const n of r.notes ?? []) out.print(n);
  return r.errors.length > 0 ? EXIT_FAILED : EXIT_OK;
}

/** Prints what a run did (or would do) and returns the exit code. */
export function report(result: ApplyResult, kernel: RtnlClient, dryRun: boolean, out: Output, verb = 'apply'): number {
  return printReport(buildReport(result, kernel.stats.writes, dryRun), out, verb);
}

/**
 * Applies config text (or, with `text` undefined, undoes everything netcfg
 * applied) at a target, with the state lock held by the caller.
 */
export async function applyAt(target: Target, state: StateFile, config: ReturnType<typeof parseConfig>['config'] | undefined, dryRun: boolean, out: Output, verb = 'apply'): Promise<number> {
  const log = logger(out.logLevel);
  const kernel = openKernel(target.netns);
  try {
    const common = { kernel, log, dryRun, state, uts: kernelUts(target.netns, target.uts), etcDir: etcDirFor(target.netns, target.etcDir), hardware: hardwareFor(target.netns, target.sysfsRoot) };
    let result: ApplyResult;
    if (config === undefined) {
      result = await undoAll(common);
    } else {
      const linkNames = (await kernel.listLinks()).map((l) => l.name);
      const cmdline = kernelCmdline(target.netns, target.cmdline, linkNames);
      for (const e of cmdline?.errors ?? []) out.warn(`kernel command line: ${e.arg}: ${e.message}`);
      result = await applyOnce(config, { ...common, cmdline });
    }
    return report(result, kernel, dryRun, out, verb);
  } finally {
    kernel.close();
  }
}

export async function runApply(o: ApplyOptions, print: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (!o.file) throw new UsageError('apply needs a config file: netcfg apply FILE');
  const out: Output = { format: outputFormat(o.output), logLevel: o.logLevel, print, warn };
  const loaded = readConfigFile(o.file);
  for (const note of loaded.notes) warn(formatIssue(o.file, note));
  const state = stateFor(o);
  const timeoutMs = o.tryTimeout === undefined ? undefined : tryTimeoutMs(o.tryTimeout);
  if (o.dryRun && timeoutMs !== undefined) throw new UsageError('--try and --dry-run do not go together');
  // a running daemon owns this namespace: it applies the config
  const daemon = await daemonFor(o);
  if (daemon) {
    const r = await callDaemon<ApplyReport>(daemon, { op: 'apply', file: path.resolve(o.file), text: loaded.text, dryRun: o.dryRun, ...(timeoutMs !== undefined ? { tryMs: timeoutMs } : {}) });
    return printReport(r, out);
  }
  if (o.dryRun) {
    if (timeoutMs !== undefined) throw new UsageError('--try and --dry-run do not go together');
    return applyAt(o, state, loaded.config, true, out);
  }
  state.lock();
  try {
    const trying = state.readTry();
    if (trying) throw new UsageError('an `apply --try` is waiting for confirmation: run `netcfg confirm` or `netcfg rollback` first');
    const code = await applyAt(o, state, loaded.config, false, out);
    if (timeoutMs !== undefined) {
      startTry(state, o, loaded.text, timeoutMs, out);
    } else {
      state.writeConfig('previous', state.readConfig('applied'));
      state.writeConfig('applied', loaded.text);
    }
    return code;
  } finally {
    state.unlock();
  }
}
