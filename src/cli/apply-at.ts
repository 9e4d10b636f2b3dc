// Applying a config at a target (or undoing everything netcfg applied there),
// with the state lock held by the caller: shared by apply, rollback and the
// --try watcher.
import type { ConfigSet } from '../config/load.js';
import { applyOnce, undoAll, type ApplyResult } from '../engine.js';
import { etcTargetFor, kernelCmdline, kernelUts } from '../host.js';
import { hardwareFor } from '../hw/hardware.js';
import type { RtnlClient } from '../netlink/rtnetlink/client.js';
import type { StateFile } from '../runtime/state-file.js';
import { buildReport, printReport, type Output, type Target } from './report.js';
import { logger, openKernel } from './common.js';
import { startProgress } from './progress.js';

/** Prints what a run did (or would do) and returns the exit code. */
export function report(result: ApplyResult, kernel: RtnlClient, dryRun: boolean, out: Output, verb = 'apply'): number {
  return printReport(buildReport(result, kernel.stats.writes, dryRun), out, verb);
}

/**
 * Applies config text (or, with `text` undefined, undoes everything netcfg
 * applied) at a target, with the state lock held by the caller.
 */
export async function applyAt(target: Target, state: StateFile, config: ConfigSet | undefined, dryRun: boolean, out: Output, verb = 'apply'): Promise<number> {
  const log = logger(out.logLevel);
  const kernel = openKernel(target.netns);
  try {
    const etc = etcTargetFor(target.netns, target.etcDir);
    if (etc.skipped) out.warn(`note: ${etc.skipped}`);
    const common = { kernel, log, dryRun, state, netns: target.netns, uts: kernelUts(target.netns, target.uts), etc, hardware: hardwareFor(target.netns, target.sysfsRoot) };
    let result: ApplyResult;
    const progress = startProgress(() => kernel.progress, out.format);
    try {
      if (config === undefined) {
        result = await undoAll(common);
      } else {
        const linkNames = (await kernel.listLinks()).map((l) => l.name);
        const cmdline = kernelCmdline(target.netns, target.cmdline, linkNames);
        for (const e of cmdline?.errors ?? []) out.warn(`kernel command line: ${e.arg}: ${e.message}`);
        result = await applyOnce(config, { ...common, cmdline });
      }
    } finally {
      progress.stop();
    }
    return report(result, kernel, dryRun, out, verb);
  } finally {
    kernel.close();
  }
}
