#!/usr/bin/env node
// netcfg beside a full BGP table (issue 10's acceptance): a network namespace
// with N foreign routes (protocol bird, half in main, half in table 100, both
// tables netcfg also has a route in) while a churner adds 1k and deletes 1k
// foreign routes per second for S seconds. Printed beside an idle daemon (same
// config, a namespace without foreign routes, measured over the same window):
//   - daemon RSS                       target ≤ idle + 20 MB
//   - daemon CPU during the churn      target ≤ 5% of one core
//   - repair of a managed route deleted during the churn (3 times, worst)   target ≤ 1 s
//   - `netcfg apply` of the 2-route config (first and re-apply, no daemon)  target ≤ 0.5 s, ≤ 90 MB,
//     beside `ip -batch` making the same changes (the kernel's own cost: adding an
//     address to a namespace with 1M routes takes it a quarter of a second)
//   node bench/foreign-routes.mjs [--routes 1000000] [--seconds 60]
// Needs root, /usr/bin/time and a build (npm run build). Heavy: run under
// `flock /tmp/netcfg-heavy.lock`. Its namespaces and every process it started
// are removed (by pid) on success, failure and Ctrl-C.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, rssMB } from './lib/harness.mjs';

const { values } = parseArgs({ options: { routes: { type: 'string', default: '1000000' }, seconds: { type: 'string', default: '60' } } });
const N = Number(values.routes);
const SECONDS = Number(values.seconds);
const CHURN_PER_S = 1000;
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/netcfg.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-foreign-'));
const heavy = `ncfr${process.pid}`;
const idle = `ncfi${process.pid}`;
const namespaces = [heavy, `${heavy}r`, idle, `${idle}r`];
const children = new Set();

function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const n of namespaces) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function start(cmd, args, options = {}) {
  const child = spawn(cmd, args, options);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

const sh = (cmd, args, input) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...(input === undefined ? {} : { input }) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => (kb / 1024).toFixed(1);

const CONFIG = `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
          - network: 198.51.100.0/24
            gateway: 192.0.2.1
          - network: 203.0.113.0/24
            gateway: 192.0.2.1
            table: 100
`;
const configFile = path.join(dir, 'config.yaml');
fs.writeFileSync(configFile, CONFIG);

/** A namespace NS with eth0 (veth to NS-r holding 192.0.2.1) and a foreign veth fv0 (172.31.0.1/24) for the foreign routes. */
function makeNetns(ns) {
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['netns', 'add', `${ns}r`]);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', `${ns}r`]);
  sh('ip', ['-n', `${ns}r`, 'link', 'set', 'peer0', 'up']);
  sh('ip', ['-n', `${ns}r`, 'addr', 'add', '192.0.2.1/24', 'dev', 'peer0']);
  sh('ip', ['-n', ns, 'link', 'add', 'fv0', 'type', 'veth', 'peer', 'name', 'fv1']);
  sh('ip', ['-n', ns, 'link', 'set', 'fv1', 'up']);
  sh('ip', ['-n', ns, 'link', 'set', 'fv0', 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', '172.31.0.1/24', 'dev', 'fv0']);
}

/** The i-th foreign route (10.0.0.0/8 upwards, /32), in main for even i, table 100 for odd. */
const foreign = (i, base = 0) => `${base + 10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.1/32 via 172.31.0.2 proto bird table ${i % 2 ? '100' : 'main'}`;

function loadForeign(ns) {
  const file = path.join(dir, 'foreign.batch');
  const out = fs.openSync(file, 'w');
  let chunk = [];
  for (let i = 0; i < N; i++) {
    chunk.push(`route add ${foreign(i)}`);
    if (chunk.length === 10000) {
      fs.writeSync(out, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  fs.writeSync(out, `${chunk.join('\n')}\n`);
  fs.closeSync(out);
  sh('ip', ['-n', ns, '-batch', file]);
  fs.rmSync(file);
}

/** `netcfg apply` under GNU time: wall ms, peak RSS MB, writes. */
function timedApply(ns, stateDir) {
  const stats = path.join(dir, 'time.out');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-o', stats, '-f', '%M', process.execPath, bin, 'apply', '--netns', ns, '--state-dir', stateDir, '--etc-dir', path.join(dir, `etc-${ns}`), '-o', 'json', configFile], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`apply in ${ns} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const kb = Number(fs.readFileSync(stats, 'utf8').trim().split(/\s+/).at(-1));
  return { ms, rssMB: kb / 1024, writes: JSON.parse(r.stdout).summary.netlinkWrites };
}

/** The reference peer: `ip -batch` making the same changes as the config (then undone), wall ms. */
function ipBatchApply(ns) {
  const apply = path.join(dir, 'ref.batch');
  const undo = path.join(dir, 'unref.batch');
  fs.writeFileSync(apply, 'address add 192.0.2.10/24 dev eth0\nlink set eth0 up\nroute add 198.51.100.0/24 via 192.0.2.1 proto static\nroute add 203.0.113.0/24 via 192.0.2.1 table 100 proto static\n');
  fs.writeFileSync(undo, 'route del 198.51.100.0/24 via 192.0.2.1\nroute del 203.0.113.0/24 via 192.0.2.1 table 100\nlink set eth0 down\naddress del 192.0.2.10/24 dev eth0\n');
  const t0 = performance.now();
  sh('ip', ['-n', ns, '-batch', apply]);
  const ms = performance.now() - t0;
  sh('ip', ['-n', ns, '-force', '-batch', undo]);
  return ms;
}

/** /proc figures of a process: RSS (kB) and CPU time (s). */
function proc(pid) {
  return { rss: rssMB(pid).total * 1024, cpu: cpuSeconds(pid) };
}

async function startDaemon(ns, stateDir) {
  const log = path.join(dir, `daemon-${ns}.log`);
  const fd = fs.openSync(log, 'w');
  const d = start(process.execPath, [bin, 'daemon', '--netns', ns, '--state-dir', stateDir, '--etc-dir', path.join(dir, `etc-${ns}`), '--log-level', 'info', '-c', configFile], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const t0 = performance.now();
  for (;;) {
    if (d.exitCode !== null) throw new Error(`daemon in ${ns} exited ${d.exitCode}:\n${fs.readFileSync(log, 'utf8').slice(-3000)}`);
    if (fs.readFileSync(log, 'utf8').includes('netcfg daemon ready')) break;
    if (performance.now() - t0 > 300_000) throw new Error(`daemon in ${ns} not ready after 300 s`);
    await sleep(100);
  }
  return { d, readyMs: performance.now() - t0, log };
}

const hasRoute = (ns) => sh('ip', ['-n', ns, 'route', 'show', '198.51.100.0/24']).includes('via 192.0.2.1');

/** Deletes the managed route in main and waits for the daemon to put it back. */
async function repair(ns) {
  sh('ip', ['-n', ns, 'route', 'del', '198.51.100.0/24', 'via', '192.0.2.1']);
  const t0 = performance.now();
  while (!hasRoute(ns)) {
    if (performance.now() - t0 > 30_000) return Infinity;
    await sleep(5);
  }
  return performance.now() - t0;
}

let exitCode = 0;
try {
  console.log(`foreign-routes bench: ${N} foreign routes (half main, half table 100), churn ${CHURN_PER_S} adds + ${CHURN_PER_S} deletes/s for ${SECONDS} s`);
  makeNetns(heavy);
  makeNetns(idle);
  let t = performance.now();
  loadForeign(heavy);
  console.log(`loaded ${N} foreign routes with ip -batch in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const heavyState = path.join(dir, 'state-heavy');
  const idleState = path.join(dir, 'state-idle');
  const refIdle = ipBatchApply(idle);
  const refHeavy = ipBatchApply(heavy);
  const applyIdle = [timedApply(idle, idleState), timedApply(idle, idleState)];
  const applyHeavy = [timedApply(heavy, heavyState), timedApply(heavy, heavyState)];

  const idleD = await startDaemon(idle, idleState);
  const heavyD = await startDaemon(heavy, heavyState);
  await sleep(3000);
  const settled = { idle: proc(idleD.d.pid), heavy: proc(heavyD.d.pid) };

  // the churner: one `ip -batch -` fed every 100 ms; routes added at tick k are deleted at tick k+10
  const churner = start('ip', ['-n', heavy, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let churnErrors = 0;
  churner.stderr.on('data', (b) => (churnErrors += String(b).split('\n').filter(Boolean).length));
  const perTick = CHURN_PER_S / 10;
  const CHURN_POOL = 20 * perTick;
  let tick = 0;
  const churnStart = performance.now();
  // every tick that is due (timers drift under load: the rate is kept by the clock, not the timer)
  const churn = setInterval(() => {
    const due = Math.floor((performance.now() - churnStart) / 100) + 1;
    const lines = [];
    for (; tick < due; tick++) {
      for (let j = 0; j < perTick; j++) {
        const i = (tick * perTick + j) % CHURN_POOL;
        const old = ((tick - 10) * perTick + j) % CHURN_POOL;
        if (tick >= 10) lines.push(`route del ${foreign(old, 100)}`);
        lines.push(`route add ${foreign(i, 100)}`);
      }
    }
    if (lines.length) churner.stdin.write(`${lines.join('\n')}\n`);
  }, 100);

  const start0 = { idle: proc(idleD.d.pid), heavy: proc(heavyD.d.pid) };
  const t0 = performance.now();
  const rss = { idle: [], heavy: [] };
  const repairs = [];
  const repairAt = [0.25, 0.5, 0.75].map((f) => f * SECONDS * 1000);
  while (performance.now() - t0 < SECONDS * 1000) {
    await sleep(1000);
    rss.idle.push(proc(idleD.d.pid).rss);
    rss.heavy.push(proc(heavyD.d.pid).rss);
    if (repairAt.length && performance.now() - t0 >= repairAt[0]) {
      repairAt.shift();
      repairs.push(await repair(heavy));
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  const end = { idle: proc(idleD.d.pid), heavy: proc(heavyD.d.pid) };
  clearInterval(churn);
  churner.stdin.end();
  await new Promise((r) => (churner.exitCode !== null ? r() : churner.on('exit', r)));
  // the churn kept its rate? (it shares the 2 cores with the daemon)
  const churned = tick * perTick;

  const cpuPct = (k) => ((end[k].cpu - start0[k].cpu) / elapsed) * 100;
  const maxRss = (k) => Math.max(...rss[k]);
  const heavyRss = maxRss('heavy');
  const idleRss = maxRss('idle');
  const worstRepair = Math.max(...repairs);
  const row = (label, a, b, target, ok) => console.log(`${label.padEnd(38)}${String(a).padStart(14)}${String(b).padStart(14)}   ${target.padEnd(22)}${ok ? 'ok' : 'MISSED'}`);
  console.log('');
  console.log(`${''.padEnd(38)}${'idle daemon'.padStart(14)}${`${N >= 1e6 ? `${N / 1e6}M` : `${N / 1e3}k`} foreign`.padStart(14)}   target`);
  row('daemon ready after start (s)', (idleD.readyMs / 1000).toFixed(2), (heavyD.readyMs / 1000).toFixed(2), '', true);
  row('daemon RSS settled (MB)', mb(settled.idle.rss), mb(settled.heavy.rss), '', true);
  row('daemon RSS, max during churn (MB)', mb(idleRss), mb(heavyRss), `≤ idle + 20 MB`, heavyRss <= idleRss + 20 * 1024);
  row('daemon CPU during churn (% of a core)', cpuPct('idle').toFixed(2), cpuPct('heavy').toFixed(2), '≤ 5%', cpuPct('heavy') <= 5);
  row('repair of a deleted route (ms, worst)', '', repairs.map((x) => x.toFixed(0)).join('/'), '≤ 1000 ms', worstRepair <= 1000);
  row('ip -batch, same changes, run first (ms)', refIdle.toFixed(0), refHeavy.toFixed(0), 'reference', true);
  row('apply, first (ms)', applyIdle[0].ms.toFixed(0), applyHeavy[0].ms.toFixed(0), '≤ 500 ms', applyHeavy[0].ms <= 500);
  row('apply, first, peak RSS (MB)', applyIdle[0].rssMB.toFixed(1), applyHeavy[0].rssMB.toFixed(1), '≤ 90 MB', applyHeavy[0].rssMB <= 90);
  row('re-apply, 0 writes (ms)', applyIdle[1].ms.toFixed(0), applyHeavy[1].ms.toFixed(0), '≤ 500 ms', applyHeavy[1].ms <= 500);
  row('re-apply, peak RSS (MB)', applyIdle[1].rssMB.toFixed(1), applyHeavy[1].rssMB.toFixed(1), '≤ 90 MB', applyHeavy[1].rssMB <= 90);
  row('re-apply netlink writes', applyIdle[1].writes, applyHeavy[1].writes, '0', applyHeavy[1].writes === 0);
  console.log(`churn: ${churned} routes added and ${Math.max(0, tick - 10) * perTick} deleted in ${elapsed.toFixed(1)} s (${churnErrors} ip errors)`);
  const warnings = fs
    .readFileSync(heavyD.log, 'utf8')
    .split('\n')
    .filter((l) => /"level":(40|50|60)/.test(l));
  console.log(`daemon warnings/errors in the log: ${warnings.length}${warnings.length ? `\n  ${warnings.slice(0, 5).join('\n  ')}` : ''}`);
  if (heavyD.d.exitCode !== null) throw new Error(`the daemon exited (${heavyD.d.exitCode}) during the run`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  cleanup();
}
process.exit(exitCode);
