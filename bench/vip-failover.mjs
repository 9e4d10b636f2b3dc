#!/usr/bin/env node
// Shared-VIP failover: netcfg (etcd election; default lease TTL 3 s, and 2 s)
// beside keepalived (VRRP, advert_int 1) on the same namespaces.
//   node bench/vip-failover.mjs [--crash N=10] [--graceful N=10] [--leader-crash N=3] [--only netcfg-3s,netcfg-2s,keepalived]
// Needs root, a build (npm run build), etcd-server, etcd-client, keepalived.
// Run it under the shared lock: flock /tmp/netcfg-heavy.lock node bench/vip-failover.mjs
//
// Topology (as test/helpers/vip-lab.ts): three control-plane namespaces and a
// client on bridge br0 (192.0.2.0/24), etcd peers on br1 (198.51.100.0/24), one
// etcd member per node (client URL 127.0.0.1:2379 in its namespace). Each node
// answers TCP :8080 with its name; a prober in the client connects to the VIP
// every 10 ms. A failover is timed from the kill to the first answer from
// another node. Crash = power loss: the owner's daemon (and etcd member)
// SIGKILLed and its links down at once; the node then "reboots" (netcfg: its
// daemon starts with the links down and drops the stale VIP itself; keepalived:
// the VIP is deleted as a reboot would), and rejoins. Graceful = SIGTERM.
// netcfg crash runs move the etcd leadership away from the owner first (the
// common case); --leader-crash runs crash an owner that leads etcd (a new etcd
// leader must be elected first, and it extends every lease by an election
// timeout), reported on their own row. Every 10 ms each live node's addresses
// are sampled (netlink): a sample with two holders is a "double owner".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    crash: { type: 'string', default: '10' },
    graceful: { type: 'string', default: '10' },
    'leader-crash': { type: 'string', default: '3' },
    only: { type: 'string', default: 'netcfg-3s,netcfg-2s,keepalived' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log('usage: node bench/vip-failover.mjs [--crash N] [--graceful N] [--leader-crash N] [--only netcfg-3s,netcfg-2s,keepalived]   (root; after npm run build)');
  process.exit(0);
}
const CRASH = Number(opts.crash);
const GRACEFUL = Number(opts.graceful);
const LEADER_CRASH = Number(opts['leader-crash']);
const ONLY = opts.only.split(',');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin/netcfg.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-bench-vip-'));
const ID = `vb${process.pid % 100000}`;
const SW = `${ID}sw`;
const CLIENT = `${ID}c`;
const VIP = '192.0.2.100';
const PORT = 8080;
const nodes = [1, 2, 3].map((i) => ({ i, name: `n${i}`, ns: `${ID}n${i}`, host: `cp${i}`, ip: `192.0.2.1${i}`, etcdIp: `198.51.100.1${i}`, dir: path.join(tmp, `n${i}`) }));
const namespaces = [SW, ...nodes.map((n) => n.ns), CLIENT];

// ---------------------------------------------------------------- housekeeping

const live = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function die(msg) {
  console.error(`bench/vip-failover: ${msg}`);
  process.exit(2);
}

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...(input ? { input } : {}) });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr?.trim() || r.error?.message}`);
  return r.stdout;
}

function start(args, logFile) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(args[0], args.slice(1), { stdio: ['pipe', out, out] });
  fs.closeSync(out);
  child.exited = new Promise((r) => child.once('exit', r));
  child.on('error', () => {});
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

function cleanup() {
  for (const c of live) signal(c.pid, 'SIGKILL');
  for (const n of nodes) for (const f of ['vrrp.pid', 'keepalived.pid']) {
    const p = path.join(n.dir, f);
    if (fs.existsSync(p)) signal(Number(fs.readFileSync(p, 'utf8')), 'SIGKILL');
  }
  for (const ns of namespaces) if (fs.existsSync(`/run/netns/${ns}`)) spawnSync('ip', ['netns', 'del', ns]);
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.once('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => process.exit(130));

async function waitFor(ms, check, what, every = 20) {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(every);
  }
}

// ---------------------------------------------------------------- topology

function build() {
  const ip = (ns, ...a) => run('ip', ['-n', ns, ...a]);
  for (const ns of namespaces) {
    run('ip', ['netns', 'add', ns]);
    ip(ns, 'link', 'set', 'lo', 'up');
  }
  for (const br of ['br0', 'br1']) {
    ip(SW, 'link', 'add', br, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
    ip(SW, 'link', 'set', br, 'up');
  }
  const plug = (ns, dev, port, br) => {
    ip(ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port, 'netns', SW);
    ip(SW, 'link', 'set', port, 'master', br);
    ip(SW, 'link', 'set', port, 'up');
    ip(ns, 'link', 'set', dev, 'up');
  };
  for (const n of nodes) {
    fs.mkdirSync(n.dir, { recursive: true });
    plug(n.ns, 'eth0', `p0n${n.i}`, 'br0');
    plug(n.ns, 'eth1', `p1n${n.i}`, 'br1');
    ip(n.ns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0');
    ip(n.ns, 'addr', 'add', `${n.etcdIp}/24`, 'dev', 'eth1');
  }
  plug(CLIENT, 'eth0', 'p0c', 'br0');
  ip(CLIENT, 'addr', 'add', '192.0.2.50/24', 'dev', 'eth0');
}

function startEtcd(n) {
  n.etcd = start(
    ['ip', 'netns', 'exec', n.ns, 'etcd', '--name', n.name, '--data-dir', path.join(n.dir, 'etcd'),
      '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379',
      '--listen-peer-urls', `http://${n.etcdIp}:2380`, '--initial-advertise-peer-urls', `http://${n.etcdIp}:2380`,
      '--initial-cluster', nodes.map((x) => `${x.name}=http://${x.etcdIp}:2380`).join(','),
      '--initial-cluster-state', 'new', '--initial-cluster-token', ID, '--pre-vote', '--logger', 'zap', '--log-level', 'warn'],
    path.join(n.dir, 'etcd.log'),
  );
}

function etcdStatus(n) {
  const r = spawnSync('ip', ['netns', 'exec', n.ns, 'etcdctl', '--endpoints', 'http://127.0.0.1:2379', '--command-timeout', '2s', 'endpoint', 'status', '-w', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const member = /"member_id":(\d+)/.exec(r.stdout)?.[1];
  const leader = /"leader":(\d+)/.exec(r.stdout)?.[1];
  return member && leader && leader !== '0' ? { member, leader } : undefined;
}

const etcdHealthy = () => waitFor(30_000, () => nodes.every((n) => etcdStatus(n)), 'etcd healthy', 200);

function etcdLeader() {
  const byId = new Map();
  let leader;
  for (const n of nodes) {
    const s = etcdStatus(n);
    if (s) {
      byId.set(s.member, n);
      leader = s.leader;
    }
  }
  return byId.get(leader);
}

async function moveEtcdLeader(to) {
  const current = etcdLeader();
  if (current === to) return;
  run('ip', ['netns', 'exec', current.ns, 'etcdctl', '--endpoints', 'http://127.0.0.1:2379', 'move-leader', BigInt(etcdStatus(to).member).toString(16)]);
  await waitFor(10_000, () => etcdLeader() === to, 'etcd leader moved', 100);
}

// ---------------------------------------------------------------- the VIP managers

const netcfg = (ttl) => ({
  name: `netcfg-${ttl}s`,
  label: `netcfg (lease TTL ${ttl} s${ttl === 3 ? ', default' : ''})`,
  etcd: true,
  async start(n) {
    const cfg = path.join(n.dir, 'machine.yaml');
    fs.writeFileSync(cfg, `version: v1alpha1\nmachine:\n  type: controlplane\n  network:\n    hostname: ${n.host}\n    interfaces:\n      - interface: eth0\n        vip:\n          ip: ${VIP}\n`);
    const log = path.join(n.dir, 'netcfg.log');
    const from = fs.existsSync(log) ? fs.statSync(log).size : 0;
    n.proc = start(['ip', 'netns', 'exec', n.ns, process.execPath, BIN, 'daemon', '--state-dir', path.join(n.dir, 'state'), '--etc-dir', path.join(n.dir, 'etc'), '-c', cfg, '--vip-lease-ttl', `${ttl}s`, '--log-level', 'info'], log);
    const p = n.proc;
    await waitFor(20_000, () => {
      if (p.exitCode !== null) throw new Error(`netcfg on ${n.name} exited:\n${fs.readFileSync(log, 'utf8').slice(from)}`);
      return fs.readFileSync(log, 'utf8').slice(from).includes('netcfg daemon ready');
    }, `netcfg ready on ${n.name}`, 50);
  },
  kill(n, sig) {
    signal(n.proc.pid, sig);
    return n.proc.exited;
  },
  cleanStale() {
    // the restarted daemon removes the VIP it added before (its state says so)
  },
});

const keepalived = {
  name: 'keepalived',
  label: 'keepalived (VRRP, advert_int 1)',
  etcd: false,
  async start(n) {
    const conf = path.join(n.dir, 'keepalived.conf');
    fs.writeFileSync(
      conf,
      `global_defs {\n  router_id ${n.host}\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n  nopreempt\n  virtual_ipaddress {\n    ${VIP}/32 dev eth0\n  }\n}\n`,
    );
    for (const f of ['keepalived.pid', 'vrrp.pid']) fs.rmSync(path.join(n.dir, f), { force: true });
    n.proc = start(['ip', 'netns', 'exec', n.ns, 'keepalived', '-n', '-l', '-G', '-P', '-f', conf, '-p', path.join(n.dir, 'keepalived.pid'), '-r', path.join(n.dir, 'vrrp.pid')], path.join(n.dir, 'keepalived.log'));
    await waitFor(10_000, () => fs.existsSync(path.join(n.dir, 'vrrp.pid')), `keepalived VRRP child on ${n.name}`, 50);
  },
  async kill(n, sig) {
    const vrrp = Number(fs.readFileSync(path.join(n.dir, 'vrrp.pid'), 'utf8'));
    if (sig === 'SIGKILL') signal(vrrp, 'SIGKILL');
    signal(n.proc.pid, sig);
    await n.proc.exited;
    await waitFor(10_000, () => !fs.existsSync(`/proc/${vrrp}`) || fs.readFileSync(`/proc/${vrrp}/stat`, 'utf8').includes(') Z '), 'vrrp child gone', 20);
  },
  cleanStale(n) {
    // a reboot loses the address keepalived had added
    spawnSync('ip', ['-n', n.ns, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  },
};

// ---------------------------------------------------------------- measuring

let rtnl;
const kernels = new Map();
async function holders(among) {
  const out = [];
  for (const n of among) {
    let k = kernels.get(n.ns);
    if (!k) kernels.set(n.ns, (k = rtnl.RtnlClient.open({ netns: n.ns })));
    const addrs = await k.listAddresses('inet4');
    if (addrs.some((a) => a.address === VIP || a.local === VIP)) out.push(n);
  }
  return out;
}

/** Samples the live nodes every 10 ms: counts moments with two holders. */
function sampler(isLive) {
  let running = true;
  const state = { samples: 0, doubles: 0 };
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const h = await holders(nodes.filter(isLive));
      state.samples++;
      if (h.length > 1) state.doubles++;
      await sleep(Math.max(0, 10 - (Date.now() - t)));
    }
  })();
  return { state, stop: async () => ((running = false), await loop, state) };
}

function prober() {
  const log = path.join(tmp, `prober-${Date.now()}.log`);
  const child = start(['ip', 'netns', 'exec', CLIENT, process.execPath, path.join(root, 'bench/lib/tcp-prober.mjs'), VIP, String(PORT)], log);
  let offset = 0;
  let buf = '';
  const answers = [];
  return {
    answers() {
      const text = fs.readFileSync(log, 'utf8');
      buf += text.slice(offset);
      offset = text.length;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const l of lines) if (l.startsWith('{')) answers.push(JSON.parse(l));
      return answers;
    },
    stop: () => (signal(child.pid, 'SIGTERM'), child.exited),
  };
}

const owner = async (among = nodes) => (await waitFor(30_000, async () => {
  const h = await holders(among);
  return h.length === 1 ? h : undefined;
}, 'one VIP owner'))[0];

async function powerOff(m, n) {
  const t0 = Date.now();
  const killed = m.kill(n, 'SIGKILL');
  if (n.etcd) signal(n.etcd.pid, 'SIGKILL');
  run('ip', ['-n', n.ns, '-batch', '-'], 'link set eth0 down\nlink set eth1 down\n');
  await killed;
  if (n.etcd) await n.etcd.exited;
  return t0;
}

async function powerOn(m, n) {
  m.cleanStale(n);
  if (m.etcd) {
    // netcfg's daemon comes up before the links, and must drop its stale VIP on its own
    await m.start(n);
    await waitFor(5000, async () => !(await holders([n])).length, `${n.name} dropped its stale VIP`);
  }
  run('ip', ['-n', n.ns, '-batch', '-'], 'link set eth0 up\nlink set eth1 up\n');
  if (m.etcd) {
    startEtcd(n);
    await etcdHealthy();
  } else {
    await m.start(n);
  }
}

/** From t0 to the first answer from a node other than `old`. */
async function failover(p, t0, old) {
  const a = await waitFor(30_000, () => p.answers().find((x) => x.t >= t0 && x.name !== old.host), `an answer from a node other than ${old.name}`, 10);
  return a.t - t0;
}

async function bench(m) {
  const results = { crash: [], leaderCrash: [], graceful: [], samples: 0, doubles: 0 };
  let down = new Set();
  const s = sampler((n) => !down.has(n));
  const p = prober();
  try {
    await Promise.all(nodes.map((n) => m.start(n)));
    await owner();
    await waitFor(10_000, () => p.answers().length > 0, 'the prober reaches the VIP', 50);
    const crashes = [...Array(CRASH).fill(false), ...(m.etcd ? Array(LEADER_CRASH).fill(true) : [])];
    for (const leaderCrash of crashes) {
      const o = await owner();
      if (m.etcd) await moveEtcdLeader(leaderCrash ? o : nodes.find((n) => n !== o));
      await sleep(300);
      down.add(o);
      const t0 = await powerOff(m, o);
      const ms = await failover(p, t0, o);
      (leaderCrash ? results.leaderCrash : results.crash).push(ms);
      process.stderr.write(`${m.name} crash${leaderCrash ? ' (owner led etcd)' : ''}: ${ms} ms\n`);
      await powerOn(m, o);
      down.delete(o);
      await sleep(m.etcd ? 1000 : 3000);
    }
    for (let i = 0; i < GRACEFUL; i++) {
      const o = await owner();
      await sleep(300);
      const t0 = Date.now();
      const stopped = m.kill(o, 'SIGTERM');
      const ms = await failover(p, t0, o);
      results.graceful.push(ms);
      process.stderr.write(`${m.name} graceful: ${ms} ms\n`);
      await stopped;
      await m.start(o);
      await sleep(m.etcd ? 1000 : 3000);
    }
  } finally {
    const st = await s.stop();
    results.samples = st.samples;
    results.doubles = st.doubles;
    await p.stop();
    for (const n of nodes) if (n.proc && n.proc.exitCode === null) await m.kill(n, 'SIGTERM');
    for (const n of nodes) spawnSync('ip', ['-n', n.ns, 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  }
  return results;
}

// ---------------------------------------------------------------- main

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);

async function main() {
  if (process.getuid?.() !== 0) die('needs root (it creates network namespaces)');
  if (!fs.existsSync(path.join(root, 'dist/cli/main.js'))) die('netcfg is not built: run `npm run build`');
  for (const b of ['etcd', 'etcdctl', 'keepalived']) if (spawnSync('which', [b]).status !== 0) die(`${b} is missing (apt-get install etcd-server etcd-client keepalived)`);
  rtnl = await import(path.join(root, 'dist/netlink/rtnetlink/client.js'));
  build();
  for (const n of nodes) start(['ip', 'netns', 'exec', n.ns, process.execPath, path.join(root, 'bench/lib/name-server.mjs'), n.host, String(PORT)], path.join(n.dir, 'name-server.log'));
  for (const n of nodes) startEtcd(n);
  await etcdHealthy();
  const managers = [netcfg(3), netcfg(2), keepalived].filter((m) => ONLY.includes(m.name));
  const rows = [];
  for (const m of managers) {
    const r = await bench(m);
    rows.push([m.label, r]);
  }
  for (const k of kernels.values()) k.close();
  const table = [['', 'crash median', 'crash max', 'crash (owner led etcd) median / max', 'graceful median', 'graceful max', 'runs', 'double-owner samples']];
  for (const [label, r] of rows) {
    table.push([
      label,
      fmt(median(r.crash)),
      fmt(Math.max(...r.crash)),
      r.leaderCrash.length ? `${fmt(median(r.leaderCrash))} / ${fmt(Math.max(...r.leaderCrash))}` : 'n/a',
      fmt(median(r.graceful)),
      fmt(Math.max(...r.graceful)),
      `${r.crash.length}+${r.leaderCrash.length} crash, ${r.graceful.length} graceful`,
      `${r.doubles} of ${r.samples}`,
    ]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  console.log(`\nVIP failover, kill → first TCP answer from the new owner (client probes every 10 ms); ${os.cpus().length} CPUs`);
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
  console.log('targets: netcfg crash median ≤ 3.0 s (TTL 3 s), ≤ 2.0 s (TTL 2 s); keepalived ~3.5 s; graceful ≤ 0.2 s; zero double owners');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/vip-failover: ${err.stack ?? err}`);
    process.exit(1);
  },
);
