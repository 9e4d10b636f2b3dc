// What an apply did (or would do), for people and programs, and where it acts.
// Shared by the CLI and the daemon (which sends reports over its socket).
import { stateScope } from './netns.js';
import type { ApplyResult } from './engine.js';
import type { ConfigIssue } from './config/issues.js';
import type { Change } from './runtime/changes.js';
import { ReconcileErrors } from './runtime/controller.js';
import { DEFAULT_STATE_DIR, StateFile } from './runtime/state-file.js';
import { RECORDS_OF_ONE_BOOT } from './resources/network/types.js';

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

const SYMBOL = { add: '+', change: '~', remove: '-' } as const;

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
  return new StateFile(target.stateDir ?? DEFAULT_STATE_DIR, stateScope(target.netns), { oneBoot: RECORDS_OF_ONE_BOOT });
}

/** What a run did (or would do): printed as text, or as JSON with -o json; the daemon sends it over its socket. */
export interface ApplyReport {
  dryRun: boolean;
  changes: Change[];
  pending: string[];
  errors: string[];
  summary: { added: number; changed: number; removed: number; netlinkWrites: number };
  /** Changes not listed (the daemon lists at most as many as asked: a terminal shows a thousand). */
  omittedChanges?: number;
  /** Extra lines for humans (e.g. how to confirm a tried config). */
  notes?: string[];
  /**
   * The daemon's: the config's warnings and notes from its validation (the CLI
   * prints them as it prints its own, to stderr; not part of the report).
   */
  configNotes?: ConfigIssue[];
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
