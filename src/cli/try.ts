// Safe apply: `apply --try` applies a config and starts a watcher process that
// rolls back to the previous one at the deadline unless `netcfg confirm` comes
// first; `netcfg rollback` restores the previous config on demand. The watcher
// is its own session, so it survives the SSH connection the tried config may cut.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSet } from '../config/config-set.js';
import { parseDuration } from '../config/durations.js';
import type { StateFile } from '../runtime/state-file.js';
import { applyAt } from './apply-at.js';
import { outputFormat, printReport, stateFor, type ApplyReport, type Output, type Target } from './report.js';
import { callDaemon, daemonFor } from './daemon.js';
import { EXIT_OK, UsageError } from './usage.js';


export function tryTimeoutMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout must be a duration such as 120s or 2m, got "${text}"`);
  return ms;
}

const BIN = fileURLToPath(new URL('../../bin/netcfg.js', import.meta.url));

function targetArgs(t: Target, stateDir: string): string[] {
  const args = ['--state-dir', stateDir];
  if (t.netns !== undefined) args.push('--netns', t.netns);
  if (t.etcDir !== undefined) args.push('--etc-dir', t.etcDir);
  if (t.sysfsRoot !== undefined) args.push('--sysfs-root', t.sysfsRoot);
  if (t.cmdline !== undefined) args.push('--cmdline', t.cmdline);
  if (t.uts !== undefined) args.push('--uts', t.uts);
  return args;
}

/** After a tried config is applied: remember it as pending and start the rollback watcher. */
export function startTry(state: StateFile, target: Target, text: string, timeoutMs: number, out: Output): void {
  const token = crypto.randomBytes(8).toString('hex');
  const deadline = Date.now() + timeoutMs;
  state.writeConfig('pending', text);
  state.writeTry({ token, deadline, ...(target.netns ? { netns: target.netns } : {}), ...(target.etcDir ? { etcDir: target.etcDir } : {}), ...(target.sysfsRoot ? { sysfsRoot: target.sysfsRoot } : {}), ...(target.cmdline ? { cmdline: target.cmdline } : {}), ...(target.uts ? { uts: target.uts } : {}) });
  const log = fs.openSync(state.tryLogFile, 'a', 0o600);
  const child = spawn(process.execPath, [BIN, 'rollback', '--expire', token, ...targetArgs(target, state.dir)], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  fs.closeSync(log);
  const marker = state.readTry();
  if (marker) state.writeTry({ ...marker, watcherPid: child.pid ?? 0 });
  (out.format === 'json' ? out.warn : out.print)(`try: run \`netcfg confirm\` within ${Math.round(timeoutMs / 1000)}s to keep this config; otherwise it is rolled back (watcher pid ${child.pid})`);
}

function stopWatcher(pid: number | undefined): void {
  if (!pid || pid === process.pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function runConfirm(target: Target, out: Output): Promise<number> {
  const daemon = await daemonFor(target);
  if (daemon) {
    out.print((await callDaemon<{ message: string }>(daemon, { op: 'confirm' })).message);
    return EXIT_OK;
  }
  const state = stateFor(target);
  await state.lockWait(10_000);
  try {
    const marker = state.readTry();
    if (!marker) throw new UsageError('nothing to confirm: no `apply --try` is waiting');
    stopWatcher(marker.watcherPid);
    state.writeConfig('previous', state.readConfig('applied'));
    state.writeConfig('applied', state.readConfig('pending'));
    state.writeConfig('pending', undefined);
    state.writeTry(undefined);
    out.print('confirmed: the tried config is now the applied config');
    return EXIT_OK;
  } finally {
    state.unlock();
  }
}

async function configOf(state: StateFile, which: 'applied' | 'previous', text: string | undefined) {
  // the YAML parser and the schema library load only here, not for every `apply --try`
  return text === undefined ? undefined : configSet(await (await import('../config/load.js')).parseConfigText(state.configFile(which), text));
}

/**
 * Rolls back: during a try, to the config in effect before it; otherwise to
 * the previous applied config (or, when there is none, undoes everything
 * netcfg did). With `expire`, runs as the watcher of the try with that token:
 * waits for the deadline and does nothing if the try was confirmed meanwhile.
 */
export async function runRollback(target: Target, expire: string | undefined, output: string | undefined, out: Output): Promise<number> {
  const format = outputFormat(output);
  const o: Output = { ...out, format };
  const state = stateFor(target);
  if (expire === undefined) {
    const daemon = await daemonFor(target);
    if (daemon) return printReport(await callDaemon<ApplyReport>(daemon, { op: 'rollback' }), o, 'rollback');
  }
  if (expire !== undefined) {
    const marker = state.readTry();
    if (!marker || marker.token !== expire) return EXIT_OK;
    await new Promise((r) => setTimeout(r, Math.max(0, marker.deadline - Date.now())));
  }
  await state.lockWait(expire !== undefined ? 60_000 : 10_000);
  try {
    const marker = state.readTry();
    if (expire !== undefined && (!marker || marker.token !== expire)) return EXIT_OK; // confirmed in the meantime
    if (marker) {
      if (expire === undefined) stopWatcher(marker.watcherPid);
      const text = state.readConfig('applied');
      o.print(expire !== undefined ? 'rollback: the tried config was not confirmed in time' : 'rollback: abandoning the tried config');
      const where: Target = { ...target, netns: marker.netns ?? target.netns, etcDir: marker.etcDir ?? target.etcDir, sysfsRoot: marker.sysfsRoot ?? target.sysfsRoot, cmdline: marker.cmdline ?? target.cmdline, uts: marker.uts ?? target.uts };
      const code = await applyAt(where, state, await configOf(state, 'applied', text), false, o, 'rollback');
      state.writeConfig('pending', undefined);
      state.writeTry(undefined);
      return code;
    }
    const previous = state.readConfig('previous');
    const current = state.readConfig('applied');
    if (previous === undefined && current === undefined) throw new UsageError('nothing to roll back: netcfg has not applied a config here');
    o.print(previous === undefined ? 'rollback: no previous config; undoing everything netcfg applied' : 'rollback: restoring the previous config');
    const code = await applyAt(target, state, await configOf(state, 'previous', previous), false, o, 'rollback');
    state.writeConfig('applied', previous);
    state.writeConfig('previous', current);
    return code;
  } finally {
    state.unlock();
  }
}
