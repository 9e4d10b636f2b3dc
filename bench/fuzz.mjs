#!/usr/bin/env node
// Fuzzes every decoder that reads bytes from outside the process (netlink:
// framing, ext-ack, links/addresses/routes, nlctrl, WireGuard, the connection's
// dispatch; DHCPv4 and DHCPv6: frames, messages, options, leases, the clients)
// with the targets of test/fuzz, many more cases than the suite runs.
//
//   node bench/fuzz.mjs [--runs N] [--seed S] [--only NAME,…] [--jobs J] [--hang SECONDS]
//   node bench/fuzz.mjs --replay NAME HEX…     # one input through one target
//
// --runs is the total (default 1,000,000), split evenly over the targets.
// Prints, per target: cases, time, cases/s, and any crash with the seed, the
// (shrunk) input in hex (also written to bench/results/) and the error; a hang or an out-of-memory is caught by
// a watchdog (each target runs in a worker with a 1 GiB heap) and reported with
// the input it was on. Exit code 1 when anything crashed.
// Heavy: run big under the shared lock, `flock /tmp/netcfg-heavy.lock node bench/fuzz.mjs`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Compiled test/fuzz (and the src it imports); inside node_modules so fast-check resolves. */
const build = path.join(root, 'node_modules', '.cache', 'netcfg-fuzz');
const INPUT_BYTES = 1 << 20;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** test/fuzz → JavaScript (no type check: `npm run typecheck` does that). */
function compile() {
  fs.mkdirSync(build, { recursive: true });
  const tsconfig = path.join(build, 'tsconfig.json');
  fs.writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(root, 'tsconfig.json'),
      compilerOptions: { rootDir: root, outDir: build, noCheck: true, sourceMap: false, declaration: false, incremental: true, tsBuildInfoFile: path.join(build, 'tsbuildinfo') },
      include: [path.join(root, 'test/fuzz/*.ts')],
    }),
  );
  // node treats .js as CommonJS below node_modules without this
  fs.writeFileSync(path.join(build, 'package.json'), '{ "type": "module" }\n');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
  return pathToFileURL(path.join(build, 'test/fuzz/targets.js')).href;
}

// ---------------------------------------------------------------------------
// worker: runs one target, keeping the current case count and input in shared memory

if (!isMainThread) {
  const { module, name, runs, seed, shared } = workerData;
  const { allTargets, runTarget } = await import(module);
  const target = allTargets.find((t) => t.name === name);
  const counter = new Int32Array(shared, 0, 2); // [cases started, input length]
  const input = new Uint8Array(shared, 8);
  const before = (x) => {
    const hex = Buffer.from(target.hex(x), 'latin1');
    const n = Math.min(hex.length, input.length);
    input.set(hex.subarray(0, n));
    Atomics.store(counter, 1, n);
    Atomics.add(counter, 0, 1);
  };
  const result = await runTarget(target, { numRuns: runs, seed, before });
  parentPort.postMessage(result);
}

// ---------------------------------------------------------------------------
// main

function fmt(n) {
  return n.toLocaleString('en-US');
}

async function runOne(module, target, runs, seed, hangSeconds) {
  const shared = new SharedArrayBuffer(8 + INPUT_BYTES);
  const counter = new Int32Array(shared, 0, 2);
  const started = performance.now();
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { module, name: target.name, runs, seed, shared }, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
  const current = () => Buffer.from(new Uint8Array(shared, 8, Atomics.load(counter, 1))).toString('latin1');
  return new Promise((resolve) => {
    let last = -1;
    let still = 0;
    const watchdog = setInterval(() => {
      const n = Atomics.load(counter, 0);
      still = n === last ? still + 1 : 0;
      last = n;
      if (still >= hangSeconds) {
        clearInterval(watchdog);
        const hex = current();
        void worker.terminate();
        resolve({ name: target.name, runs: n, ms: performance.now() - started, seed, failure: { hex, error: `hang: case ${fmt(n)} ran for more than ${hangSeconds} s`, path: '' } });
      }
    }, 1000);
    worker.on('message', (result) => {
      clearInterval(watchdog);
      resolve(result);
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      const n = Atomics.load(counter, 0);
      resolve({ name: target.name, runs: n, ms: performance.now() - started, seed, failure: { hex: current(), error: `${err.code ?? err.name}: ${err.message} (case ${fmt(n)})`, path: '' } });
    });
  });
}

if (isMainThread) {
  const module = compile();
  const { allTargets, formatFailure } = await import(module);
  const replay = process.argv.indexOf('--replay');
  if (replay >= 0) {
    const target = allTargets.find((t) => t.name === process.argv[replay + 1]);
    if (!target) throw new Error(`no target ${process.argv[replay + 1]}; targets: ${allTargets.map((t) => t.name).join(', ')}`);
    const input = target.fromHex(process.argv.slice(replay + 2).join(' '));
    try {
      await target.run(input);
      console.log(`${target.name}: ok`);
    } catch (err) {
      console.log(`${target.name}: CRASH\n${err.stack}${err.cause ? `\ncause: ${err.cause.stack ?? err.cause}` : ''}`);
      process.exitCode = 1;
    }
  } else {
    const total = Number(arg('--runs', '1000000'));
    const seed = Number(arg('--seed', String(Date.now() % 0x7fffffff)));
    const only = arg('--only', undefined)?.split(',');
    const jobs = Math.max(1, Number(arg('--jobs', '1')));
    const hang = Number(arg('--hang', '30'));
    const targets = allTargets.filter((t) => !only || only.includes(t.name));
    const each = Math.ceil(total / targets.length);
    console.log(`bench/fuzz.mjs: ${fmt(each * targets.length)} cases over ${targets.length} targets, seed ${seed}, ${jobs} job(s), node ${process.version}, ${os.cpus()[0]?.model ?? ''}`);
    const started = performance.now();
    const results = [];
    const queue = [...targets];
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const r = await runOne(module, t, each, seed, hang);
          results.push(r);
          const rate = r.runs / (r.ms / 1000);
          console.log(`  ${t.name.padEnd(20)} ${fmt(r.runs).padStart(11)} cases ${(r.ms / 1000).toFixed(1).padStart(7)} s ${fmt(Math.round(rate)).padStart(8)}/s  ${r.failure ? 'CRASH' : 'ok'}`);
        }
      }),
    );
    const cases = results.reduce((n, r) => n + r.runs, 0);
    const crashed = results.filter((r) => r.failure);
    console.log(`total: ${fmt(cases)} cases in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${seed}, ${crashed.length === 0 ? 'no crash' : `${crashed.length} target(s) crashed`}`);
    for (const r of crashed) {
      // the whole input goes to a file; the terminal gets it when it is short
      const file = path.join(root, 'bench', 'results', `fuzz-crash-${r.name}-${seed}.hex`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${r.failure.hex}\n`);
      const shown = r.failure.hex.length <= 8192 ? r.failure : { ...r.failure, hex: `${r.failure.hex.slice(0, 512)}… (${r.failure.hex.length / 2} bytes; all of it in ${path.relative(root, file)})` };
      console.log(`\n${formatFailure({ ...r, failure: shown })}\n  input file: ${path.relative(root, file)}\n  replay: node bench/fuzz.mjs --replay ${r.name} $(cat ${path.relative(root, file)})`);
    }
    if (crashed.length > 0) process.exitCode = 1;
  }
}
