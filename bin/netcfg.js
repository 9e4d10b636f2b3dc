#!/usr/bin/env node
// netcfg entry point. The compiled CLI lives in dist/: dist/bundle/netcfg.cjs is
// all of it in one script (scripts/bundle.mjs), which runs the commands; what
// runs no command (--version, --help, usage errors) loads the few small modules
// of dist/cli/main.js instead, which is quicker than any part of the bundle.
// NETCFG_ENTRY=dist runs everything on the plain build (the tests run both and
// expect the same).
//
// The bundle is compiled with a V8 code cache: the bytecode of every function
// that a run compiled, so the next run neither parses nor compiles them again.
// V8 accepts a cache only from the same node and the same V8 flags (NODE_OPTIONS
// such as --max-semi-space-size count), and it deserializes all of a cache at
// start: so there is one per flag set and per command, beside the bundle. A run
// writes it on exit when it found none or V8 rejected it, and a run that lasted
// more than a second (the daemon) rewrites it with all it compiled. Writing is
// best effort: a read-only dist/ just means no cache.
import fs from 'node:fs';

/** The commands; each has a code cache of its own. */
const COMMANDS = new Set(['daemon', 'apply', 'get', 'status', 'validate', 'demo', 'confirm', 'rollback', 'schema', 'gen', 'reset-identity', 'discovery-server']);

async function loadBundle(command) {
  const [crypto, { createRequire }, path, { fileURLToPath }, vm] = await Promise.all([import('node:crypto'), import('node:module'), import('node:path'), import('node:url'), import('node:vm')]);
  const file = fileURLToPath(new URL('../dist/bundle/netcfg.cjs', import.meta.url));
  // plain ASCII (scripts/bundle.mjs checks): latin1 is the cheapest exact decoding
  const source = fs.readFileSync(file, 'latin1');
  const { size, mtimeMs } = fs.statSync(file);
  const key = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? '', size, mtimeMs].join('\0');
  const cacheFile = `${file}.${command}.${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}.cache`;
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

const command = process.argv[2];
const { main } = process.env.NETCFG_ENTRY !== 'dist' && COMMANDS.has(command) ? await loadBundle(command) : await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
