// Printing what an apply did (the report itself, and where an apply acts, are
// in src/report.ts: the daemon builds and sends them too).
import { changeLine, type ApplyReport } from '../report.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './usage.js';

export interface Output {
  format: 'text' | 'json';
  logLevel?: string | undefined;
  print: (s: string) => void;
  warn: (s: string) => void;
}

const PRINT_LIMIT = 1000;

export function outputFormat(output: string | undefined): 'text' | 'json' {
  const format = output ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('-o must be text or json');
  return format;
}

/** Prints a report and returns the exit code. */
export function printReport(r: ApplyReport, out: Output, verb = 'apply'): number {
  if (out.format === 'json') {
    const { notes: _, configNotes: __, ...rest } = r;
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


export { buildReport, changeLine, stateFor, type ApplyReport, type Target } from '../report.js';
