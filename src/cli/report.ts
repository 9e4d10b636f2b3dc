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

/** Changes a text report prints (the rest are counted). */
export const PRINT_LIMIT = 1000;
/** Changes stringified at a time in a JSON report (100k changes never exist as one text). */
const JSON_CHUNK = 1000;

export function outputFormat(output: string | undefined): 'text' | 'json' {
  const format = output ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('-o must be text or json');
  return format;
}

/** Prints a report and returns the exit code. */
export function printReport(r: ApplyReport, out: Output, verb = 'apply'): number {
  if (out.format === 'json') {
    const { notes: _, configNotes: __, omittedChanges: ___, ...rest } = r;
    printJson(rest, out.print);
  } else {
    r.changes.slice(0, PRINT_LIMIT).forEach((c) => out.print(changeLine(c)));
    const more = r.changes.length + (r.omittedChanges ?? 0) - Math.min(r.changes.length, PRINT_LIMIT);
    if (more > 0) out.print(`… and ${more} more changes (use -o json to see all)`);
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

/**
 * Prints JSON.stringify(report, null, 2), the changes a thousand at a time:
 * the same text (line breaks fall between the printed pieces), without the
 * whole of it (18 MB at 100k routes) or every change's plain copy in memory.
 */
export function printJson(report: Omit<ApplyReport, 'notes' | 'configNotes'>, print: (s: string) => void): void {
  const { changes } = report;
  // top-level keys are indented by two spaces; deeper lines by more, and strings hold no raw line break
  const marker = '\n  "changes": []';
  const whole = JSON.stringify({ ...report, changes: [] }, null, 2);
  const at = whole.indexOf(marker);
  if (changes.length === 0 || at < 0) {
    print(JSON.stringify(report, null, 2));
    return;
  }
  print(`${whole.slice(0, at)}\n  "changes": [`);
  for (let i = 0; i < changes.length; i += JSON_CHUNK) {
    const end = Math.min(changes.length, i + JSON_CHUNK);
    // the chunk as an array ("[\n  {…},\n  {…}\n]") without its brackets, two levels deeper: one call
    // per chunk, not per change (100k changes: ~4x quicker)
    const items = JSON.stringify(changes.slice(i, end), null, 2).slice(2, -2);
    print(`  ${items.replaceAll('\n', '\n  ')}${end < changes.length ? ',' : ''}`);
  }
  print(`  ]${whole.slice(at + marker.length)}`);
}
