#!/usr/bin/env node
// Times `netcfg apply` with N /32 routes via a gateway against `ip -batch`
// installing the same link settings, address and routes, each in a fresh
// network namespace (the two alternate, run after run); then times a re-apply
// and counts its netlink writes. Peak RSS and CPU time of each process come
// from GNU time. Then the same config handed by `netcfg apply` to a running
// `netcfg daemon` (started as contrib/netcfg.service does, with the link and
// address only): the apply's wall time, the daemon's CPU and its peak RSS.
//   node bench/routes.mjs [N=100000] [runs=3]
// Needs root, /usr/bin/time and a build (npm run build). Prints medians side by
// side with the targets of issue 10 (first apply ≤ 1.5× ip -batch, re-apply ≤
// 1.0×, peak RSS ≤ 150 MB).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssMB, unitEnv } from './lib/harness.mjs';

const N = Number(process.argv[2] ?? 100000);
const RUNS = Number(process.argv[3] ?? 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/netcfg.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-bench-'));

function dst(i) {
  return `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.1`;
}

let yaml = 'version: v1alpha1\nmachine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.2/24]\n        routes:\n';
let batch = 'link set eth0 up\naddress add 192.0.2.2/24 dev eth0\n';
for (let i = 0; i < N; i++) {
  yaml += `          - network: ${dst(i)}/32\n            gateway: 192.0.2.1\n`;
  batch += `route add ${dst(i)}/32 via 192.0.2.1 dev eth0 proto static metric 1024\n`;
}
const configFile = path.join(dir, 'routes.yaml');
const daemonConfig = path.join(dir, 'daemon.yaml');
fs.writeFileSync(daemonConfig, 'version: v1alpha1\nmachine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.2/24]\n');
const batchFile = path.join(dir, 'routes.batch');
fs.writeFileSync(configFile, yaml);
fs.writeFileSync(batchFile, batch);

/**
 * Deletes a namespace and waits out its teardown: the kernel frees 100k routes
 * in a worker after `ip netns del` returns, which would otherwise eat a CPU
 * during the next timed run.
 */
function dropNetns(ns) {
  execFileSync('ip', ['netns', 'del', ns]);
  const until = Date.now() + 1500;
  while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
}

function netns() {
  const ns = `ncbench${process.pid}`;
  spawnSync('ip', ['netns', 'del', ns]);
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'eth1', 'up']);
  return ns;
}

/** Wall time, and from GNU time the peak RSS (MB) and CPU seconds (user + system). */
function time(cmd, args) {
  const stats = path.join(dir, 'time.out');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-o', stats, '-f', '%M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout?.slice(-2000)}\n${r.stderr?.slice(-2000)}`);
  const [kb, user, sys] = fs.readFileSync(stats, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
  return { ms, stdout: r.stdout, rssMB: kb / 1024, cpu: user + sys };
}

function countRoutes(ns) {
  return execFileSync('ip', ['-n', ns, 'route', 'show', 'proto', 'static'], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').filter(Boolean).length;
}

/** The daemon started for a run, stopped (by pid) on exit whatever happens. */
let daemon;
process.on('exit', () => daemon?.kill('SIGKILL'));

/** `netcfg apply` handed to a daemon running in `ns`: the apply's wall time, the daemon's CPU for it and its peak RSS. */
async function viaDaemon(ns, stateDir) {
  const etcDir = path.join(stateDir, 'etc');
  fs.mkdirSync(etcDir, { recursive: true });
  daemon = spawn(process.execPath, [bin, 'daemon', '--netns', ns, '--state-dir', stateDir, '--etc-dir', etcDir, '-c', daemonConfig, '--log-level', 'warn'], { env: unitEnv(root), stdio: 'ignore' });
  const socket = path.join(stateDir, `netns-${ns}.sock`);
  for (const until = Date.now() + 20_000; !fs.existsSync(socket); ) {
    if (Date.now() > until || daemon.exitCode !== null) throw new Error(`netcfg daemon did not start in ${ns}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  const cpu0 = cpuSeconds(daemon.pid);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'apply', '--netns', ns, '--state-dir', stateDir, '--etc-dir', etcDir, '-o', 'json', configFile], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`netcfg apply (through the daemon) exited ${r.status}\n${r.stderr?.slice(-2000)}`);
  if (JSON.parse(r.stdout).summary.netlinkWrites < N) throw new Error('the daemon reported fewer writes than routes');
  const cpu = cpuSeconds(daemon.pid) - cpu0;
  const { peak } = rssMB(daemon.pid);
  if (countRoutes(ns) !== N) throw new Error('the daemon did not install every route');
  const stopped = new Promise((res) => daemon.once('exit', res));
  daemon.kill('SIGTERM');
  await stopped;
  daemon = undefined;
  return { ms, cpu, rssMB: peak };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { ipBatch: [], netcfg: [], reapply: [], reapplyWrites: [], rss: [], reRss: [], cpu: [], reCpu: [], ipCpu: [], daemon: [], daemonCpu: [], daemonRss: [] };

for (let run = 0; run < RUNS; run++) {
  let ns = netns();
  try {
    const ip = time('ip', ['-n', ns, '-batch', batchFile]);
    results.ipBatch.push(ip.ms);
    results.ipCpu.push(ip.cpu);
    if (countRoutes(ns) !== N) throw new Error('ip -batch did not install every route');
  } finally {
    dropNetns(ns);
  }
  ns = netns();
  const stateDir = path.join(dir, `state${run}`);
  try {
    const first = time(process.execPath, [bin, 'apply', '--netns', ns, '--state-dir', stateDir, configFile]);
    results.netcfg.push(first.ms);
    results.rss.push(first.rssMB);
    results.cpu.push(first.cpu);
    if (countRoutes(ns) !== N) throw new Error('netcfg did not install every route');
    const again = time(process.execPath, [bin, 'apply', '--netns', ns, '--state-dir', stateDir, '-o', 'json', configFile]);
    results.reapply.push(again.ms);
    results.reRss.push(again.rssMB);
    results.reCpu.push(again.cpu);
    results.reapplyWrites.push(JSON.parse(again.stdout).summary.netlinkWrites);
  } finally {
    dropNetns(ns);
  }
  ns = netns();
  try {
    const d = await viaDaemon(ns, path.join(dir, `daemon${run}`));
    results.daemon.push(d.ms);
    results.daemonCpu.push(d.cpu);
    results.daemonRss.push(d.rssMB);
  } finally {
    dropNetns(ns);
  }
}
fs.rmSync(dir, { recursive: true, force: true });

const ip = median(results.ipBatch);
const nc = median(results.netcfg);
const re = median(results.reapply);
const runs = (xs, digits = 0) => xs.map((x) => x.toFixed(digits)).join(', ');
console.log(`routes: ${N} /32 via a gateway, ${RUNS} runs each, medians (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)})`);
console.log(`  ip -batch          ${ip.toFixed(0).padStart(7)} ms   cpu ${median(results.ipCpu).toFixed(2)} s          (runs: ${runs(results.ipBatch)})`);
console.log(`  netcfg apply       ${nc.toFixed(0).padStart(7)} ms   cpu ${median(results.cpu).toFixed(2)} s   peak RSS ${median(results.rss).toFixed(0)} MB   (runs: ${runs(results.netcfg)})`);
console.log(`  netcfg re-apply    ${re.toFixed(0).padStart(7)} ms   cpu ${median(results.reCpu).toFixed(2)} s   peak RSS ${median(results.reRss).toFixed(0)} MB   netlink writes: ${results.reapplyWrites.join(', ')}`);
console.log(`  apply via daemon   ${median(results.daemon).toFixed(0).padStart(7)} ms   daemon cpu ${median(results.daemonCpu).toFixed(2)} s, peak RSS ${median(results.daemonRss).toFixed(0)} MB   (runs: ${runs(results.daemon)})`);
console.log(`  first apply / ip   ${(nc / ip).toFixed(2).padStart(7)}   (target ≤ 1.50)`);
console.log(`  re-apply / ip      ${(re / ip).toFixed(2).padStart(7)}   (target ≤ 1.00)`);
console.log(`  peak RSS           ${Math.max(median(results.rss), median(results.reRss)).toFixed(0).padStart(7)} MB (target ≤ 150)`);
