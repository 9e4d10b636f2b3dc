// The suite's host guard can fail: a test file that changes /etc/hosts and the
// hostname (inside a private mount and UTS namespace, on a scratch copy of
// /etc/hosts) makes the guarded run fail, naming that file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('fails a run whose test file changed /etc/hosts or the hostname, naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-guard-'));
  try {
    const scratch = path.join(dir, 'hosts');
    fs.copyFileSync('/etc/hosts', scratch);
    const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
    const script = `mount --make-rprivate / && mount --bind ${scratch} /etc/hosts && exec ${process.execPath} ${vitest} run --config test/fixtures/guard/vitest.config.ts`;
    let out = '';
    let code = 0;
    try {
      out = execFileSync('unshare', ['--mount', '--uts', 'sh', '-c', script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NETCFG_GUARD_SCRATCH: '1', CI: '' } });
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      code = e.status;
      out = `${e.stdout}\n${e.stderr}`;
    }
    expect(code, out).not.toBe(0);
    expect(out).toMatch(/changes-host\.guard\.ts changed this machine: .*hostname: .* → guard-test-host/);
    expect(out).toMatch(/\/etc\/hosts: [0-9a-f]{64} → [0-9a-f]{64}/);
    // the scratch file took the change, the machine's did not
    expect(fs.readFileSync(scratch, 'utf8')).toContain('guard-test');
    expect(fs.readFileSync('/etc/hosts', 'utf8')).not.toContain('guard-test');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
