// bin/netcfg.js runs the bundled CLI (dist/bundle/, made by scripts/bundle.mjs
// after tsc) unless NETCFG_ENTRY=dist asks for the plain build. Both must behave
// the same: daemon-dist.test.ts and demo-dist.test.ts run the daemon and demo
// tests on the plain build (the originals run the bundle); this file checks which
// code each entry really runs, that the bundle keeps the discovery client lazy,
// and that every bad config gets the same messages and exit code from both.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-bundle-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every script URL node compiled while running `args` (from V8 coverage, which node writes on exit). */
function scriptsLoaded(args: string[], env: Record<string, string> = {}): { urls: string[]; stdout: string; status: number | null } {
  const dir = fs.mkdtempSync(path.join(tmp, 'cov-'));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NETCFG_ENTRY: '', ...env, NODE_V8_COVERAGE: dir } });
  const urls = fs
    .readdirSync(dir)
    .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { result: Array<{ url: string }> }).result.map((s) => s.url))
    .filter((u) => u.startsWith('file:'));
  return { urls, stdout: r.stdout, status: r.status };
}

const inBundle = (u: string) => u.includes('/dist/bundle/');
const inPlain = (u: string) => u.includes('/dist/') && !inBundle(u);

describe('the bundled entry point', () => {
  it('bin/netcfg.js runs the bundle by default and the plain build with NETCFG_ENTRY=dist', () => {
    const bundled = scriptsLoaded([BIN, '--version']);
    expect(bundled.status).toBe(0);
    expect(bundled.urls.some((u) => u.endsWith('/dist/bundle/main.js'))).toBe(true);
    expect(bundled.urls.filter(inPlain)).toEqual([]);
    const plain = scriptsLoaded([BIN, '--version'], { NETCFG_ENTRY: 'dist' });
    expect(plain.status).toBe(0);
    expect(plain.urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(plain.urls.filter(inBundle)).toEqual([]);
    expect(bundled.stdout).toBe(plain.stdout);
    expect(bundled.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('loads no gRPC or protobuf code for the daemon unless discovery is enabled', () => {
    const probe = (file: string) => scriptsLoaded(['--input-type=module', '-e', `await import(${JSON.stringify(path.join(root, 'dist/bundle', file))})`]).urls;
    const grpc = (u: string) => u.includes('/@grpc/') || u.includes('/protobufjs/');
    const daemon = probe('daemon.js');
    expect(daemon.some((u) => u.endsWith('/dist/bundle/daemon.js'))).toBe(true);
    expect(daemon.filter(grpc)).toEqual([]);
    // the check can fail: the discovery client's own chunk does load them
    expect(probe('discovery.js').some(grpc)).toBe(true);
  });

  it('gives every bad config the same messages and exit code as the plain build', () => {
    const files = ['bad', 'bad-documents'].flatMap((d) =>
      fs
        .readdirSync(path.join(root, 'test/fixtures', d))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => path.join(root, 'test/fixtures', d, f)),
    );
    expect(files.length).toBeGreaterThan(50);
    // one process per entry, `netcfg validate FILE` for every file, as main() runs it
    const script = `
      const { main } = await import(process.argv[1]);
      const out = [];
      for (const file of JSON.parse(process.argv[2])) {
        const lines = [];
        const code = await main(['validate', file], (s) => lines.push('out: ' + s), (s) => lines.push('err: ' + s));
        out.push({ file, code, lines });
      }
      console.log(JSON.stringify(out));`;
    const run = (entry: string) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, path.join(root, entry), JSON.stringify(files)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Array<{ file: string; code: number; lines: string[] }>;
    const bundled = run('dist/bundle/main.js');
    const plain = run('dist/cli/main.js');
    expect(bundled.filter((r) => r.code === 2).length).toBe(files.length);
    expect(bundled).toEqual(plain);
  }, 120_000);
});
