// A netcfg daemon for one test network: started as its own process (as users
// run it), ready once its control socket answers, stopped when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { BIN, netcfg } from './cli.js';
import { readJsonLog } from './json-stream.js';
import type { TestNet } from './netns.js';

export interface TestDaemon {
  process: ChildProcess;
  socket: string;
  /** Log lines (JSON) so far. */
  log(): Array<Record<string, unknown>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Common arguments for CLI commands that should reach this daemon. */
  args: string[];
}

/** Polls `check` every 50 ms until it returns true or `ms` pass; returns how long it took (or throws). */
export async function within(ms: number, check: () => boolean | Promise<boolean>, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `netcfg daemon` for the test network: with --netns and a test
 * --etc-dir, or (via 'netns-exec') as `ip netns exec NS netcfg daemon` with
 * neither, as a user would run it inside the namespace.
 */
export async function startDaemon(
  net: TestNet,
  configFile?: string,
  extra: string[] = [],
  /** readyMs: how long it may take to be ready (default 20 s; the qemu lane's TCG is many times slower). */
  options: { via?: 'netns' | 'netns-exec'; readyMs?: number } = {},
): Promise<TestDaemon> {
  const args = ['--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', path.join(net.dir, 'etc')];
  const logFile = path.join(net.dir, `daemon-${Date.now()}.log`);
  const out = fs.openSync(logFile, 'a');
  const daemonArgs = [BIN, 'daemon', ...(options.via === 'netns-exec' ? ['--state-dir', net.stateDir] : args), '--log-level', 'debug', ...(configFile ? ['-c', configFile] : []), ...extra];
  // ip netns exec execs the command: the child's pid is the daemon's
  const [cmd, argv] = options.via === 'netns-exec' ? ['ip', ['netns', 'exec', net.ns, process.execPath, ...daemonArgs]] : [process.execPath, daemonArgs];
  const child = spawn(cmd, argv, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exit: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exit = code))));
  onTestFinished(async () => {
    if (exit === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const socket = path.join(net.stateDir, `netns-${net.ns}.sock`);
  const log = () => readJsonLog(logFile);
  try {
    await within(options.readyMs ?? 20_000, () => exit !== undefined || log().some((l) => l.msg === 'netcfg daemon ready'), 'daemon ready');
  } catch (err) {
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`${(err as Error).message} (${net.ns}); its log ends:\n${tail}`);
  }
  if (exit !== undefined) throw new Error(`daemon exited ${exit}:\n${fs.readFileSync(logFile, 'utf8')}`);
  return {
    process: child,
    socket,
    log,
    args,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `netcfg status -o json` through the daemon. */
export async function daemonStatus(d: TestDaemon): Promise<Record<string, unknown>> {
  const r = await netcfg(['status', '-o', 'json', ...d.args]);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
