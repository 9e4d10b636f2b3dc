// A small LAN of test network namespaces for cluster discovery: a "switch"
// namespace holding bridges, and hosts plugged into them by veth pairs (eth0,
// eth1…). Nodes get their addresses from netcfg; servers and proxies from the
// test. Processes started here run inside a namespace (ip netns exec) and are
// killed, the namespaces deleted, when the test finishes, even on failure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { within } from './daemon.js';
import type { TestNet } from './netns.js';

let counter = 0;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface LanProcess {
  process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (or another signal), then its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface Lan {
  dir: string;
  /** A host namespace with eth0 on `bridge` (default br0); addresses given are set by the test, the link brought up. */
  host(tag: string, addresses?: string[], bridge?: string): TestNet;
  /** Another interface `ifname` of `net` on `bridge`, with addresses, up. */
  plug(net: TestNet, ifname: string, bridge: string, addresses: string[]): void;
  /** A long-running command inside a namespace (ip netns exec), stopped at the end of the test. */
  spawn(ns: string, cmd: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): LanProcess;
  /** A UTS namespace of its own (for a daemon's hostname): the /proc path to pass as --uts. */
  uts(): string;
}

export function createLan(): Lan {
  const prefix = `ncd${process.pid}x${counter++}`;
  const sw = `${prefix}sw`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-lan-'));
  const namespaces = [sw];
  const children: LanProcess[] = [];
  const bridges = new Set<string>();
  let port = 0;
  run('ip', ['netns', 'add', sw]);
  onTestFinished(async () => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    for (const n of namespaces) {
      try {
        run('ip', ['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const bridge = (name: string) => {
    if (bridges.has(name)) return;
    run('ip', ['-n', sw, 'link', 'add', name, 'type', 'bridge']);
    run('ip', ['-n', sw, 'link', 'set', name, 'up']);
    bridges.add(name);
  };

  const plugInto = (ns: string, ifname: string, br: string) => {
    bridge(br);
    const peer = `p${port++}`;
    run('ip', ['-n', ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer, 'netns', sw]);
    run('ip', ['-n', sw, 'link', 'set', peer, 'master', br, 'up']);
  };

  const lan: Lan = {
    dir,
    host(tag, addresses = [], br = 'br0') {
      const ns = `${prefix}${tag}`;
      run('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      plugInto(ns, 'eth0', br);
      if (addresses.length > 0) {
        for (const a of addresses) run('ip', ['-n', ns, 'addr', 'add', a, 'dev', 'eth0']);
        run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      }
      const hostDir = path.join(dir, tag);
      fs.mkdirSync(hostDir, { recursive: true });
      return {
        ns,
        router: sw,
        dir: hostDir,
        stateDir: path.join(hostDir, 'state'),
        ip: (...args) => run('ip', ['-n', ns, ...args]),
        json: <T>(...args: string[]) => JSON.parse(run('ip', ['-j', '-n', ns, ...args]) || '[]') as T,
        dump: () => run('ip', ['-j', '-n', ns, 'addr', 'show']),
        file: (name, text) => {
          const p = path.join(hostDir, name);
          fs.writeFileSync(p, text);
          return p;
        },
      };
    },
    plug(net, ifname, br, addresses) {
      plugInto(net.ns, ifname, br);
      for (const a of addresses) run('ip', ['-n', net.ns, 'addr', 'add', a, 'dev', ifname]);
      run('ip', ['-n', net.ns, 'link', 'set', ifname, 'up']);
    },
    spawn(ns, cmd, args, options = {}) {
      let out = '';
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: options.env ?? process.env });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const p: LanProcess = {
        process: child,
        output: () => out,
        exited,
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
      children.push(p);
      return p;
    },
    uts() {
      // `unshare --uts` execs sleep: the pid is that of the process holding the new UTS namespace
      const child = spawn('unshare', ['--uts', 'sleep', '3600'], { stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      children.push({ process: child, output: () => '', exited, stop: async () => (child.kill('SIGTERM'), exited) });
      const mine = fs.readlinkSync('/proc/self/ns/uts');
      const file = `/proc/${child.pid}/ns/uts`;
      // wait until unshare has made its namespace (it differs from ours)
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          if (fs.readlinkSync(file) !== mine) return file;
        } catch {
          // not there yet
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      throw new Error('unshare --uts did not start');
    },
  };
  return lan;
}

/** Waits until a process's output contains `text`. */
export async function outputContains(p: LanProcess, text: string, ms = 10_000): Promise<void> {
  await within(ms, () => p.output().includes(text) || p.process.exitCode !== null, `output containing ${JSON.stringify(text)}`);
  if (!p.output().includes(text)) throw new Error(`process exited ${p.process.exitCode}:\n${p.output()}`);
}
