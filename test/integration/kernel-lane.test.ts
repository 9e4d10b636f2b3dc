// The real-kernel lane: boots Debian's kernel under qemu (test/vm), runs the
// test/kernel/*.kernel.ts tests inside it, and reports each file here. A
// missing qemu or kernel image fails these tests; nothing is skipped.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { laneNicArgs } from '../vm/nics.js';
import { runVm, type VmRun } from '../vm/vm.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const all = fs.readdirSync(path.join(root, 'test/kernel')).filter((f) => f.endsWith('.kernel.ts')).sort();
/**
 * NETCFG_LANE_FILES=kubespan,wireguard runs only the files whose names start with
 * those words, for a quicker local iteration. CI runs every file: there the
 * variable is an error, not a filter.
 */
const selection = (process.env.NETCFG_LANE_FILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
if (selection.length > 0 && process.env.CI) throw new Error(`NETCFG_LANE_FILES=${process.env.NETCFG_LANE_FILES} under CI: the lane runs every file in CI`);
const files = selection.length === 0 ? all : all.filter((f) => selection.some((s) => f.startsWith(s)));
if (selection.length > 0) {
  if (files.length === 0) throw new Error(`NETCFG_LANE_FILES=${process.env.NETCFG_LANE_FILES} names none of ${all.join(', ')}`);
  console.warn(`real-kernel lane: NETCFG_LANE_FILES runs only ${files.join(', ')} (not ${all.filter((f) => !files.includes(f)).join(', ') || 'nothing'})`);
}

interface Report {
  testResults: Array<{ name: string; status: string; message?: string; assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>;
}

describe('real-kernel lane (qemu)', () => {
  let run: VmRun | undefined;
  let report: Report | undefined;
  let failure: Error | undefined;

  beforeAll(async () => {
    try {
      // NICs for test/kernel/names.kernel.ts (the other tests use namespaces of their own)
      run = await runVm({
        script: path.join(root, 'test/vm/guest-tests.sh'),
        args: selection.length > 0 ? files.map((f) => `test/kernel/${f}`) : [],
        timeoutMs: 25 * 60_000, qemuArgs: laneNicArgs() });
      const file = run.results.get('kernel-results.json');
      if (file) report = JSON.parse(file.toString('utf8')) as Report;
    } catch (err) {
      failure = err as Error;
    }
  }, 26 * 60_000);

  const tail = () => (run ? `--- guest output ---\n${run.output.slice(-6000)}\n--- console ---\n${run.console.slice(-3000)}` : String(failure));

  it('boots the VM and runs the real-kernel tests', () => {
    expect(failure?.message, tail()).toBeUndefined();
    expect(report, tail()).toBeDefined();
    expect(run!.exitCode, tail()).toBe(0);
  });

  it.each(files)('%s passes on a real kernel', (file) => {
    const result = report?.testResults.find((t) => t.name.endsWith(`/test/kernel/${file}`));
    expect(result, `no results for ${file}\n${tail()}`).toBeDefined();
    const notPassed = result!.assertionResults.filter((a) => a.status !== 'passed').map((a) => `${a.status}: ${a.fullName}\n${a.failureMessages.join('\n')}`);
    // the names of the tests that ran in the VM, for the CI log
    console.log(result!.assertionResults.map((a) => `  ${a.status === 'passed' ? '✓' : '×'} ${a.fullName}`).join('\n'));
    expect(notPassed, result!.message).toEqual([]);
    expect(result!.assertionResults.length).toBeGreaterThan(0);
  });
});
