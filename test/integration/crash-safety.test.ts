// Crash safety (issue 10.5): `netcfg apply` killed with SIGKILL at random points
// of a few-thousand-route apply, again and again, then applied again. Each time
// the kernel must end exactly as configured (checked with ip -j against the
// config), the state file must stay readable, and at the end a config that
// drops everything must leave the namespace as it was before netcfg first ran:
// nothing netcfg created leaked, nothing foreign (routes of protocol bird in
// `main` and table 100, a foreign veth pair and addresses) touched.
//
// The kill points are measured, not guessed: half of the kills are spread over
// a whole apply (its duration measured on this machine, as it runs), half over
// the route writes: the route controller saves its records (intent first) just
// before it writes the routes, so the test watches the state file and kills a
// random moment after the target config's routes appear in it, within the time
// the route pass took in a timed run. Many land with the kernel half-way.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

/** Routes per config; the two configs share half of them. */
const N = 1500;
/** Kills wanted (and at least this many with the routes half-way), within a bound of attempts. */
const KILLS = 20;
const PARTIAL_KILLS = 3;
const MAX_ATTEMPTS = 36;

interface Config {
  name: string;
  file: string;
  /** `table|dst|gateway|dev|metric` of every route, as `ip -j` shows them. */
  routes: Set<string>;
  eth0Mtu: number;
  eth0Addrs: string[];
  /** The veth pair netcfg creates (config A only). */
  veth: boolean;
  /** A route destination of this config only, as the state file holds it. */
  marker: string;
}

const FOREIGN_ETH0_ADDR = '10.99.0.1/32';
const FOREIGN_FV0_ADDRS = ['172.31.0.1/24', '2001:db8:99::1/64'];
/** A foreign route with the kernel identity of one of config A's routes: replaced while A is applied, put back after. */
const OVERLAP = 1;

function v4(i: number): string {
  return `10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

function v6(i: number): string {
  return `2001:db8:64::${i.toString(16)}`;
}

/** A v1alpha1 interface with routes [lo, hi) (every 4th in table 100, every 100th also an IPv6 route), plus documents. */
function makeConfig(net: TestNet, name: string, lo: number, hi: number, variant: 'a' | 'b'): Config {
  const routes = new Set<string>();
  const eth0Addrs = variant === 'a' ? ['192.0.2.10/24', '2001:db8::10/64'] : ['192.0.2.10/24', '192.0.2.11/24', '2001:db8::10/64'];
  const lines = ['machine:', '  network:', '    interfaces:', '      - interface: eth0'];
  if (variant === 'b') lines.push('        mtu: 1400');
  lines.push(`        addresses: [${eth0Addrs.join(', ')}]`, '        routes:');
  for (let i = lo; i < hi; i++) {
    const table = i % 4 === 0 ? '100' : 'main';
    lines.push(`          - network: ${v4(i)}/32`, '            gateway: 192.0.2.1');
    if (table !== 'main') lines.push(`            table: ${table}`);
    routes.add(`${table}|${v4(i)}|192.0.2.1|eth0|1024`);
    if (i % 100 === 50) {
      lines.push(`          - network: ${v6(i)}/128`, '            gateway: 2001:db8::1');
      routes.add(`main|${v6(i)}|2001:db8::1|eth0|1024`);
    }
  }
  let text = `${lines.join('\n')}\n`;
  if (variant === 'a') text += '---\napiVersion: v1alpha1\nkind: VethConfig\nname: ncv0\naddresses:\n  - address: 10.77.0.1/24\npeer:\n  name: ncv1\n';
  const marker = `${v4(variant === 'a' ? lo : hi - 1)}/32`;
  return { name, file: net.file(`${name}.yaml`, text), routes, eth0Mtu: variant === 'b' ? 1400 : 1500, eth0Addrs, veth: variant === 'a', marker };
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  metric?: number;
  protocol?: string;
}

function routeKey(r: IpRoute): string {
  return `${r.table ?? 'main'}|${r.dst}|${r.gateway ?? ''}|${r.dev ?? ''}|${r.metric ?? 0}`;
}

/** The kernel's routes of one protocol, both families, every table. */
function routesOf(net: TestNet, protocol: string): Set<string> {
  const all = [...net.json<IpRoute[]>('-4', 'route', 'show', 'table', 'all', 'proto', protocol), ...net.json<IpRoute[]>('-6', 'route', 'show', 'table', 'all', 'proto', protocol)];
  return new Set(all.map(routeKey));
}

/**
 * Every route of the namespace (`ip -j route show table all`, both families) that no address made
 * (protocol kernel), with its protocol: what a configurator and a routing daemon put there.
 */
function nonKernelRoutes(net: TestNet): Set<string> {
  const all = [...net.json<IpRoute[]>('-4', 'route', 'show', 'table', 'all'), ...net.json<IpRoute[]>('-6', 'route', 'show', 'table', 'all')];
  return new Set(all.filter((r) => r.protocol !== 'kernel').map((r) => `${r.protocol ?? 'boot'}|${routeKey(r)}`));
}

interface IpAddrLink {
  ifname: string;
  mtu: number;
  flags: string[];
  addr_info?: Array<{ local: string; prefixlen: number; scope: string }>;
}

function links(net: TestNet): Map<string, IpAddrLink> {
  return new Map(net.json<IpAddrLink[]>('addr', 'show').map((l) => [l.ifname, l]));
}

const globalAddrs = (l: IpAddrLink | undefined): string[] =>
  (l?.addr_info ?? [])
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** What differs between two sets, shortly (for failure messages). */
function setDiff(have: Set<string>, want: Set<string>): string {
  const extra = [...have].filter((x) => !want.has(x));
  const missing = [...want].filter((x) => !have.has(x));
  return `${extra.length} unexpected (${extra.slice(0, 5).join(', ')}), ${missing.length} missing (${missing.slice(0, 5).join(', ')})`;
}

interface Run {
  ms: number;
  killed: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Epoch ms at spawn. */
  started: number;
}

interface KillAt {
  /** This long after the spawn, or after the state file first holds `stateHolds`. */
  afterMs: number;
  stateHolds?: string;
}

/** Runs `netcfg apply`; with `kill`, SIGKILLs it (by pid) at that point. */
function apply(net: TestNet, file: string, options: { kill?: KillAt; debug?: boolean } = {}): Promise<Run> {
  const args = [BIN, 'apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', path.join(net.dir, 'etc'), '-o', 'json', ...(options.debug ? ['--log-level', 'debug'] : []), file];
  const started = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let killed = false;
  const kill = options.kill;
  const killLater = (ms: number): void => {
    timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
        killed = true;
      }
    }, ms);
  };
  if (kill?.stateHolds !== undefined) {
    // the state file is replaced (rename) on every save: a new inode is a new save
    const wanted = kill.stateHolds;
    let inode = -1;
    poll = setInterval(() => {
      let ino: number;
      try {
        ino = fs.statSync(stateFile(net)).ino;
      } catch {
        return;
      }
      if (ino === inode) return;
      inode = ino;
      let text = '';
      try {
        text = fs.readFileSync(stateFile(net), 'utf8');
      } catch {
        return;
      }
      if (!text.includes(wanted)) return;
      clearInterval(poll);
      poll = undefined;
      killLater(kill.afterMs);
    }, 2);
  } else if (kill) {
    killLater(kill.afterMs);
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ ms: performance.now() - t0, killed: killed && signal === 'SIGKILL', code, stdout, stderr, started });
    });
  });
}

async function applyOk(net: TestNet, file: string, debug = false): Promise<Run> {
  const r = await apply(net, file, { debug });
  if (r.code !== 0) throw new Error(`netcfg apply ${file} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  const report = JSON.parse(r.stdout) as { errors: string[]; pending: string[] };
  expect(report.errors).toEqual([]);
  expect(report.pending).toEqual([]);
  return r;
}

/** How long the route spec controller's longest pass took, from a debug log. */
function routePassMs(run: Run): number {
  let ms = 0;
  for (const line of run.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const l = JSON.parse(line) as { controller?: string; msg?: string; ms?: number };
    if (l.controller === 'RouteSpecController' && l.msg === 'reconciled' && typeof l.ms === 'number') ms = Math.max(ms, l.ms);
  }
  if (ms === 0) throw new Error(`no RouteSpecController pass in the debug log:\n${run.stderr.slice(0, 2000)}`);
  return ms;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function stateFile(net: TestNet): string {
  return path.join(net.stateDir, `netns-${net.ns}.json`);
}

interface StateTable {
  version: number;
  kinds: Record<string, { rows: unknown[][] }>;
}

/** The state file parses (when there is one) and has the expected format. */
function readState(net: TestNet): StateTable | undefined {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(net), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const data = JSON.parse(text) as StateTable;
  expect(data.version).toBe(3);
  return data;
}

describe('crash safety: kill -9 during apply', () => {
  it(
    `SIGKILL at ${KILLS}+ points of ${N}-route applies, then apply again: exactly as configured, state readable, nothing leaked, nothing foreign touched`,
    async () => {
      const net = createTestNet();
      // foreign objects, as a routing daemon and an admin would leave them: a veth pair with
      // addresses, routes of protocol bird through it in main and table 100, an address on eth0
      net.ip('link', 'set', 'lo', 'up');
      net.ip('link', 'add', 'fv0', 'type', 'veth', 'peer', 'name', 'fv1');
      net.ip('link', 'set', 'fv1', 'up');
      net.ip('link', 'set', 'fv0', 'up');
      for (const a of FOREIGN_FV0_ADDRS) net.ip('addr', 'add', a, 'dev', 'fv0', 'nodad');
      net.ip('addr', 'add', FOREIGN_ETH0_ADDR, 'dev', 'eth0');
      const batch: string[] = [];
      for (let i = 0; i < 600; i++) {
        batch.push(`route add 10.200.${i >> 8}.${i & 255}/32 via 172.31.0.2 proto bird table ${i % 2 === 0 ? 'main' : '100'}`);
      }
      for (let i = 0; i < 20; i++) batch.push(`route add 2001:db8:200::${i.toString(16)}/128 via 2001:db8:99::2 proto bird`);
      batch.push(`route add ${v4(OVERLAP)}/32 via 172.31.0.2 proto bird metric 1024`);
      const batchFile = net.file('foreign.batch', `${batch.join('\n')}\n`);
      net.ip('-batch', batchFile);
      const foreignRoutes = routesOf(net, 'bird');
      expect(foreignRoutes.size).toBe(621);
      const overlapKey = `main|${v4(OVERLAP)}|172.31.0.2|fv0|1024`;
      expect(foreignRoutes.has(overlapKey)).toBe(true);
      const before = net.dump();

      const A = makeConfig(net, 'a', 0, N, 'a');
      const B = makeConfig(net, 'b', N / 2, N + N / 2, 'b');
      const E = { name: 'empty', file: net.file('empty.yaml', 'machine: {}\n') };

      /** The kernel is exactly as `c` says, foreign objects as they were (but the route A replaces while applied). */
      const check = (c: Config, when: string): void => {
        const stat = routesOf(net, 'static');
        if (!sameSet(stat, c.routes)) throw new Error(`${when}: the kernel's static routes are not config ${c.name}'s: ${setDiff(stat, c.routes)}`);
        const foreign = routesOf(net, 'bird');
        const wantForeign = new Set(foreignRoutes);
        if (c.routes.has(`main|${v4(OVERLAP)}|192.0.2.1|eth0|1024`)) wantForeign.delete(overlapKey);
        if (!sameSet(foreign, wantForeign)) throw new Error(`${when}: foreign routes changed: ${setDiff(foreign, wantForeign)}`);
        // and nothing else: the whole route table of the namespace is the config's routes plus the foreign ones
        const whole = nonKernelRoutes(net);
        const wantWhole = new Set([...[...c.routes].map((k) => `static|${k}`), ...[...wantForeign].map((k) => `bird|${k}`)]);
        if (!sameSet(whole, wantWhole)) throw new Error(`${when}: ip -j route show table all differs: ${setDiff(whole, wantWhole)}`);
        const l = links(net);
        const eth0 = l.get('eth0')!;
        expect(eth0.mtu, when).toBe(c.eth0Mtu);
        expect(eth0.flags, when).toContain('UP');
        expect(globalAddrs(eth0), when).toEqual([...c.eth0Addrs, FOREIGN_ETH0_ADDR].sort());
        expect(globalAddrs(l.get('fv0')), when).toEqual([...FOREIGN_FV0_ADDRS].sort());
        expect(l.has('fv1'), when).toBe(true);
        expect(l.has('ncv0'), when).toBe(c.veth);
        expect(l.has('ncv1'), when).toBe(c.veth);
        if (c.veth) expect(globalAddrs(l.get('ncv0')), when).toEqual(['10.77.0.1/24']);
        // the state records every route of the config, no more
        const routesHeld = readState(net)?.kinds.AppliedRoute?.rows.length ?? 0;
        expect(routesHeld, `${when}: routes in the state file`).toBe(c.routes.size);
      };

      // calibration: how long an apply takes, and its route pass (A from nothing, then A→B, B→A)
      await applyOk(net, A.file);
      check(A, 'first apply of A');
      const toB = await applyOk(net, B.file, true);
      check(B, 'A → B');
      const toA = await applyOk(net, A.file, true);
      check(A, 'B → A');
      /** Applies that changed config and were not killed: the whole-run span follows the machine's speed. */
      const durations = [toB.ms, toA.ms];
      const routePass = Math.max(routePassMs(toB), routePassMs(toA));

      const log: string[] = [`apply ${median(durations).toFixed(0)} ms, route pass ${routePass} ms`];
      let current = A;
      let kills = 0;
      let partial = 0;
      for (let attempt = 0; attempt < MAX_ATTEMPTS && (kills < KILLS || partial < PARTIAL_KILLS); attempt++) {
        const target = current === A ? B : A;
        // stratified: the k-th of every 10 kills of a kind lands in the k-th tenth of its span
        const slot = ((Math.floor(attempt / 2) % 10) + Math.random()) / 10;
        const kill: KillAt = attempt % 2 === 0 ? { afterMs: median(durations) * (0.02 + 0.96 * slot) } : { afterMs: routePass * slot, stateHolds: target.marker };
        const r = await apply(net, target.file, { kill });
        readState(net); // readable whatever the moment
        const routes = routesOf(net, 'static');
        const at = sameSet(routes, current.routes) ? 'before' : sameSet(routes, target.routes) ? 'after' : 'partial';
        if (r.killed) {
          kills++;
          if (at === 'partial') partial++;
        } else if (r.code === 0) {
          durations.push(r.ms);
        } else {
          throw new Error(`apply ${target.name} exited ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
        }
        const when = `${kill.afterMs.toFixed(0)} ms after ${kill.stateHolds ? 'its routes reached the state file' : 'the spawn'}`;
        log.push(`${attempt}: ${current.name}→${target.name}, kill ${when}: ${r.killed ? `killed at ${r.ms.toFixed(0)} ms, routes ${at}` : `finished first (${r.ms.toFixed(0)} ms)`}`);
        // the same apply again, to completion: exactly the config
        await applyOk(net, target.file);
        check(target, `after attempt ${log.at(-1)}`);
        current = target;
      }
      console.log(log.join('\n'));
      expect(kills, log.join('\n')).toBeGreaterThanOrEqual(KILLS);
      expect(partial, log.join('\n')).toBeGreaterThanOrEqual(PARTIAL_KILLS);

      // dropping everything, itself killed a few times on the way (each killed run undoes part of it; the
      // routes go with the address and link state netcfg restores: the kernel flushes them)
      const drop = await applyOk(net, E.file);
      await applyOk(net, current.file);
      check(current, 'back to the config before dropping it');
      for (let k = 0; k < 3; k++) {
        const r = await apply(net, E.file, { kill: { afterMs: drop.ms * (0.15 + 0.7 * ((k + Math.random()) / 3)) } });
        readState(net);
        console.log(`drop ${k}: ${r.killed ? `killed at ${r.ms.toFixed(0)} ms, ${routesOf(net, 'static').size} static routes left` : 'finished first'}`);
        // a drop that finished is undone, so that the next kill lands in a drop again
        if (!r.killed) await applyOk(net, current.file);
      }
      await applyOk(net, E.file);
      expect(routesOf(net, 'static').size).toBe(0);
      expect(sameSet(routesOf(net, 'bird'), foreignRoutes)).toBe(true);
      expect(net.dump()).toBe(before);
      const state = readState(net);
      for (const [kind, table] of Object.entries(state?.kinds ?? {})) {
        if (/^Applied(Route|Address|Link)$/.test(kind)) expect(table.rows.filter((row) => !String(row[0]).startsWith('lo')), kind).toEqual([]);
      }
      // nothing but netcfg's own files in the state directory (no temporary file left behind by a kill)
      const leftovers = fs.readdirSync(net.stateDir).filter((f) => !/^netns-[^.]+\.(json|json\.lasting|json\.validated-config|applied\.yaml|previous\.yaml)$/.test(f));
      expect(leftovers).toEqual([]);
    },
    600_000,
  );
});
