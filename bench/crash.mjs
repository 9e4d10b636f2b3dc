#!/usr/bin/env node
// Crash safety at the size of issue 10.5: `netcfg apply` of a 10k-route config
// SIGKILLed at random points (half over the whole run, half just after the
// route records reach the state file, i.e. while routes are being written),
// ≥ 20 times, each time applied again to completion; then a config that drops
// everything. Prints, per kill, where the kernel was when the process died and
// whether the next apply ended exactly as configured, and at the end whether
// anything netcfg created leaked or anything foreign changed.
//   node bench/crash.mjs [--routes 10000] [--kills 20]
// Needs root and a build (npm run build). Heavy: run under
// `flock /tmp/netcfg-heavy.lock`. Its namespaces and every process it starts
// are removed (by pid) even on failure or Ctrl-C. Exit code 1 when a check fails.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { routes: { type: 'string', default: '10000' }, kills: { type: 'string', default: '20' } } });
const N = Number(values.routes);
const KILLS = Number(values.kills);
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/netcfg.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-crash-'));
const ns = `nccrash${process.pid}`;
const router = `${ns}r`;
const stateDir = path.join(dir, 'state');
const stateFile = path.join(stateDir, `netns-${ns}.json`);
const children = new Set();

function cleanup() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  for (const n of [ns, router]) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});

const ip = (...args) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const ipj = (...args) => JSON.parse(execFileSync('ip', ['-j', '-n', ns, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }) || '[]');

const v4 = (i) => `10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const v6 = (i) => `2001:db8:64::${i.toString(16)}`;
const key = (r) => `${r.protocol ?? 'boot'}|${r.table ?? 'main'}|${r.dst}|${r.gateway ?? ''}|${r.dev ?? ''}|${r.metric ?? 0}`;

/** Every route but those addresses made (protocol kernel), both families, every table. */
function routes() {
  return new Set([...ipj('-4', 'route', 'show', 'table', 'all'), ...ipj('-6', 'route', 'show', 'table', 'all')].filter((r) => r.protocol !== 'kernel').map(key));
}

function makeConfig(name, lo, hi, variant) {
  const want = new Set();
  const addrs = variant === 'a' ? ['192.0.2.10/24'] : ['192.0.2.10/24', '192.0.2.11/24'];
  const lines = ['machine:', '  network:', '    interfaces:', '      - interface: eth0'];
  if (variant === 'b') lines.push('        mtu: 1400');
  lines.push(`        addresses: [${addrs.join(', ')}, 2001:db8::10/64]`, '        routes:');
  for (let i = lo; i < hi; i++) {
    const table = i % 4 === 0 ? '100' : 'main';
    lines.push(`          - network: ${v4(i)}/32`, '            gateway: 192.0.2.1');
    if (table !== 'main') lines.push(`            table: ${table}`);
    want.add(`static|${table}|${v4(i)}|192.0.2.1|eth0|1024`);
    if (i % 100 === 50) {
      lines.push(`          - network: ${v6(i)}/128`, '            gateway: 2001:db8::1');
      want.add(`static|main|${v6(i)}|2001:db8::1|eth0|1024`);
    }
  }
  let text = `${lines.join('\n')}\n`;
  if (variant === 'a') text += '---\napiVersion: v1alpha1\nkind: VethConfig\nname: ncv0\naddresses:\n  - address: 10.77.0.1/24\npeer:\n  name: ncv1\n';
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return { name, file, want, mtu: variant === 'b' ? 1400 : 1500, veth: variant === 'a', marker: `${v4(variant === 'a' ? lo : hi - 1)}/32` };
}

/** Runs netcfg apply; with `kill`, SIGKILLs it that long after the spawn or after the state file holds `kill.after`. */
function apply(file, kill) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'apply', '--netns', ns, '--state-dir', stateDir, '--etc-dir', path.join(dir, 'etc'), '-o', 'json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (err += s));
  let killed = false;
  let timer;
  let poll;
  const killLater = (ms) => {
    timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGKILL');
        killed = true;
      }
    }, ms);
  };
  if (kill?.after) {
    let ino = -1;
    poll = setInterval(() => {
      try {
        const st = fs.statSync(stateFile);
        if (st.ino === ino) return;
        ino = st.ino;
        if (!fs.readFileSync(stateFile, 'utf8').includes(kill.after)) return;
      } catch {
        return;
      }
      clearInterval(poll);
      killLater(kill.ms);
    }, 5);
  } else if (kill) killLater(kill.ms);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ ms: performance.now() - t0, killed: killed && signal === 'SIGKILL', code, out, err });
    }),
  );
}

async function applyOk(file) {
  const r = await apply(file);
  const report = r.code === 0 ? JSON.parse(r.out) : undefined;
  if (!report || report.errors.length || report.pending.length) throw new Error(`apply ${file} exited ${r.code}\n${r.out.slice(-2000)}\n${r.err.slice(-2000)}`);
  return r;
}

function stateReadable() {
  try {
    const data = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    return data.version === 2;
  } catch (e) {
    return e.code === 'ENOENT';
  }
}

const diff = (have, want) => {
  const extra = [...have].filter((x) => !want.has(x));
  const missing = [...want].filter((x) => !have.has(x));
  return extra.length + missing.length === 0 ? '' : `${extra.length} unexpected (${extra.slice(0, 3).join(', ')}), ${missing.length} missing (${missing.slice(0, 3).join(', ')})`;
};

function dump() {
  return [ipj('-d', 'link', 'show').map(({ operstate, qdisc, flags, ...l }) => ({ ...l, flags: flags.filter((f) => f !== 'LOWER_UP' && f !== 'NO-CARRIER') })), ipj('addr', 'show').map((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`)), [...routes()].sort()]
    .map((x) => JSON.stringify(x))
    .join('\n');
}

let failures = 0;
try {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['netns', 'add', router]);
  for (const n of [ns, router]) execFileSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', router);
  execFileSync('ip', ['-n', router, 'link', 'set', 'peer0', 'up']);
  execFileSync('ip', ['-n', router, 'addr', 'add', '192.0.2.1/24', 'dev', 'peer0']);
  execFileSync('ip', ['-n', router, 'addr', 'add', '2001:db8::1/64', 'dev', 'peer0', 'nodad']);
  // foreign objects: a veth pair with addresses, bird routes in main and table 100, an address on eth0,
  // one bird route with the identity of one of A's routes (replaced while A is applied, put back after)
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'fv0', 'type', 'veth', 'peer', 'name', 'fv1');
  ip('link', 'set', 'fv1', 'up');
  ip('link', 'set', 'fv0', 'up');
  ip('addr', 'add', '172.31.0.1/24', 'dev', 'fv0');
  ip('addr', 'add', '10.99.0.1/32', 'dev', 'eth0');
  const batch = [];
  for (let i = 0; i < 2000; i++) batch.push(`route add 10.200.${i >> 8}.${i & 255}/32 via 172.31.0.2 proto bird table ${i % 2 ? '100' : 'main'}`);
  batch.push(`route add ${v4(1)}/32 via 172.31.0.2 proto bird metric 1024`);
  fs.writeFileSync(path.join(dir, 'foreign.batch'), `${batch.join('\n')}\n`);
  ip('-batch', path.join(dir, 'foreign.batch'));
  const foreign = routes();
  const overlap = `bird|main|${v4(1)}|172.31.0.2|fv0|1024`;
  await new Promise((r) => setTimeout(r, 500));
  const before = dump();

  const A = makeConfig('a', 0, N, 'a');
  const B = makeConfig('b', N / 2, N + N / 2, 'b');
  const empty = path.join(dir, 'empty.yaml');
  fs.writeFileSync(empty, 'machine: {}\n');

  const check = (c) => {
    const want = new Set([...c.want, ...foreign]);
    if (c.want.has(`static|main|${v4(1)}|192.0.2.1|eth0|1024`)) want.delete(overlap);
    const problems = [];
    const d = diff(routes(), want);
    if (d) problems.push(`routes: ${d}`);
    const links = new Map(ipj('addr', 'show').map((l) => [l.ifname, l]));
    if (links.get('eth0')?.mtu !== c.mtu) problems.push(`eth0 mtu ${links.get('eth0')?.mtu}`);
    if (links.has('ncv0') !== c.veth) problems.push(`ncv0 ${links.has('ncv0') ? 'present' : 'missing'}`);
    if (!links.has('fv0') || !links.get('fv0').addr_info.some((a) => a.local === '172.31.0.1')) problems.push('foreign fv0 changed');
    if (!stateReadable()) problems.push('state file unreadable');
    return problems.join('; ');
  };

  console.log(`crash bench: ${N} routes per config (A and B share half), ${foreign.size} foreign routes, ≥ ${KILLS} kills`);
  const t0 = performance.now();
  await applyOk(A.file);
  const first = performance.now() - t0;
  const durations = [(await applyOk(B.file)).ms, (await applyOk(A.file)).ms];
  console.log(`first apply of A ${first.toFixed(0)} ms; A→B / B→A ${durations.map((x) => x.toFixed(0)).join(' / ')} ms`);
  let current = A;
  let kills = 0;
  const where = { before: 0, partial: 0, after: 0 };
  for (let attempt = 0; kills < KILLS && attempt < KILLS * 2; attempt++) {
    const target = current === A ? B : A;
    const slot = ((Math.floor(attempt / 2) % 10) + Math.random()) / 10;
    const median = [...durations].sort((a, b) => a - b)[durations.length >> 1];
    const kill = attempt % 2 === 0 ? { ms: median * (0.02 + 0.96 * slot) } : { ms: median * 0.6 * slot, after: target.marker };
    const r = await apply(target.file, kill);
    const readable = stateReadable();
    const now = new Set([...routes()].filter((k) => k.startsWith('static|')));
    const at = diff(now, current.want) === '' ? 'before' : diff(now, target.want) === '' ? 'after' : 'partial';
    if (r.killed) {
      kills++;
      where[at]++;
    } else if (r.code === 0) durations.push(r.ms);
    else throw new Error(`apply exited ${r.code}\n${r.err.slice(-2000)}`);
    const again = await applyOk(target.file);
    const problem = check(target) + (readable ? '' : '; state file unreadable right after the kill');
    if (problem) failures++;
    const how = kill.after ? `${kill.ms.toFixed(0)} ms after its routes reached the state file` : `${kill.ms.toFixed(0)} ms after the spawn`;
    console.log(`${String(attempt).padStart(2)} ${current.name}→${target.name} kill ${how}: ${r.killed ? `killed at ${r.ms.toFixed(0)} ms, kernel ${at}` : `finished first (${r.ms.toFixed(0)} ms)`}; re-apply ${again.ms.toFixed(0)} ms: ${problem || 'exactly as configured'}`);
    current = target;
  }
  // drop everything, itself killed a few times on the way
  for (let k = 0; k < 5; k++) {
    const median = [...durations].sort((a, b) => a - b)[durations.length >> 1];
    const r = await apply(empty, { ms: median * (0.1 + 0.8 * ((k + Math.random()) / 5)) });
    if (!r.killed) {
      await applyOk(current.file);
      continue;
    }
    console.log(`drop ${k}: killed at ${r.ms.toFixed(0)} ms, ${[...routes()].filter((x) => x.startsWith('static|')).length} static routes left, state ${stateReadable() ? 'readable' : 'UNREADABLE'}`);
  }
  await applyOk(empty);
  await new Promise((r) => setTimeout(r, 500));
  const after = dump();
  const leaked = diff(routes(), foreign);
  const tmp = fs.readdirSync(stateDir).filter((f) => f.endsWith('.tmp'));
  console.log('');
  console.log(`kills                      ${kills} (kernel before: ${where.before}, half-way: ${where.partial}, after: ${where.after})`);
  console.log(`re-applies not exact       ${failures}`);
  console.log(`after dropping everything  ${leaked ? `routes differ from the foreign ones: ${leaked}` : 'only the foreign routes'}; namespace ${after === before ? 'identical to before netcfg ran' : 'DIFFERS from before netcfg ran'}; ${tmp.length} temporary files left`);
  if (leaked || after !== before || tmp.length || kills < KILLS) failures++;
  if (after !== before) {
    const a = before.split('\n');
    const b = after.split('\n');
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) console.log(`before: ${a[i].slice(0, 400)}\nafter:  ${b[i].slice(0, 400)}`);
  }
  console.log(`outcome                    ${failures === 0 ? 'PASS' : 'FAIL'}`);
} catch (e) {
  console.error(e);
  failures++;
} finally {
  cleanup();
}
process.exit(failures === 0 ? 0 : 1);
