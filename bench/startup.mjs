#!/usr/bin/env node
// Times process start → static config in the kernel (an address and two routes
// on eth0), for `netcfg daemon` and for systemd-networkd with the same config on
// the same topology; then the idle RSS of both daemons, and `netcfg --version`.
//   node bench/startup.mjs [--runs N=5] [--compare DIR]
// --compare DIR also runs DIR/bin/netcfg.js (another checkout, built: say the
// commit before a change) in every round, so both are timed under the same load.
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
import { NETWORKD, harness, inheritedNote, median, now, rssMB, run, sleep, unitEnv, withTimeout } from './lib/harness.mjs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '5' }, compare: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (opts.help) {
  console.log('usage: node bench/startup.mjs [--runs N] [--compare OTHER_CHECKOUT]   (root; after npm run build)');
  process.exit(0);
}
const RUNS = Number(opts.runs);

const CLIENT_NS = 'ncs-c';
const SERVER_NS = 'ncs-s';
const { tmp, die, start, stop, deleteNamespaces, startNetworkd: networkd } = harness('startup', [CLIENT_NS, SERVER_NS]);
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
  if (process.getuid?.() !== 0) die('needs root (it creates network namespaces)');
  if (!fs.existsSync(path.join(root, 'dist/cli/main.js')) || !fs.existsSync(path.join(root, 'build/Release/netcfg_native.node'))) {
    die('netcfg is not built: run `npm run build` (`npm ci` first on a fresh checkout)');
  }
  if (!hasNetworkd) console.log(`  (no ${NETWORKD} or no systemd-network user: netcfg's figures only)`);
  deleteNamespaces(true);
}

// ---------------------------------------------------------------- topology

/** ncs-c: eth0 (down, unconfigured: the daemon's job) ⟷ ncs-s: p0 192.0.2.1/24, up. */
function createNamespaces() {
  run('ip', ['netns', 'add', CLIENT_NS]);
  run('ip', ['netns', 'add', SERVER_NS]);
  run('ip', ['-n', CLIENT_NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0', 'netns', SERVER_NS]);
  run('ip', ['-n', SERVER_NS, 'address', 'add', `${GATEWAY}/24`, 'dev', 'p0']);
  run('ip', ['-n', SERVER_NS, 'link', 'set', 'p0', 'up']);
}

/**
 * `ip monitor` on the client namespace, started before the daemon. `configured`
 * resolves with the time of the last of: the address on eth0, the default route
 * via the gateway, the extra route via the gateway.
 */
async function startMonitor() {
  const child = start('ip', ['-n', CLIENT_NS, '-o', 'monitor', 'link', 'address', 'route']);
  let buf = '';
  let synced;
  const sync = new Promise((resolve) => (synced = resolve));
  const seen = { addr: undefined, def: undefined, extra: undefined };
  let done;
  child.configured = new Promise((resolve) => (done = resolve));
  const addrRe = new RegExp(`^\\d+:\\s+eth0\\s+inet ${ADDRESS.replace(/\./g, '\\.')} .*scope global`);
  const defRe = new RegExp(`^default via ${GATEWAY.replace(/\./g, '\\.')} dev eth0\\b`);
  const extraRe = new RegExp(`^${EXTRA_ROUTE.replace(/\./g, '\\.')} via ${GATEWAY.replace(/\./g, '\\.')} dev eth0\\b`);
  child.stdout.on('data', (chunk) => {
    const t = now();
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/^\[[A-Z]+\]\s*/, '');
      buf = buf.slice(nl + 1);
      if (line.startsWith('Deleted')) {
        if (line.includes('ncs-probe')) synced();
        continue;
      }
      if (seen.addr === undefined && addrRe.test(line)) seen.addr = t;
      if (seen.def === undefined && defRe.test(line)) seen.def = t;
      if (seen.extra === undefined && extraRe.test(line)) seen.extra = t;
      if (seen.addr !== undefined && seen.def !== undefined && seen.extra !== undefined) done({ ...seen });
    }
  });
  run('ip', ['-n', CLIENT_NS, 'link', 'add', 'ncs-probe', 'type', 'veth', 'peer', 'name', 'ncs-probe1']);
  run('ip', ['-n', CLIENT_NS, 'link', 'del', 'ncs-probe']);
  await withTimeout(sync, 5000, () => `ip monitor saw no probe: ${child.output}`);
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
  const config = path.join(dir, 'static.yaml');
  fs.writeFileSync(config, NETCFG_CONFIG);
  fs.mkdirSync(path.join(dir, 'state'));
  fs.mkdirSync(path.join(dir, 'etc'));
  const t0 = now();
  const child = start(process.execPath, [which, 'daemon', '--netns', CLIENT_NS, '--state-dir', path.join(dir, 'state'), '--etc-dir', path.join(dir, 'etc'), '-c', config, '--log-level', 'warn'], UNIT_ENV, { clean: true });
  return { child, t0, pid: () => child.pid };
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
  fs.mkdirSync(runDir);
  createNamespaces();
  const children = [];
  let daemon;
  try {
    const monitor = await startMonitor();
    children.push(monitor);
    daemon = name === 'netcfg' ? startNetcfg(runDir) : name === 'compared' ? startNetcfg(runDir, otherBin) : startNetworkd();
    const died = daemon.child.exited.then((code) => {
      throw new Error(`${name} exited (${code ?? daemon.child.signalCode}) before configuring eth0`);
    });
    died.catch(() => {});
    const seen = await withTimeout(Promise.race([monitor.configured, died]), RUN_TIMEOUT_MS, () => `not configured within ${RUN_TIMEOUT_MS / 1000} s`);
    checkKernel();
    await sleep(IDLE_MS);
    if (daemon.child.exitCode !== null) throw new Error(`${name} exited after configuring eth0`);
    const pid = daemon.pid();
    const result = {
      ms: Math.max(seen.addr, seen.def, seen.extra) - daemon.t0,
      addrMs: seen.addr - daemon.t0,
      rss: rssMB(pid),
      execMs: daemon.execAt ? (await daemon.execAt) - daemon.t0 : undefined,
    };
    await stop(daemon.child, 5000, pid === daemon.child.pid ? [pid] : [pid, daemon.child.pid]);
    return result;
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
  console.log(`startup: process start → static config in the kernel (${ADDRESS}, default route and ${EXTRA_ROUTE} via ${GATEWAY} on eth0), ${RUNS} run${RUNS === 1 ? '' : 's'} each, fresh namespaces per run`);
  console.log(`  node ${process.version}, Linux ${os.release()}, ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const inherited = inheritedNote();
  console.log(`  daemons run with the unit's environment only: ${Object.entries(UNIT_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}${inherited ? `\n  (${inherited})` : ''}`);
  if (otherBin) console.log(`  compared: ${otherBin} ("compared" below)`);
  const names = ['netcfg', ...(otherBin ? ['compared'] : []), ...(hasNetworkd ? ['networkd'] : [])];
  const results = { netcfg: [], compared: [], networkd: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const name of names) {
      const r = await measure(name, path.join(tmp, `${name}-${i + 1}`));
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
  const otherVersions = [];
  const nodeE = [];
  const nodeUnit = [];
  const networkdV = [];
  for (let i = 0; i < Math.max(RUNS, 5); i++) {
    versions.push(timed(process.execPath, [bin, '--version']));
    if (otherBin) otherVersions.push(timed(process.execPath, [otherBin, '--version']));
    nodeE.push(timed(process.execPath, ['-e', '0']));
    nodeUnit.push(timed(process.execPath, ['-e', '0'], UNIT_ENV));
    if (hasNetworkd) networkdV.push(timed(NETWORKD, ['--version']));
  }
  const v = median(versions);
  console.log(`\n  \`netcfg --version\`       ${ms(v)} (median of ${versions.length}): ${v <= 60 ? 'within' : 'OVER'} the 60 ms target`);
  if (otherBin) console.log(`  compared \`--version\`     ${ms(median(otherVersions))}`);
  console.log(`  \`node -e 0\`               ${ms(median(nodeE))} (the floor under any node program)`);
  console.log(`  \`node -e 0\`, unit's env   ${ms(median(nodeUnit))} (the floor under the daemon's figures above)`);
  if (hasNetworkd) console.log(`  \`systemd-networkd --version\` ${ms(median(networkdV))}`);
}

main().catch((err) => {
  console.error(`bench/startup: ${err.stack ?? err}`);
  process.exitCode = 1;
});
