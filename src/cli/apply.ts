// netcfg apply FILE: validate, then make the kernel match, and report.
import path from 'node:path';
import { configSet, loadConfig, type ConfigSet } from '../config/load.js';
import { formatIssue } from '../config/issues.js';
import { applyOnce, undoAll, type ApplyResult } from '../engine.js';
import { etcTargetFor, kernelCmdline, kernelUts } from '../host.js';
import { hardwareFor } from '../hw/hardware.js';
import type { RtnlClient } from '../netlink/rtnetlink/client.js';
import type { StateFile } from '../runtime/state-file.js';
import { buildReport, outputFormat, printReport, stateFor, type ApplyReport, type Output, type Target } from './report.js';
import { logger, openKernel } from './common.js';
import { UsageError } from './usage.js';
import { startTry, tryTimeoutMs } from './try.js';
import { callDaemon, daemonFor } from './daemon.js';

export { buildReport, changeLine, outputFormat, printReport, stateFor, type ApplyReport, type Output, type Target } from './report.js';

export interface ApplyOptions extends Target {
  file: string | undefined;
  dryRun: boolean;
  output: string | undefined;
  logLevel: string | undefined;
  tryTimeout?: string | undefined;
}

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
    const common = { kernel, log, dryRun, state, uts: kernelUts(target.netns, target.uts), etc, hardware: hardwareFor(target.netns, target.sysfsRoot) };
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
  const loaded = await loadConfig(o.file);
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
    return applyAt(o, state, configSet(loaded), true, out);
  }
  state.lock();
  try {
    const trying = state.readTry();
    if (trying) throw new UsageError('an `apply --try` is waiting for confirmation: run `netcfg confirm` or `netcfg rollback` first');
    const code = await applyAt(o, state, configSet(loaded), false, out);
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
