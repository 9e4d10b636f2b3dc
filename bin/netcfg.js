#!/usr/bin/env node
// netcfg entry point. The compiled CLI lives in dist/: dist/bundle/netcfg.cjs is
// all of it in one script (scripts/bundle.mjs), run here unless NETCFG_ENTRY=dist
// asks for the plain build, dist/cli/ (the tests run both and expect the same).
//
// The bundle is compiled with a V8 code cache: the bytecode of every function
// that a run compiled, so the next run neither parses nor compiles them again.
// V8 accepts a cache only from the same node and the same V8 flags (NODE_OPTIONS
// such as --max-semi-space-size count), so there is one per flag set, beside the
// bundle. A run writes it on exit when it found none or V8 rejected it, and a run
// that lasted more than a second (the daemon) rewrites it with all it compiled.
// Writing is best effort: a read-only dist/ just means no cache.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

function loadBundle() {
  const file = fileURLToPath(new URL('../dist/bundle/netcfg.cjs', import.meta.url));
  // plain ASCII (scripts/bundle.mjs checks): latin1 is the cheapest exact decoding
  const source = fs.readFileSync(file, 'latin1');
  const { size, mtimeMs } = fs.statSync(file);
  const key = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? '', size, mtimeMs].join('\0');
  const cacheFile = `${file}.${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // none yet
  }
  // the file is a function expression (exports, require, module, __filename, __dirname)
  const script = new vm.Script(source, { filename: file, cachedData });
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  process.once('exit', () => {
    if (!stale && process.uptime() < 1) return;
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

const { main } = process.env.NETCFG_ENTRY === 'dist' ? await import('../dist/cli/main.js') : loadBundle();

process.exitCode = await main(process.argv.slice(2));
