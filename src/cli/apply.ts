// netcfg apply FILE: validate, then make the kernel match, and report.
import { loadConfig } from '../config/load.js';
import { formatIssue } from '../config/issues.js';
import { applyOnce } from '../engine.js';
import { stateScope } from '../netns.js';
import type { Change } from '../runtime/changes.js';
import { DEFAULT_STATE_DIR, StateFile } from '../runtime/state-file.js';
import { ReconcileErrors } from '../runtime/controller.js';
import { logger, openKernel } from './common.js';
import { etcDirFor, kernelCmdline, kernelUts } from '../host.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './usage.js';

export interface ApplyOptions {
  file: string | undefined;
  netns: string | undefined;
  dryRun: boolean;
  stateDir: string | undefined;
  output: string | undefined;
  logLevel: string | undefined;
  etcDir?: string | undefined;
  cmdline?: string | undefined;
}

const SYMBOL = { add: '+', change: '~', remove: '-' } as const;
const PRINT_LIMIT = 1000;

export function changeLine(c: Change): string {
  return `${SYMBOL[c.action]} ${c.kind} ${c.id}${c.detail ? `: ${c.detail}` : ''}`;
}

function errorMessages(failures: Array<{ controller: string; error: Error }>): string[] {
  const out: string[] = [];
  for (const f of failures) {
    if (f.error instanceof ReconcileErrors) for (const e of f.error.errors) out.push(e.message);
    else out.push(f.error.message);
  }
  return out;
}

export async function runApply(o: ApplyOptions, print: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (!o.file) throw new UsageError('apply needs a config file: netcfg apply FILE');
  const format = o.output ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError('-o must be text or json');
  const loaded = loadConfig(o.file); // ConfigInvalidError → exit 2 before any kernel access
  for (const note of loaded.notes) warn(formatIssue(o.file, note));
  const log = logger(o.logLevel);
  const kernel = openKernel(o.netns);
  const state = new StateFile(o.stateDir ?? DEFAULT_STATE_DIR, stateScope(o.netns));
  try {
    if (!o.dryRun) state.lock();
    const linkNames = (await kernel.listLinks()).map((l) => l.name);
    const cmdline = kernelCmdline(o.netns, o.cmdline, linkNames);
    for (const e of cmdline?.errors ?? []) warn(`kernel command line: ${e.arg}: ${e.message}`);
    const result = await applyOnce(loaded.config, { kernel, log, dryRun: o.dryRun, state, cmdline, uts: kernelUts(o.netns), etcDir: etcDirFor(o.netns, o.etcDir) });
    const errors = errorMessages(result.failures);
    const changes = result.changes.changes;
    const pending = [...result.changes.pending.values()];
    const writes = kernel.stats.writes;
    if (format === 'json') {
      print(
        JSON.stringify(
          {
            dryRun: o.dryRun,
            changes,
            pending,
            errors,
            summary: { added: result.changes.count('add'), changed: result.changes.count('change'), removed: result.changes.count('remove'), netlinkWrites: writes },
          },
          null,
          2,
        ),
      );
    } else {
      changes.slice(0, PRINT_LIMIT).forEach((c) => print(changeLine(c)));
      if (changes.length > PRINT_LIMIT) print(`… and ${changes.length - PRINT_LIMIT} more changes (use -o json to see all)`);
      for (const p of pending) print(`pending: ${p}`);
      for (const e of errors) print(`error: ${e}`);
      const summary = `${result.changes.summary()} (${writes} netlink writes)`;
      print(o.dryRun ? `dry run: would apply ${summary.replace(/ \(0 netlink writes\)$/, '')}; nothing was changed` : `apply: ${summary}`);
    }
    return errors.length > 0 ? EXIT_FAILED : EXIT_OK;
  } finally {
    state.unlock();
    kernel.close();
  }
}
