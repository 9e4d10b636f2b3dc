// Test networks in namespaces the test creates (never the machine's own):
// "host" namespace NS with eth0 (and eth1), each a veth whose other end sits
// in a "router" namespace NS-r holding 192.0.2.1/24 + 2001:db8::1/64
// (and 198.18.0.1/24 on the second). Destroyed when the test finishes, even on failure.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

let counter = 0;

export interface TestNet {
  ns: string;
  router: string;
  stateDir: string;
  dir: string;
  /** Runs `ip -n NS …` and returns stdout. */
  ip(...args: string[]): string;
  /** Runs `ip -j -n NS …` and parses the JSON. */
  json<T = Array<Record<string, unknown>>>(...args: string[]): T;
  /** Everything the kernel holds that netcfg could touch, for before/after comparisons. */
  dump(): string;
  /** Writes a config file in the test's directory. */
  file(name: string, text: string): string;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createTestNet(options: { interfaces?: number } = {}): TestNet {
  const ns = `nct${process.pid}x${counter++}`;
  const router = `${ns}r`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-test-'));
  run('ip', ['netns', 'add', ns]);
  run('ip', ['netns', 'add', router]);
  onTestFinished(() => {
    for (const n of [ns, router]) {
      try {
        run('ip', ['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // No IPv6 duplicate address detection: link-local addresses (and their local
  // routes) then appear as soon as a link is up, not a second later, so kernel
  // dumps taken before and after a netcfg run compare deterministically.
  for (const n of [ns, router]) {
    run('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  }
  const count = options.interfaces ?? 1;
  const routerAddrs = [
    ['192.0.2.1/24', '2001:db8::1/64'],
    ['198.18.0.1/24', '2001:db8:1::1/64'],
  ];
  for (let i = 0; i < count; i++) {
    run('ip', ['-n', ns, 'link', 'add', `eth${i}`, 'type', 'veth', 'peer', 'name', `peer${i}`, 'netns', router]);
    run('ip', ['-n', router, 'link', 'set', `peer${i}`, 'up']);
    for (const a of routerAddrs[i] ?? []) run('ip', ['-n', router, 'addr', 'add', a, 'dev', `peer${i}`, 'nodad']);
  }
  const net: TestNet = {
    ns,
    router,
    dir,
    stateDir: path.join(dir, 'state'),
    ip: (...args) => run('ip', ['-n', ns, ...args]),
    json: <T>(...args: string[]) => JSON.parse(run('ip', ['-j', '-n', ns, ...args]) || '[]') as T,
    dump: () => {
      settle(ns);
      return [
        run('ip', ['-d', '-j', '-n', ns, 'link', 'show']),
        run('ip', ['-j', '-n', ns, 'addr', 'show']),
        run('ip', ['-j', '-n', ns, '-4', 'route', 'show', 'table', 'all']),
        run('ip', ['-j', '-n', ns, '-6', 'route', 'show', 'table', 'all']),
      ]
        .map((text) => JSON.stringify(stable(JSON.parse(text || '[]'))))
        .join('\n');
    },
    file: (name, text) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text);
      return p;
    },
  };
  return net;
}

/**
 * Waits (up to 3 s) until every link with carrier has its IPv6 link-local
 * address: the kernel adds it when it sees the carrier, which it reports up to a
 * second after the link comes up (linkwatch), so a dump right after an apply may
 * not have it yet.
 */
function settle(ns: string): void {
  const deadline = Date.now() + 3000;
  for (;;) {
    const links = JSON.parse(run('ip', ['-j', '-n', ns, 'addr', 'show']) || '[]') as Array<{ ifname: string; flags: string[]; addr_info?: Array<{ family: string; local: string }> }>;
    const waiting = links.filter((l) => l.ifname !== 'lo' && l.flags.includes('UP') && l.flags.includes('LOWER_UP') && !(l.addr_info ?? []).some((a) => a.family === 'inet6' && a.local.startsWith('fe80:')));
    if (waiting.length === 0 || Date.now() > deadline) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

// Fields the kernel changes on its own (carrier, DAD, operstate, and the default
// qdisc it attaches the first time a link comes up) are not what "netcfg changed
// nothing" or "netcfg undid its changes" are about.
const VOLATILE = new Set(['operstate', 'tentative', 'preferred_life_time', 'valid_life_time', 'dadfailed', 'qdisc']);
const VOLATILE_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'linkdown', 'M-DOWN']);

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(typeof x === 'string' && VOLATILE_FLAGS.has(x))).map(stable);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!VOLATILE.has(k)) out[k] = stable(x);
    return out;
  }
  return v;
}
