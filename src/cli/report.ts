// What an apply did, for people and programs (also sent by the daemon over its
// socket), and where it acts.
import { stateScope } from '../netns.js';
import type { ApplyResult } from '../engine.js';
import type { Change } from '../runtime/changes.js';
import { ReconcileErrors } from '../runtime/controller.js';
import { DEFAULT_STATE_DIR, StateFile } from '../runtime/state-file.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './usage.js';

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

