#!/usr/bin/env node
// netcfg entry point. The compiled CLI lives in dist/: dist/bundle/netcfg.cjs is
// all of it in one script (scripts/bundle.mjs), which runs the commands; what
// runs no command (--help, usage errors) loads the few small modules of
// dist/cli/main.js instead, which is quicker than any part of the bundle, and
// `netcfg --version` alone is answered here. NETCFG_ENTRY=dist runs everything
// on the plain build (the tests run both and expect the same).
//
// This file is CommonJS (bin/package.json): node starts a CommonJS entry without
// its ES module loader, whose start and per-builtin facades cost more than the
// rest of this file (~12 ms of every command, measured).
//
// The bundle is compiled with a V8 code cache: the bytecode of every function
// that a run compiled, so the next run neither parses nor compiles them again.
// V8 accepts a cache only from the same node and the same V8 flags (NODE_OPTIONS
// such as --max-semi-space-size count), and it deserializes all of a cache at
// start: so there is one per flag set and per command, beside the bundle. A run
// that found none, or whose cache V8 rejected, writes one: on exit, or, for the
// daemon, once its first config is in the kernel (the bundle calls
// globalThis[Symbol.for('netcfg.codeCacheCheckpoint')], src/util/code-cache.ts)
// and never at exit: a daemon run that ends before (--help, a usage error, a
// config refused, another daemon holding the state) would leave a cache without
// the code that configures the network. A cache V8 accepts is kept (but for a
// daemon's written by a start that validated its config, which a start served by
// the validated copy of its config drops; src/util/code-cache.ts says why): checking
// whether a run compiled more would cost ~20 ms (createCachedData) at every start,
// so a daemon first started with an empty config keeps the code that config ran.
// What the daemon compiles after that (the control socket, statuses, shutdown)
// is compiled when first run, after the host has its network, and not read
// from the cache at every start (V8 reads ~12 ms of cache per MB here; a daemon
// cache written at its stop was 1.41 MB, at this point 1.28). Writing is best
// effort: a read-only dist/ just means no cache.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The commands; each has a code cache of its own. */
const COMMANDS = new Set(['daemon', 'apply', 'get', 'status', 'validate', 'demo', 'confirm', 'rollback', 'schema', 'gen', 'reset-identity', 'discovery-server']);

/** FNV-1a, 52 bits: names a cache file after its key (node:crypto alone would cost a few ms to load). */
function fnv(text) {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/**
 * How the bundle and its code cache are read: through the native addon (which
 * every bundled command loads anyway) when it is built. It reads each file once
 * into memory populated in one call and hands it over without a copy: an
 * external string, an external Buffer (native/file_memory.cc; on this project's
 * VM a page faulted in one at a time costs ~13 µs, ~7 ms of every start for
 * readFileSync + latin1 decoding). Without the addon: node's own reads.
 */
function fileReader() {
  let addon;
  try {
    addon = require(path.join(__dirname, '../build/Release/netcfg_native.node'));
  } catch {
    addon = undefined;
  }
  if (typeof addon?.readLatin1External !== 'function') return { latin1: (f) => fs.readFileSync(f, 'latin1'), buffer: (f) => fs.readFileSync(f) };
  return { latin1: (f) => addon.readLatin1External(f), buffer: (f) => addon.readBufferPopulated(f) };
}

function loadBundle(command) {
  const vm = require('node:vm');
  const { createRequire } = require('node:module');
  const file = path.join(__dirname, '../dist/bundle/netcfg.cjs');
  const files = fileReader();
  // plain ASCII (scripts/bundle.mjs checks): latin1 is the cheapest exact decoding
  const source = files.latin1(file);
  const { size, mtimeMs } = fs.statSync(file);
  const key = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? '', size, mtimeMs].join('\0');
  const cacheFile = `${file}.${command}.${fnv(key)}.cache`;
  let cachedData;
  try {
    cachedData = files.buffer(cacheFile);
  } catch {
    // none yet
  }
  // the file is a function expression (exports, require, module, __filename, __dirname)
  const script = new vm.Script(source, { filename: file, cachedData });
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  cachedData = undefined;
  // beside a daemon's cache written by a start that validated its config (src/util/code-cache.ts)
  const validatedMark = `${cacheFile}.validated`;
  if (stale) {
    let written = false;
    const write = (validated) => {
      if (written) return;
      written = true;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        // a mark that is there already tells a cache dropped before: this one is kept (see below)
        if (validated === true) fs.writeFileSync(validatedMark, fs.existsSync(validatedMark) ? 'kept' : '');
        else fs.rmSync(validatedMark, { force: true });
        fs.renameSync(tmp, cacheFile);
      } catch {
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // best effort
        }
      }
    };
    globalThis[Symbol.for('netcfg.codeCacheCheckpoint')] = write;
    if (command !== 'daemon') process.once('exit', write);
  } else if (command === 'daemon' && readMark(validatedMark) === '') {
    // a start that did not validate drops it, once: the next writes one without the validation's code. Once
    // only: daemons of other namespaces share the cache, and one that validates at every start (its state
    // not kept) would otherwise write it again and again, and each of them start without one by turns.
    globalThis[Symbol.for('netcfg.codeCacheCheckpoint')] = (validated) => {
      if (validated === true) return;
      try {
        fs.writeFileSync(validatedMark, 'dropped');
        fs.rmSync(cacheFile, { force: true });
      } catch {
        // best effort: a read-only dist/ keeps what it has
      }
    };
  }
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

/** A mark file's text; undefined when there is none (or it cannot be read). */
function readMark(file) {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * `netcfg --version`, as dist/cli/main.js answers it. Written to fd 1 directly:
 * making process.stdout (a stream, and node's tty or net modules behind it)
 * costs ~8 ms, more than the rest of this answer (measured); a write that
 * fails or is short (EAGAIN on a non-blocking pipe, a full disk) goes through
 * process.stdout after all, which behaves as it always did.
 */
function printVersion() {
  const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8'));
  const line = `${version}\n`;
  let written = 0;
  try {
    written = fs.writeSync(1, line); // ASCII: bytes are characters
  } catch {
    // the rest as process.stdout does it (errors included)
  }
  if (written < line.length) process.stdout.write(line.slice(written));
}

async function run(argv) {
  const command = argv[0];
  const plain = process.env.NETCFG_ENTRY === 'dist';
  if (!plain && argv.length === 1 && command === '--version') return printVersion();
  const { main } = !plain && COMMANDS.has(command) ? loadBundle(command) : await import('../dist/cli/main.js');
  process.exitCode = await main(argv);
}

run(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`netcfg: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
