// Runs the built netcfg CLI as a separate process, the way users do.
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/netcfg.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function netcfg(args: string[], options: { netnsExec?: string } = {}): Promise<CliResult> {
  const [cmd, argv] = options.netnsExec ? ['ip', ['netns', 'exec', options.netnsExec, process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const r = await execa(cmd, argv as string[], { reject: false, stdin: 'ignore', env: { NO_COLOR: '1' } });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface ApplySummary {
  changes: Array<{ action: string; kind: string; id: string; detail?: string }>;
  pending: string[];
  errors: string[];
  summary: { added: number; changed: number; removed: number; netlinkWrites: number };
}

/** netcfg apply -o json; throws with the output when the exit code is not the expected one. */
export async function applyJson(net: { ns: string; stateDir: string; dir: string }, file: string, expectCode = 0, extra: string[] = []): Promise<ApplySummary> {
  // files go under the test's directory unless the test says where
  const etc = extra.includes('--etc-dir') ? [] : ['--etc-dir', `${net.dir}/etc`];
  const r = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '-o', 'json', ...etc, ...extra, file]);
  if (r.exitCode !== expectCode) throw new Error(`netcfg apply exited ${r.exitCode} (expected ${expectCode})\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as ApplySummary;
}
