// The suite's rule that CI allows no skipped test: a run with one skipped test
// fails under CI=true and names it; outside CI it passes and still names it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(ci: boolean) {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/skips/vitest.config.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: ci ? 'true' : '' },
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

it('a skipped test fails a CI run, naming it; outside CI it is reported only', () => {
  const ci = run(true);
  expect(ci.code, ci.out).not.toBe(0);
  expect(ci.out).toMatch(/FAIL: 1 test was skipped \(CI allows none\):\n {2}- .*one-skipped\.skips\.ts: is skipped/);
  const local = run(false);
  expect(local.code, local.out).toBe(0);
  expect(local.out).toMatch(/1 test was skipped:\n {2}- .*one-skipped\.skips\.ts: is skipped/);
});
