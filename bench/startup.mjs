#!/usr/bin/env node
// Times process start → static config in the kernel (an address and two routes
// on eth0), for `netcfg daemon` and for systemd-networkd with the same config on
// the same topology; then the idle RSS of both daemons, and `netcfg --version`.
//   node bench/startup.mjs [--runs N=5] [--compare DIR] [--restart]
// --compare DIR also runs DIR/bin/netcfg.js (another checkout, built: say the
// commit before a change) in every round, so both are timed under the same load.
// --restart starts each netcfg daemon on the state directory its earlier run
// left (one unmeasured run first), as on any boot but a host's first, or a
// restart: the state (and what netcfg keeps there, such as the validated copy
// of its config) is there; the namespaces are new as always. Without it, every
// run starts with an empty state directory (a host's first boot).
// Needs root and a build (npm run build). Runs alternate netcfg / networkd;
// every run gets fresh namespaces. Nothing touches the machine's own network
// namespace: the client (ncs-c) and its peer (ncs-s) are namespaces created
// here, joined by a veth (so eth0 has carrier once it is up), and removed on
// exit, on failure and on Ctrl-C.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORKD, benchOptions, createVethNamespaces, describeUnitEnv, harness, median, now, run, unitEnv } from './lib/harness.mjs';

const opts = benchOptions('usage: node bench/startup.mjs [--runs N] [--compare OTHER_CHECKOUT] [--restart]   (root; after npm run build)', { compare: { type: 'string' }, restart: { type: 'boolean', default: false } });
const RESTART = opts.restart === true;
const RUNS = Number(opts.runs);

const CLIENT_NS = 'ncs-c';
const SERVER_NS = 'ncs-s';
const { tmp, die, stop, deleteNamespaces, requireRootAndBuild, startNetworkd: networkd, startMonitor: ipMonitor, startNetcfgDaemon, untilSeen, idleFigures } = harness('startup', [CLIENT_NS, SERVER_NS]);
if (!Number.isInteger(RUNS) || RUNS < 1) die(`--runs wants a positive integer, not ${opts.runs}`);
const RUN_TIMEOUT_MS = 20_000;
const IDLE_MS = 2000;
/** What both daemons are told to configure, and what the monitor waits for. */
const ADDRESS = '192.0.2.10/24';
const GATEWAY = '192.0.2.1';
const EXTRA_ROUTE = '198.51.100.0/24';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/netcfg.js');
const otherBin = opts.compare === undefined ? undefined : path.resolve(opts.compare, 'bin/netcfg.js');
if (otherBin !== undefined && !fs.existsSync(otherBin)) die(`--compare: no ${otherBin}`);
const hasNetworkd = fs.existsSync(NETWORKD) && spawnSync('id', ['systemd-network']).status === 0;

function preflight() {
  requireRootAndBuild(root);
  if (!hasNetworkd) console.log(`  (no ${NETWORKD} or no systemd-network user: netcfg's figures only)`);
  deleteNamespaces(true);
}

// ---------------------------------------------------------------- topology

/** ncs-c: eth0 (down, unconfigured: the daemon's job) ⟷ ncs-s: p0 192.0.2.1/24, up. */
function createNamespaces() {
  createVethNamespaces(CLIENT_NS, SERVER_NS, `${GATEWAY}/24`);
}

/**
 * `ip monitor` on the client namespace, started before the daemon. `configured`
 * resolves with the time of the last of: the address on eth0, the default route
 * via the gateway, the extra route via the gateway.
 */
async function startMonitor() {
  const seen = { addr: undefined, def: undefined, extra: undefined };
  let done;
  const configured = new Promise((resolve) => (done = resolve));
  const addrRe = new RegExp(`^\\d+:\\s+eth0\\s+inet ${ADDRESS.replace(/\./g, '\\.')} .*scope global`);
  const defRe = new RegExp(`^default via ${GATEWAY.replace(/\./g, '\\.')} dev eth0\\b`);
  const extraRe = new RegExp(`^${EXTRA_ROUTE.replace(/\./g, '\\.')} via ${GATEWAY.replace(/\./g, '\\.')} dev eth0\\b`);
  const child = await ipMonitor(CLIENT_NS, 'ncs-probe', (line, t) => {
    if (seen.addr === undefined && addrRe.test(line)) seen.addr = t;
    if (seen.def === undefined && defRe.test(line)) seen.def = t;
    if (seen.extra === undefined && extraRe.test(line)) seen.extra = t;
    if (seen.addr !== undefined && seen.def !== undefined && seen.extra !== undefined) done({ ...seen });
  });
  child.configured = configured;
  return child;
}

/** Confirms in the kernel (not just from the monitor) that the config is in place. */
function checkKernel() {
  const addrs = JSON.parse(run('ip', ['-j', '-n', CLIENT_NS, '-4', 'address', 'show', 'dev', 'eth0']));
  const [ip, len] = ADDRESS.split('/');
  const has = addrs.some((l) => l.addr_info.some((a) => a.local === ip && a.prefixlen === Number(len)));
  const routes = JSON.parse(run('ip', ['-j', '-n', CLIENT_NS, '-4', 'route', 'show']));
  const def = routes.some((r) => r.dst === 'default' && r.gateway === GATEWAY && r.dev === 'eth0');
  const extra = routes.some((r) => r.dst === EXTRA_ROUTE && r.gateway === GATEWAY && r.dev === 'eth0');
  if (!has || !def || !extra) throw new Error(`monitor saw the config, but the kernel has: ${JSON.stringify(addrs)} ${JSON.stringify(routes)}`);
}

// ---------------------------------------------------------------- the two daemons

const NETCFG_CONFIG = [
  'machine:',
  '  network:',
  '    interfaces:',
  '      - interface: eth0',
  '        addresses:',
  `          - ${ADDRESS}`,
  '        routes:',
  '          - network: 0.0.0.0/0',
  `            gateway: ${GATEWAY}`,
  `          - network: ${EXTRA_ROUTE}`,
  `            gateway: ${GATEWAY}`,
  '',
].join('\n');

/** The daemon runs with the environment systemd gives contrib/netcfg.service (PATH, NODE_OPTIONS), as installed. */
const UNIT_ENV = unitEnv(root);

function startNetcfg(dir, which = bin) {
  return startNetcfgDaemon(which, CLIENT_NS, dir, NETCFG_CONFIG, UNIT_ENV);
}

// systemd-networkd runs inside ncs-c in a private mount namespace, exactly as in
// bench/dhcp.mjs (see there why: a private /run hides the machine's D-Bus and
// state, a read-only /sys means "no udev", the files are world-readable because
// networkd drops privileges). The shell prints "exec" just before exec'ing it.
const NETWORK_FILE = `[Match]\\nName=eth0\\n[Network]\\nAddress=${ADDRESS}\\nGateway=${GATEWAY}\\n[Route]\\nDestination=${EXTRA_ROUTE}\\nGateway=${GATEWAY}\\n`;
function startNetworkd() {
  return networkd(CLIENT_NS, NETWORK_FILE);
}

// ---------------------------------------------------------------- one run

async function measure(name, runDir) {
  fs.mkdirSync(runDir, { recursive: RESTART });
  createNamespaces();
  const children = [];
  let daemon;
  try {
    const monitor = await startMonitor();
    children.push(monitor);
    daemon = name === 'netcfg' ? startNetcfg(runDir) : name === 'compared' ? startNetcfg(runDir, otherBin) : startNetworkd();
    const seen = await untilSeen(name, daemon, monitor.configured, RUN_TIMEOUT_MS, 'configured');
    checkKernel();
    return { ms: Math.max(seen.addr, seen.def, seen.extra) - daemon.t0, addrMs: seen.addr - daemon.t0, ...(await idleFigures(name, daemon, IDLE_MS)) };
  } catch (err) {
    err.message += `\n--- ${name} output (tail) ---\n${daemon?.child.output ?? ''}`;
    throw err;
  } finally {
    if (daemon) await stop(daemon.child, 2000);
    for (const c of children.reverse()) await stop(c, 2000);
    deleteNamespaces();
  }
}

/** Wall time of one short command, from spawn to exit; by default in this shell's environment, as a user types it. */
function timed(cmd, args, env = process.env) {
  const t0 = now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  const ms = now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

// ---------------------------------------------------------------- report

const ms = (x) => `${x.toFixed(1).padStart(7)} ms`;

async function main() {
  preflight();
  const cpus = os.cpus();
  console.log(`startup: process start → static config in the kernel (${ADDRESS}, default route and ${EXTRA_ROUTE} via ${GATEWAY} on eth0), ${RUNS} run${RUNS === 1 ? '' : 's'} each, fresh namespaces per run, ${RESTART ? 'netcfg on the state directory of its earlier run (--restart)' : 'an empty state directory (a first boot)'}`);
  console.log(`  node ${process.version}, Linux ${os.release()}, ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(describeUnitEnv(UNIT_ENV));
  if (otherBin) console.log(`  compared: ${otherBin} ("compared" below)`);
  const names = ['netcfg', ...(otherBin ? ['compared'] : []), ...(hasNetworkd ? ['networkd'] : [])];
  const results = { netcfg: [], compared: [], networkd: [] };
  if (RESTART) {
    // the earlier run whose state the measured ones start on
    for (const name of names.filter((n) => n !== 'networkd')) await measure(name, path.join(tmp, name));
  }
  for (let i = 0; i < RUNS; i++) {
    for (const name of names) {
      const r = await measure(name, RESTART && name !== 'networkd' ? path.join(tmp, name) : path.join(tmp, `${name}-${i + 1}`));
      results[name].push(r);
      const exec = r.execMs === undefined ? '' : `   (exec after ${r.execMs.toFixed(1)} ms)`;
      console.log(`  run ${i + 1}  ${name.padEnd(9)} ${ms(r.ms)}   address at ${ms(r.addrMs)}   RSS ${r.rss.total.toFixed(1)} MB${exec}`);
    }
  }
  const row = (label, rs) => {
    const t = rs.map((r) => r.ms);
    return `  ${label.padEnd(22)} ${ms(median(t))} ${ms(Math.min(...t))} ${ms(Math.max(...t))}   ${median(rs.map((r) => r.rss.total)).toFixed(1).padStart(6)} MB`;
  };
  console.log(`\n  ${''.padEnd(22)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}   idle RSS (median, ${IDLE_MS / 1000} s after)`);
  console.log(row('netcfg daemon', results.netcfg));
  if (otherBin) console.log(row('compared daemon', results.compared));
  if (hasNetworkd) {
    console.log(row('systemd-networkd', results.networkd));
    const nc = median(results.netcfg.map((r) => r.ms));
    const nd = median(results.networkd.map((r) => r.ms));
    console.log(`  ratio netcfg/networkd ${(nc / nd).toFixed(2)}; networkd's figure includes ${median(results.networkd.map((r) => r.execMs)).toFixed(1)} ms (median) of namespace wrapper before its exec`);
  }
  const med = median(results.netcfg.map((r) => r.ms));
  const rss = median(results.netcfg.map((r) => r.rss.total));
  console.log(`  netcfg start → static config ${med.toFixed(1)} ms: ${med <= 150 ? 'within' : 'OVER'} the 150 ms target; idle RSS ${rss.toFixed(1)} MB: ${rss <= 55 ? 'within' : 'OVER'} the 55 MB target`);

  const versions = [];
  const versionsUnit = [];
  const otherVersions = [];
  const otherVersionsUnit = [];
  const nodeE = [];
  const nodeUnit = [];
  const networkdV = [];
  for (let i = 0; i < Math.max(RUNS, 5); i++) {
    versions.push(timed(process.execPath, [bin, '--version']));
    versionsUnit.push(timed(process.execPath, [bin, '--version'], UNIT_ENV));
    if (otherBin) otherVersions.push(timed(process.execPath, [otherBin, '--version']));
    if (otherBin) otherVersionsUnit.push(timed(process.execPath, [otherBin, '--version'], UNIT_ENV));
    nodeE.push(timed(process.execPath, ['-e', '0']));
    nodeUnit.push(timed(process.execPath, ['-e', '0'], UNIT_ENV));
    if (hasNetworkd) networkdV.push(timed(NETWORKD, ['--version']));
  }
  const v = median(versions);
  console.log(`\n  \`netcfg --version\`       ${ms(v)} (median of ${versions.length}): ${v <= 60 ? 'within' : 'OVER'} the 60 ms target`);
  const vu = median(versionsUnit);
  console.log(`  \`netcfg --version\`, unit's env ${ms(vu)}: ${vu <= 60 ? 'within' : 'OVER'} the 60 ms target`);
  if (otherBin) console.log(`  compared \`--version\`     ${ms(median(otherVersions))}; unit's env ${ms(median(otherVersionsUnit))}`);
  console.log(`  \`node -e 0\`               ${ms(median(nodeE))} (the floor under any node program)`);
  console.log(`  \`node -e 0\`, unit's env   ${ms(median(nodeUnit))} (the floor under the daemon's figures above)`);
  if (hasNetworkd) console.log(`  \`systemd-networkd --version\` ${ms(median(networkdV))}`);
}

main().catch((err) => {
  console.error(`bench/startup: ${err.stack ?? err}`);
  process.exitCode = 1;
});
