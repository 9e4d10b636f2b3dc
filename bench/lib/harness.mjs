// What bench/dhcp.mjs and bench/startup.mjs share: children tracked and killed
// by pid whatever happens, the bench's namespaces and temporary directory
// removed on exit or on a signal, and small /proc readers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const now = () => performance.now();

export const NETWORKD = '/lib/systemd/systemd-networkd';

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr?.trim() || r.error?.message}`);
  return r.stdout;
}

export function readOr(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function safeReaddir(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The first process named `comm` in the tree under `pid` (threads' children included). */
export function findProcess(pid, comm) {
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    if (readOr(`/proc/${p}/comm`).trim() === comm) return p;
    for (const task of safeReaddir(`/proc/${p}/task`)) {
      queue.push(...readOr(`/proc/${p}/task/${task}/children`).split(' ').filter(Boolean).map(Number));
    }
  }
  throw new Error(`no ${comm} process under pid ${pid}`);
}

/** Resident memory of a process in MB: total, anonymous and file-backed, and its peak so far. */
export function rssMB(pid) {
  const status = readOr(`/proc/${pid}/status`);
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${name} for pid ${pid}`);
    return Number(m[1]) / 1024;
  };
  return { total: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile'), peak: field('VmHWM') };
}

let clockTicks;

/** CPU time of a process so far (user + system, `/proc/PID/stat`), in seconds. */
export function cpuSeconds(pid) {
  clockTicks ??= Number(run('getconf', ['CLK_TCK']));
  const stat = readOr(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clockTicks;
}

export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/**
 * The environment systemd gives contrib/netcfg.service: PATH and the unit's
 * Environment= lines (NODE_OPTIONS), nothing inherited from the shell that runs
 * the bench. (Inheriting matters: NODE_EXTRA_CA_CERTS, set in some shells, makes
 * every node process parse that CA bundle before any of its code runs.)
 */
export function unitEnv(root) {
  const unit = readOr(path.join(root, 'contrib/netcfg.service'));
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }; // systemd's default for services
  for (const m of unit.matchAll(/^Environment=(\w+)=(.*)$/gm)) env[m[1]] = m[2];
  return env;
}

/** The report's line on the daemons' environment, and how the shell's differs where it changes node's start. */
export function describeUnitEnv(env) {
  const line = `  daemons run with the unit's environment only: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  if (!process.env.NODE_EXTRA_CA_CERTS) return line;
  return `${line}\n  (this shell sets NODE_EXTRA_CA_CERTS (node loads it at every start): the daemons run without it, as under systemd; the CLI timings below keep it, as a user here gets them)`;
}

/**
 * The options of a bench that compares daemons run after run: `--runs N` (default
 * 5), `--help` (prints `usage` and exits) and `extra` (parseArgs options).
 */
export function benchOptions(usage, extra = {}) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, help: { type: 'boolean', short: 'h' }, ...extra } });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** The two namespaces of the daemon benches: CLIENT: eth0 (down, unconfigured: the daemon's job) ⟷ SERVER: p0 `serverCidr`, up. */
export function createVethNamespaces(client, server, serverCidr) {
  run('ip', ['netns', 'add', client]);
  run('ip', ['netns', 'add', server]);
  run('ip', ['-n', client, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p0', 'netns', server]);
  run('ip', ['-n', server, 'address', 'add', serverCidr, 'dev', 'p0']);
  run('ip', ['-n', server, 'link', 'set', 'p0', 'up']);
}

/**
 * The housekeeping of one bench: `name` prefixes its messages; `namespaces` are
 * deleted before a run (left by an earlier one) and at exit; `tmp` is its
 * temporary directory, removed at exit. Every child started with `start` is
 * killed by pid at exit, SIGINT, SIGTERM or SIGHUP.
 */
export function harness(name, namespaces) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `netcfg-bench-${name}-`));
  /** Every child still running; killed and reaped by cleanup() whatever happens. */
  const live = new Set();

  function die(msg) {
    console.error(`bench/${name}: ${msg}`);
    process.exit(2);
  }

  /** `env`: added to this process's environment; `{ clean: true }`: the whole environment instead. */
  function start(cmd, args, env, { clean = false } = {}) {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: clean ? env : { ...process.env, ...env } });
    child.output = '';
    const keep = (d) => (child.output = (child.output + d).slice(-4000));
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    child.exited = new Promise((resolve) => child.once('close', resolve));
    live.add(child);
    child.once('exit', () => live.delete(child));
    child.once('error', (err) => (child.output += `\nspawn failed: ${err.message}`));
    return child;
  }

  async function stop(child, graceMs = 5000, pids = [child.pid]) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    for (const pid of pids) signal(pid, 'SIGTERM');
    const timer = setTimeout(() => pids.forEach((pid) => signal(pid, 'SIGKILL')), graceMs);
    await child.exited;
    clearTimeout(timer);
  }

  function deleteNamespaces(announce = false) {
    for (const ns of namespaces) {
      if (!fs.existsSync(`/run/netns/${ns}`)) continue;
      if (announce) console.error(`bench/${name}: removing namespace ${ns} left by an earlier run`);
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }

  function cleanup() {
    for (const child of live) signal(child.pid, 'SIGTERM');
    for (let i = 0; i < 50 && [...live].some((c) => isAlive(c.pid)); i++) sleepSync(20);
    for (const child of live) signal(child.pid, 'SIGKILL');
    deleteNamespaces();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      console.error(`\nbench/${name}: ${sig}, cleaning up`);
      process.exit(130); // runs cleanup via 'exit'
    });
  }
  /**
   * systemd-networkd in namespace `ns` with one .network file (text with \\n
   * escapes, for printf), in a private mount namespace with its own /run and a
   * read-only /sys (networkd's "no udev here"); see bench/dhcp.mjs for why each
   * step is there. The shell prints "exec" just before exec'ing networkd, so the
   * wrapper's own cost can be told apart.
   */
  function startNetworkd(ns, networkFile) {
    const script = [
      'set -e',
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      'mkdir -p -m 0755 /run/systemd/network',
      'touch /run/systemd/container',
      `printf '${networkFile}' > /run/systemd/network/10-eth0.network`,
      'chmod 0644 /run/systemd/network/10-eth0.network',
      'mount -o remount,ro /sys',
      'echo exec',
      `exec ${NETWORKD}`,
    ].join('\n');
    const t0 = now();
    const child = start('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], {
      SYSTEMD_LOG_TARGET: 'console', // stderr (there is no journal in the private /run)
      SYSTEMD_LOG_LEVEL: 'info',
    });
    const execAt = new Promise((resolve) => child.stdout.on('data', (d) => d.includes('exec') && resolve(now())));
    return { child, t0, execAt, pid: () => findProcess(child.pid, 'systemd-network') };
  }

  /**
   * What one daemon run waits for: `seen` (the monitor's promise), unless the
   * daemon (`{ child }` from startNetcfgDaemon or startNetworkd) exits first or
   * `timeoutMs` passes. `what`: the awaited state, for the messages.
   */
  function untilSeen(name, daemon, seen, timeoutMs, what) {
    const died = daemon.child.exited.then((code) => {
      throw new Error(`${name} exited (${code ?? daemon.child.signalCode}) before ${what}`);
    });
    died.catch(() => {}); // only matters through the race
    return withTimeout(Promise.race([seen, died]), timeoutMs, () => `not ${what} within ${timeoutMs / 1000} s`);
  }

  /** After `idleMs` more, the daemon's resident memory and the time its wrapper exec'd it (networkd); then stops it. */
  async function idleFigures(name, daemon, idleMs) {
    await sleep(idleMs);
    if (daemon.child.exitCode !== null) throw new Error(`${name} exited after it had configured eth0`);
    const pid = daemon.pid();
    const figures = { rss: rssMB(pid), execMs: daemon.execAt ? (await daemon.execAt) - daemon.t0 : undefined };
    await stop(daemon.child, 5000, pid === daemon.child.pid ? [pid] : [pid, daemon.child.pid]);
    return figures;
  }

  /** Dies unless this runs as root and `root` (the checkout) is built. */
  function requireRootAndBuild(root) {
    if (process.getuid?.() !== 0) die('needs root (it creates network namespaces)');
    if (!fs.existsSync(path.join(root, 'dist/cli/main.js')) || !fs.existsSync(path.join(root, 'build/Release/netcfg_native.node'))) {
      die('netcfg is not built: run `npm run build` (`npm ci` first on a fresh checkout)');
    }
  }

  /**
   * `ip monitor` of links, addresses and routes in `ns`, subscribed when this
   * resolves: a probe link (`probe`, created and deleted in `ns`) has been seen
   * going. `onLine(line, t)` gets every other line, without its [TAG], with the
   * time it arrived.
   */
  async function startMonitor(ns, probe, onLine) {
    const child = start('ip', ['-n', ns, '-o', 'monitor', 'link', 'address', 'route']);
    let buf = '';
    let synced;
    const sync = new Promise((resolve) => (synced = resolve));
    child.stdout.on('data', (chunk) => {
      const t = now();
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/^\[[A-Z]+\]\s*/, '');
        buf = buf.slice(nl + 1);
        if (line.startsWith('Deleted')) {
          if (line.includes(probe)) synced();
          continue;
        }
        onLine(line, t);
      }
    });
    run('ip', ['-n', ns, 'link', 'add', probe, 'type', 'veth', 'peer', 'name', `${probe}1`]);
    run('ip', ['-n', ns, 'link', 'del', probe]);
    await withTimeout(sync, 5000, () => `ip monitor saw no probe: ${child.output}`);
    return child;
  }

  /** `netcfg daemon` for namespace `ns` with `configText`, its state and etc under `dir`, in `env` alone (see unitEnv). */
  function startNetcfgDaemon(bin, ns, dir, configText, env) {
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(config, configText);
    // kept when there (bench/startup.mjs --restart starts each daemon on its earlier run's state)
    fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
    const t0 = now();
    const child = start(process.execPath, [bin, 'daemon', '--netns', ns, '--state-dir', path.join(dir, 'state'), '--etc-dir', path.join(dir, 'etc'), '-c', config, '--log-level', 'warn'], env, { clean: true });
    return { child, t0, pid: () => child.pid };
  }

  return { tmp, die, start, stop, deleteNamespaces, requireRootAndBuild, startNetworkd, startMonitor, startNetcfgDaemon, untilSeen, idleFigures };
}
