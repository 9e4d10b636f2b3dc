// bin/netcfg.js runs the commands on the bundled CLI (dist/bundle/netcfg.cjs,
// made by scripts/bundle.mjs after tsc, compiled from a V8 code cache) unless
// NETCFG_ENTRY=dist asks for the plain build; --help always runs on the plain
// build (a few small modules), and `netcfg --version` alone is answered by
// bin/netcfg.js without either. Both must behave the same:
// daemon-dist.test.ts and demo-dist.test.ts run the daemon and demo tests on the
// plain build (the originals run the bundle); this file checks which code each
// entry really runs, that the bundled daemon keeps the gRPC clients lazy, that
// every bad config gets the same messages and exit code from both, and that the
// code cache is written, used, and harmless when stale.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startDaemon } from '../helpers/daemon.js';
import { createTestNet } from '../helpers/netns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-bundle-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every script URL node compiled in the processes that wrote V8 coverage to `dir` (node does on exit). */
function coverageUrls(dir: string, builtins = false): string[] {
  return fs
    .readdirSync(dir)
    .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { result: Array<{ url: string }> }).result.map((s) => s.url))
    .filter((u) => u.startsWith('file:') || (builtins && u.startsWith('node:')));
}

function scriptsLoaded(args: string[], env: Record<string, string> = {}, builtins = false): { urls: string[]; stdout: string; stderr: string; status: number | null } {
  const dir = fs.mkdtempSync(path.join(tmp, 'cov-'));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NETCFG_ENTRY: '', ...env, NODE_V8_COVERAGE: dir } });
  return { urls: coverageUrls(dir, builtins), stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const inBundle = (u: string) => u.includes('/dist/bundle/');
const inPlain = (u: string) => u.includes('/dist/') && !inBundle(u);

describe('the bundled entry point', () => {
  it('bin/netcfg.js runs commands on the bundle by default and on the plain build with NETCFG_ENTRY=dist', () => {
    const file = path.join(tmp, 'good.yaml');
    fs.writeFileSync(file, 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n');
    const bundled = scriptsLoaded([BIN, 'validate', file]);
    expect(bundled.status).toBe(0);
    expect(bundled.urls.some((u) => u.endsWith('/dist/bundle/netcfg.cjs'))).toBe(true);
    expect(bundled.urls.filter(inPlain)).toEqual([]);
    const plain = scriptsLoaded([BIN, 'validate', file], { NETCFG_ENTRY: 'dist' });
    expect(plain.status).toBe(0);
    expect(plain.urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(plain.urls.filter(inBundle)).toEqual([]);
    expect(bundled.stdout).toBe(plain.stdout);
    // node's heavier built-in modules load on first use in the bundle (scripts/bundle.mjs, LAZY_BUILTINS):
    // validate uses none of them (node:net is lazy too, but node loads it itself for a stdout that is a
    // pipe, as here); a command that uses node:crypto loads it on its first call
    const heavy = (u: string) => ['node:crypto', 'node:fs/promises', 'node:child_process'].includes(u);
    expect(scriptsLoaded([BIN, 'validate', file], {}, true).urls.filter(heavy)).toEqual([]);
    const wgkey = scriptsLoaded([BIN, 'gen', 'wgkey'], {}, true);
    expect(wgkey.status).toBe(0);
    expect(wgkey.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(wgkey.urls.filter(heavy)).toEqual(['node:crypto']);
    // `netcfg --version` alone is answered by bin/netcfg.js itself: no CLI module loads
    const pkgVersion = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const version = scriptsLoaded([BIN, '--version']);
    expect(version.status).toBe(0);
    expect(version.urls.filter((u) => u.includes('/dist/'))).toEqual([]);
    expect(version.stdout).toBe(`${pkgVersion}\n`);
    // written to fd 1 itself: no process.stdout, whose pipe stream (node:net) costs more than the answer
    const stdoutModules = (u: string) => u === 'node:net';
    expect(scriptsLoaded([BIN, '--version'], {}, true).urls.filter(stdoutModules)).toEqual([]);
    expect(scriptsLoaded([BIN, '--version', '--log-level', 'warn'], {}, true).urls.filter(stdoutModules)).toContain('node:net');
    // the CLI's own answer is the same (--version among other arguments, and the plain build)
    for (const [args, env] of [[['--version', '--log-level', 'warn'], {}], [['--version'], { NETCFG_ENTRY: 'dist' }]] as const) {
      const r = scriptsLoaded([BIN, ...args], env);
      expect(r.status).toBe(0);
      expect(r.urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
      expect(r.stdout).toBe(version.stdout);
    }
    // --help runs no command either: the plain build's main alone
    const help = scriptsLoaded([BIN, '--help']);
    expect(help.status).toBe(0);
    expect(help.urls.filter(inBundle)).toEqual([]);
    expect(help.stdout).toMatch(/^netcfg: /);
  });

  it('runs a daemon that loads no gRPC or protobuf code unless discovery is enabled', async () => {
    const grpc = (u: string) => u.includes('/@grpc/') || u.includes('/protobufjs/');
    const daemonUrls = async (config: string, builtins = false): Promise<string[]> => {
      const net = createTestNet();
      const file = path.join(net.dir, 'machine.yaml');
      fs.writeFileSync(file, config);
      const dir = fs.mkdtempSync(path.join(tmp, 'cov-'));
      process.env.NODE_V8_COVERAGE = dir; // for the daemon this starts, not for this process
      try {
        const d = await startDaemon(net, file);
        expect(await d.stop()).toBe(0);
      } finally {
        delete process.env.NODE_V8_COVERAGE;
      }
      return coverageUrls(dir, builtins);
    };
    const staticConfig = 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n';
    const plain = await daemonUrls(staticConfig, true);
    expect(plain.some((u) => u.endsWith('/dist/bundle/netcfg.cjs'))).toBe(true);
    expect(plain.filter(grpc)).toEqual([]);
    // nor node modules only pino's transports, a terminal, sonic-boom's close check or a WireGuard host name need
    const unneeded = (u: string) => ['node:worker_threads', 'node:tty', 'node:assert', 'node:dns/promises'].includes(u);
    expect(plain.filter(unneeded)).toEqual([]);
    // (the plain build, where pino loads as published, does load node:worker_threads)
    process.env.NETCFG_ENTRY = 'dist';
    try {
      expect((await daemonUrls(staticConfig, true)).filter(unneeded)).toContain('node:worker_threads');
    } finally {
      delete process.env.NETCFG_ENTRY;
    }
    // the check can fail: with discovery enabled the same daemon loads them
    const id = randomBytes(32).toString('base64');
    const discovery = await daemonUrls(
      `machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\ncluster:\n  id: "${id}"\n  secret: "${id}"\n  discovery:\n    enabled: true\n    registries:\n      service:\n        endpoint: http://192.0.2.250:3000/\n`,
    );
    expect(discovery.some(grpc)).toBe(true);
  }, 120_000);

  it('writes the code cache once, then starts from it; a corrupt one is replaced, never trusted', () => {
    const env = { NODE_OPTIONS: `--max-semi-space-size=3` }; // a flag set no other test uses: its own cache file
    const caches = () => fs.readdirSync(path.join(root, 'dist/bundle')).filter((f) => f.endsWith('.cache'));
    const before = new Set(caches());
    const bad = path.join(root, 'test/fixtures/bad/05-mtu-string.yaml');
    const first = scriptsLoaded([BIN, 'validate', bad], env);
    expect(first.status).toBe(2);
    const made = caches().filter((f) => !before.has(f));
    expect(made).toEqual([expect.stringMatching(/^netcfg\.cjs\.validate\.[0-9a-f]{16}\.cache$/)]);
    const cache = path.join(root, 'dist/bundle', made[0]!);
    const written = fs.statSync(cache).mtimeMs;
    expect(scriptsLoaded([BIN, 'validate', bad], env).stderr).toBe(first.stderr);
    expect(fs.statSync(cache).mtimeMs).toBe(written); // accepted: not rewritten by a short run
    fs.writeFileSync(cache, Buffer.alloc(4096, 7));
    const corrupt = scriptsLoaded([BIN, 'validate', bad], env);
    expect(corrupt.status).toBe(2);
    expect(corrupt.stderr).toBe(first.stderr);
    expect(corrupt.stderr).toContain('machine.network.interfaces[0].mtu');
    expect(fs.readFileSync(cache).equals(Buffer.alloc(4096, 7))).toBe(false); // rejected by V8, rewritten
    fs.rmSync(cache);
  });

  it('a daemon writes its code cache once its first config is in the kernel (not when it ends before), when it has none or when the one it has holds a validation its start did not run', async () => {
    const flags = '--max-semi-space-size=5'; // a flag set no other test uses: its own cache file
    const caches = () => fs.readdirSync(path.join(root, 'dist/bundle')).filter((f) => /^netcfg\.cjs\.daemon\.[0-9a-f]{16}\.cache(\.validated)?$/.test(f));
    const before = new Set(caches());
    const net = createTestNet();
    const file = path.join(net.dir, 'machine.yaml');
    const config = (address: string) => `machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [${address}]\n`;
    fs.writeFileSync(file, config('192.0.2.10/24'));
    const previous = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = flags; // for the daemons this starts, not for this process
    try {
      // a daemon run that ends before its first config is in the kernel writes none
      const help = spawnSync(process.execPath, [BIN, 'daemon', '--help'], { encoding: 'utf8', env: { ...process.env, NETCFG_ENTRY: '' } });
      expect(help.status, help.stderr).toBe(0);
      expect(caches().filter((f) => !before.has(f))).toEqual([]);
      const first = await startDaemon(net, file);
      // written while it runs (ready comes after its first config is in the kernel), not at its exit; this
      // start validated its config, and the cache is marked so
      const made = caches().filter((f) => !before.has(f));
      expect(made).toHaveLength(2);
      const cache = path.join(root, 'dist/bundle', made.find((f) => f.endsWith('.cache'))!);
      expect(made).toContain(`${path.basename(cache)}.validated`);
      const written = fs.statSync(cache).mtimeMs;
      const validatedSize = fs.statSync(cache).size;
      const addrs = () => (JSON.parse(execFileSync('ip', ['-j', '-n', net.ns, 'addr', 'show', 'eth0'], { encoding: 'utf8' })) as Array<{ addr_info: Array<{ local: string }> }>)[0]?.addr_info.map((a) => a.local);
      expect(addrs()).toContain('192.0.2.10');
      expect(await first.stop()).toBe(0);
      expect(fs.statSync(cache).mtimeMs).toBe(written); // not rewritten at its stop
      // a daemon that validates its config again (it changed) starts from it and leaves it as it is
      fs.writeFileSync(file, config('192.0.2.11/24'));
      const second = await startDaemon(net, file);
      expect(addrs()).toContain('192.0.2.11');
      expect(await second.stop()).toBe(0);
      expect(fs.statSync(cache).mtimeMs).toBe(written);
      expect(caches().filter((f) => !before.has(f))).toEqual(made);
      // one served by the validated copy of its config starts from it too, and drops it: the validation's
      // code is not what such starts run
      const mark = `${cache}.validated`;
      const third = await startDaemon(net, file);
      expect(third.log().some((l) => l.msg === 'config taken from its validated copy')).toBe(true);
      expect(await third.stop()).toBe(0);
      expect(caches().filter((f) => !before.has(f))).toEqual([path.basename(mark)]);
      expect(fs.readFileSync(mark, 'utf8')).toBe('dropped');
      // the next (served by the copy, no cache) writes one without it: smaller, and not marked
      const fourth = await startDaemon(net, file);
      expect(caches().filter((f) => !before.has(f))).toEqual([path.basename(cache)]);
      const lean = fs.statSync(cache);
      expect(lean.size).toBeLessThan(validatedSize);
      expect(await fourth.stop()).toBe(0);
      // and the daemons after it start from that one and leave it as it is, validating or not
      for (const address of ['192.0.2.11/24', '192.0.2.12/24']) {
        fs.writeFileSync(file, config(address));
        const next = await startDaemon(net, file);
        expect(addrs()).toContain(address.split('/')[0]);
        expect(await next.stop()).toBe(0);
      }
      expect(fs.statSync(cache).mtimeMs).toBe(lean.mtimeMs);
      expect(caches().filter((f) => !before.has(f))).toEqual([path.basename(cache)]);

      // dropped once only: a cache written by a validating start after a drop (say another namespace's daemon,
      // whose state is not kept, validates at every start) is kept by the starts the copy serves
      const start = async (address: string) => {
        fs.writeFileSync(file, config(address));
        const d = await startDaemon(net, file);
        expect(addrs()).toContain(address.split('/')[0]);
        expect(await d.stop()).toBe(0);
      };
      fs.rmSync(cache);
      await start('192.0.2.13/24'); // validates: a cache, marked
      expect(fs.readFileSync(mark, 'utf8')).toBe('');
      await start('192.0.2.13/24'); // the copy serves it: dropped
      expect(fs.existsSync(cache)).toBe(false);
      await start('192.0.2.14/24'); // validates: a cache again, kept from now on
      expect(fs.readFileSync(mark, 'utf8')).toBe('kept');
      const kept = fs.statSync(cache).mtimeMs;
      await start('192.0.2.14/24'); // the copy serves it: left as it is
      expect(fs.statSync(cache).mtimeMs).toBe(kept);
      expect(fs.readFileSync(mark, 'utf8')).toBe('kept');
    } finally {
      if (previous === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = previous;
      for (const f of caches()) if (!before.has(f)) fs.rmSync(path.join(root, 'dist/bundle', f), { force: true });
    }
  }, 120_000);

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
      const { createRequire } = await import('node:module');
      const fs = await import('node:fs');
      const vm = await import('node:vm');
      const path = await import('node:path');
      // the bundle is a function expression, run as bin/netcfg.js runs it
      const bundle = (file) => {
        const module = { exports: {} };
        vm.runInThisContext(fs.readFileSync(file, 'latin1'), { filename: file }).call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
        return module.exports;
      };
      const { main } = process.argv[1].endsWith('.cjs') ? bundle(process.argv[1]) : await import(process.argv[1]);
      const out = [];
      for (const file of JSON.parse(process.argv[2])) {
        const lines = [];
        const code = await main(['validate', file], (s) => lines.push('out: ' + s), (s) => lines.push('err: ' + s));
        out.push({ file, code, lines });
      }
      console.log(JSON.stringify(out));`;
    const run = (entry: string) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script, path.join(root, entry), JSON.stringify(files)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Array<{ file: string; code: number; lines: string[] }>;
    const bundled = run('dist/bundle/netcfg.cjs');
    const plain = run('dist/cli/main.js');
    expect(bundled.filter((r) => r.code === 2).length).toBe(files.length);
    expect(bundled).toEqual(plain);
  }, 120_000);
});
