#!/usr/bin/env node
// Times daemon start → DHCPv4 lease applied in the kernel (the leased address
// and the default route on eth0), for `netcfg daemon` and for systemd-networkd's
// DHCP client, against the same dnsmasq; then the idle RSS of both daemons.
//   node bench/dhcp.mjs [--runs N=5]
// Needs root and a build (npm run build). Runs alternate netcfg / networkd; every
// run gets fresh namespaces and a fresh dnsmasq lease file, so each is a full
// DISCOVER/OFFER/REQUEST/ACK. Nothing touches the machine's own network
// namespace: the client (ncb-c) and the server (ncb-s) are namespaces created
// here, joined by a veth, and removed on exit, on failure and on Ctrl-C.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORKD, benchOptions, createVethNamespaces, describeUnitEnv, harness, median, now, readOr, rssMB, run, sleep, unitEnv } from './lib/harness.mjs';

const opts = benchOptions('usage: node bench/dhcp.mjs [--runs N]   (root; after npm run build)');
const RUNS = Number(opts.runs);

const CLIENT_NS = 'ncb-c';
const SERVER_NS = 'ncb-s';
const { tmp, die, start, stop, deleteNamespaces, requireRootAndBuild, startNetworkd: networkd, startMonitor: ipMonitor, startNetcfgDaemon, untilSeen, idleFigures } = harness('dhcp', [CLIENT_NS, SERVER_NS]);
if (!Number.isInteger(RUNS) || RUNS < 1) die(`--runs wants a positive integer, not ${opts.runs}`);
const DNSMASQ = '/usr/sbin/dnsmasq';
const RUN_TIMEOUT_MS = 20_000;
const IDLE_MS = 2000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/netcfg.js');

// ---------------------------------------------------------------- preflight

function preflight() {
  requireRootAndBuild(root);
  for (const f of [DNSMASQ, NETWORKD]) if (!fs.existsSync(f)) die(`${f} is missing (apt-get install ${f.includes('dnsmasq') ? 'dnsmasq-base' : 'systemd'})`);
  // networkd drops privileges to this user when started as root; without it it refuses to start.
  if (spawnSync('id', ['systemd-network']).status !== 0) die('user systemd-network does not exist (it comes with the systemd package); systemd-networkd needs it');
  deleteNamespaces(true);
}

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || '').split('\n')[0].trim();
}

// ---------------------------------------------------------------- topology

/** ncb-c: eth0 (down, unconfigured: the daemon's job) ⟷ ncb-s: p0 192.0.2.1/24, up. */
function createNamespaces() {
  createVethNamespaces(CLIENT_NS, SERVER_NS, '192.0.2.1/24');
}

/** dnsmasq as DHCP server only, in the server namespace, with its own lease file. */
async function startDnsmasq(dir) {
  const log = path.join(dir, 'dnsmasq.log');
  const conf = path.join(dir, 'dnsmasq.conf');
  fs.writeFileSync(
    conf,
    [
      'port=0', // no DNS
      'interface=p0',
      'bind-interfaces',
      'dhcp-range=192.0.2.100,192.0.2.200,255.255.255.0,2m',
      'dhcp-option=option:router,192.0.2.1',
      // Without no-ping dnsmasq pings every address it is about to offer and
      // waits ~3 s for an answer before the OFFER: that wait would be most of
      // both figures and say nothing about either client.
      'no-ping',
      `dhcp-leasefile=${path.join(dir, 'leases')}`,
      'log-dhcp',
      `log-facility=${log}`,
      'pid-file=', // no pid file (the default is under the machine's /run)
      '',
    ].join('\n'),
  );
  // --conf-file replaces /etc/dnsmasq.conf, so the machine's own dnsmasq setup plays no part.
  const child = start('ip', ['netns', 'exec', SERVER_NS, DNSMASQ, '--keep-in-foreground', `--conf-file=${conf}`]);
  const t0 = now();
  while (!readOr(log).includes('sockets bound exclusively to interface p0')) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${child.output}${readOr(log)}`);
    if (now() - t0 > 5000) throw new Error(`dnsmasq not ready after 5 s: ${child.output}${readOr(log)}`);
    await sleep(10);
  }
  child.log = log;
  return child;
}

// ---------------------------------------------------------------- lease detection

/**
 * `ip monitor` on the client namespace, started before the daemon. It resolves
 * `lease` with the time of the first line showing a 192.0.2.x global address on
 * eth0 and of the first default route via 192.0.2.1 on eth0 (both must be there).
 */
async function startMonitor() {
  const seen = { addr: undefined, route: undefined, ip: undefined };
  let leased;
  const lease = new Promise((resolve) => (leased = resolve));
  const child = await ipMonitor(CLIENT_NS, 'ncb-probe', (line, t) => {
    const addr = /^\d+:\s+eth0\s+inet (192\.0\.2\.\d+)\/24 .*scope global/.exec(line);
    if (addr && seen.addr === undefined) [seen.addr, seen.ip] = [t, addr[1]];
    if (/^default via 192\.0\.2\.1 dev eth0\b/.test(line) && seen.route === undefined) seen.route = t;
    if (seen.addr !== undefined && seen.route !== undefined) leased({ ...seen });
  });
  child.lease = lease;
  return child;
}

/** Confirms in the kernel (not just from the monitor) that the lease is in place. */
function checkKernel(ip) {
  const addrs = JSON.parse(run('ip', ['-j', '-n', CLIENT_NS, '-4', 'address', 'show', 'dev', 'eth0']));
  const has = addrs.some((l) => l.addr_info.some((a) => a.local === ip && a.prefixlen === 24 && a.scope === 'global'));
  const routes = JSON.parse(run('ip', ['-j', '-n', CLIENT_NS, '-4', 'route', 'show', 'default']));
  const gw = routes.some((r) => r.gateway === '192.0.2.1' && r.dev === 'eth0');
  if (!has || !gw) throw new Error(`monitor saw ${ip} and a default route, but the kernel has: ${JSON.stringify(addrs)} ${JSON.stringify(routes)}`);
}

// ---------------------------------------------------------------- the two clients

function startNetcfg(dir) {
  return startNetcfgDaemon(bin, CLIENT_NS, dir, 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        dhcp: true\n', UNIT_ENV);
}

// systemd-networkd has no "other namespace" option and reads/writes /run, so it
// runs *inside* ncb-c with a private mount namespace (unshare --mount), where:
//  * a tmpfs on /run hides the machine's /run: networkd's state files
//    (/run/systemd/netif), its .network files and, above all, the system D-Bus
//    socket (through which it would ask hostnamed to set the machine's hostname
//    and would claim org.freedesktop.network1) stay private to this run;
//  * /sys is remounted read-only (ip netns exec mounted a fresh sysfs for the
//    namespace): networkd takes a read-only /sys as "no udev here" and configures
//    links at once; with a writable /sys it waits for udev to announce eth0,
//    which never happens, and does nothing;
//  * /run/systemd/container marks a container, as the brief suggests (this
//    machine is detected as one anyway);
//  * the directories and the .network file are world-readable because networkd
//    drops privileges to the systemd-network user right after start: a 0600
//    file fails with "Failed to open configuration file …: Permission denied",
//    a 0700 /run with "Could not create runtime directory 'links'".
// The shell prints "exec" just before exec'ing networkd, so the wrapper's own
// cost can be told apart (it is included in networkd's figure, as node's start
// is in netcfg's).
const NETWORK_FILE = '[Match]\\nName=eth0\\n[Network]\\nDHCP=ipv4\\n[DHCPv4]\\nUseHostname=no\\n';
function startNetworkd() {
  return networkd(CLIENT_NS, NETWORK_FILE);
}

/** The daemon runs with the environment systemd gives contrib/netcfg.service (PATH, NODE_OPTIONS), as installed. */
const UNIT_ENV = unitEnv(root);

/** What node itself holds, idle, with the unit's options: the floor under any node daemon. */
async function nodeFloor() {
  const child = start(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], UNIT_ENV, { clean: true });
  await sleep(1000);
  const rss = rssMB(child.pid);
  await stop(child, 2000);
  return rss;
}

// ---------------------------------------------------------------- one run

async function measure(name, runDir) {
  fs.mkdirSync(runDir);
  createNamespaces();
  const children = [];
  let daemon;
  try {
    const dnsmasq = await startDnsmasq(runDir);
    children.push(dnsmasq);
    const monitor = await startMonitor();
    children.push(monitor);

    daemon = name === 'netcfg' ? startNetcfg(runDir) : startNetworkd();
    const lease = await untilSeen(name, daemon, monitor.lease, RUN_TIMEOUT_MS, 'leased');
    checkKernel(lease.ip);
    return { ms: Math.max(lease.addr, lease.route) - daemon.t0, addrMs: lease.addr - daemon.t0, ip: lease.ip, ...(await idleFigures(name, daemon, IDLE_MS)) };
  } catch (err) {
    const dnsmasqLog = children[0] ? readOr(children[0].log).split('\n').slice(-15).join('\n') : '';
    err.message += `\n--- ${name} output (tail) ---\n${daemon?.child.output ?? ''}\n--- dnsmasq log (tail) ---\n${dnsmasqLog}`;
    throw err;
  } finally {
    if (daemon) await stop(daemon.child, 2000);
    for (const c of children.reverse()) await stop(c, 2000);
    deleteNamespaces();
  }
}

// ---------------------------------------------------------------- report

const ms = (x) => `${x.toFixed(1).padStart(7)} ms`;

async function main() {
  preflight();
  const cpus = os.cpus();
  console.log(`dhcp: daemon start → DHCPv4 lease in the kernel (address + default route on eth0), ${RUNS} run${RUNS === 1 ? '' : 's'} each, fresh namespaces and DORA per run`);
  console.log(`  node ${process.version}, Linux ${os.release()}, ${cpus.length} CPUs (${cpus[0]?.model ?? '?'})`);
  console.log(describeUnitEnv(UNIT_ENV));
  const dnsmasqVersion = versionOf(DNSMASQ, ['--version']).replace(/\s+Copyright.*/, '');
  console.log(`  server: ${dnsmasqVersion} with no-ping (else it waits ~3 s before each OFFER); networkd: ${versionOf(NETWORKD, ['--version'])}`);

  const results = { netcfg: [], networkd: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const name of ['netcfg', 'networkd']) {
      const r = await measure(name, path.join(tmp, `${name}-${i + 1}`));
      results[name].push(r);
      const exec = r.execMs === undefined ? '' : `   (exec after ${r.execMs.toFixed(1)} ms)`;
      console.log(`  run ${i + 1}  ${name.padEnd(9)} ${ms(r.ms)}   address at ${ms(r.addrMs)}   ${r.ip.padEnd(12)} RSS ${r.rss.total.toFixed(1)} MB${exec}`);
    }
  }

  const row = (label, rs) => {
    const t = rs.map((r) => r.ms);
    return `  ${label.padEnd(18)} ${ms(median(t))} ${ms(Math.min(...t))} ${ms(Math.max(...t))}   ${median(rs.map((r) => r.rss.total)).toFixed(1).padStart(6)} MB`;
  };
  console.log(`\n  ${''.padEnd(18)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}   idle RSS (median, ${IDLE_MS / 1000} s after the lease)`);
  console.log(row('netcfg daemon', results.netcfg));
  console.log(row('systemd-networkd', results.networkd));
  const nc = median(results.netcfg.map((r) => r.ms));
  const nd = median(results.networkd.map((r) => r.ms));
  console.log(`  ratio netcfg/networkd ${(nc / nd).toFixed(2)}; start → lease ${nc <= 250 ? 'within' : 'OVER'} the 250 ms target (issue 15)`);
  console.log(`  networkd's figure includes ${median(results.networkd.map((r) => r.execMs)).toFixed(1)} ms (median) of namespace wrapper before its exec; netcfg's includes node's start`);
  const rss = (k) => median(results.netcfg.map((r) => r.rss[k]));
  const floor = await nodeFloor();
  const opts = UNIT_ENV.NODE_OPTIONS ? ` (NODE_OPTIONS=${UNIT_ENV.NODE_OPTIONS}, as in contrib/netcfg.service)` : '';
  console.log(`  netcfg idle RSS ${rss('total').toFixed(1)} MB${opts}: ${rss('total') <= 55 ? 'within' : 'OVER'} the 55 MB target (issue 15)`);
  console.log(`    anonymous ${rss('anon').toFixed(1)} MB + file-backed ${rss('file').toFixed(1)} MB (pages of the node binary and libraries, shared with every node process)`);
  console.log(`    an idle \`node -e setInterval\` holds ${floor.total.toFixed(1)} MB (anonymous ${floor.anon.toFixed(1)}, file-backed ${floor.file.toFixed(1)}): netcfg adds ${(rss('total') - floor.total).toFixed(1)} MB`);
}

main().catch((err) => {
  console.error(`bench/dhcp: ${err.stack ?? err}`);
  process.exitCode = 1;
});
