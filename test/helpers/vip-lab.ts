// A shared-VIP lab in network namespaces: three "control-plane" nodes and a
// client on one bridge (192.0.2.0/24, 2001:db8::/64; eth0), the nodes' etcd
// traffic on a second bridge (198.51.100.0/24; eth1), each node running an etcd
// member (client URL 127.0.0.1:2379 inside its namespace, peers on eth1) and a
// netcfg daemon under `ip netns exec` (so its etcd client is in the node's
// namespace), plus a TCP server that answers with the node's name. Every
// process is tracked by pid and killed, and every namespace deleted, by
// teardown() — call it from afterAll, it is safe after any failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import { addressOf } from '../../src/netlink/rtnetlink/address.js';
import { readJsonLog } from './json-stream.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/netcfg.js');
const NAME_SERVER = path.join(ROOT, 'bench/lib/name-server.mjs');
export const VIP4 = '192.0.2.100';
export const VIP6 = '2001:db8::100';
export const PORT = 8080;

export function run(cmd: string, args: string[], check = true): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr?.trim() || r.error?.message}`);
  return r.stdout;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `every` ms until it returns a value (not undefined/false) or `ms` pass. */
export async function waitFor<T>(ms: number, check: () => T | undefined | false | Promise<T | undefined | false>, what: string, every = 20): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(every);
  }
}

interface Tracked {
  child: ChildProcess;
  exited: Promise<void>;
  log: string;
}

export interface LabNode {
  name: string;
  ns: string;
  host: string;
  ip4: string;
  ip6: string;
  etcdIp: string;
  mac: string;
  dir: string;
  daemon?: Tracked;
  etcd?: Tracked;
}

export interface DaemonOptions {
  vip?: string;
  leaseTtl?: number;
  extraArgs?: string[];
  env?: Record<string, string>;
}

export class VipLab {
  readonly id: string;
  readonly dir: string;
  readonly sw: string;
  readonly client: string;
  readonly nodes: LabNode[] = [];
  private readonly procs = new Set<Tracked>();
  private readonly kernels = new Map<string, RtnlClient>();
  private readonly namespaces: string[] = [];

  constructor(tag: string) {
    this.id = `v${tag}${process.pid % 100000}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-vip-'));
    this.sw = `${this.id}sw`;
    this.client = `${this.id}c`;
  }

  private ip(ns: string, ...args: string[]): string {
    return run('ip', ['-n', ns, ...args]);
  }

  private addNs(name: string): void {
    run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    run('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.keep_addr_on_down=1', 'net.ipv6.conf.default.keep_addr_on_down=1']);
    this.ip(name, 'link', 'set', 'lo', 'up');
  }

  /** Builds the namespaces and links (no processes yet). */
  build(): void {
    this.addNs(this.sw);
    this.ip(this.sw, 'link', 'add', 'br0', 'type', 'bridge');
    this.ip(this.sw, 'link', 'add', 'br1', 'type', 'bridge');
    // no STP / learning delay: ports forward at once
    this.ip(this.sw, 'link', 'set', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
    this.ip(this.sw, 'link', 'set', 'br1', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
    this.ip(this.sw, 'link', 'set', 'br0', 'up');
    this.ip(this.sw, 'link', 'set', 'br1', 'up');
    const plug = (ns: string, dev: string, port: string, bridge: string) => {
      this.ip(ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port, 'netns', this.sw);
      this.ip(this.sw, 'link', 'set', port, 'master', bridge);
      this.ip(this.sw, 'link', 'set', port, 'up');
      this.ip(ns, 'link', 'set', dev, 'up');
    };
    for (let i = 1; i <= 3; i++) {
      const ns = `${this.id}n${i}`;
      this.addNs(ns);
      plug(ns, 'eth0', `p0n${i}`, 'br0');
      plug(ns, 'eth1', `p1n${i}`, 'br1');
      const node: LabNode = { name: `n${i}`, ns, host: `cp${i}`, ip4: `192.0.2.1${i}`, ip6: `2001:db8::1${i}`, etcdIp: `198.51.100.1${i}`, mac: '', dir: path.join(this.dir, `n${i}`) };
      fs.mkdirSync(node.dir, { recursive: true });
      this.ip(ns, 'addr', 'add', `${node.ip4}/24`, 'dev', 'eth0');
      this.ip(ns, 'addr', 'add', `${node.ip6}/64`, 'dev', 'eth0', 'nodad');
      this.ip(ns, 'addr', 'add', `${node.etcdIp}/24`, 'dev', 'eth1');
      node.mac = (JSON.parse(this.ip(ns, '-j', 'link', 'show', 'eth0')) as Array<{ address: string }>)[0]!.address;
      this.nodes.push(node);
    }
    this.addNs(this.client);
    plug(this.client, 'eth0', 'p0c', 'br0');
    this.ip(this.client, 'addr', 'add', '192.0.2.50/24', 'dev', 'eth0');
    this.ip(this.client, 'addr', 'add', '2001:db8::50/64', 'dev', 'eth0', 'nodad');
  }

  /** Spawns a tracked process; its output goes to `logFile`. */
  spawn(args: string[], logFile: string, env: Record<string, string> = {}): Tracked {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(args[0]!, args.slice(1), { stdio: ['pipe', out, out], env: { ...process.env, ...env } });
    fs.closeSync(out);
    const t: Tracked = { child, exited: new Promise((r) => child.once('exit', () => r())), log: logFile };
    this.procs.add(t);
    void t.exited.then(() => this.procs.delete(t));
    child.on('error', () => {});
    return t;
  }

  async kill(t: Tracked | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!t || t.child.exitCode !== null || t.child.signalCode !== null) return;
    t.child.kill(signal);
    const timer = setTimeout(() => t.child.kill('SIGKILL'), 10_000);
    await t.exited;
    clearTimeout(timer);
  }

  private cluster(): string {
    return this.nodes.map((n) => `${n.name}=http://${n.etcdIp}:2380`).join(',');
  }

  startEtcd(node: LabNode): void {
    node.etcd = this.spawn(
      [
        'ip', 'netns', 'exec', node.ns, 'etcd',
        '--name', node.name,
        '--data-dir', path.join(node.dir, 'etcd'),
        '--listen-client-urls', 'http://127.0.0.1:2379',
        '--advertise-client-urls', 'http://127.0.0.1:2379',
        '--listen-peer-urls', `http://${node.etcdIp}:2380`,
        '--initial-advertise-peer-urls', `http://${node.etcdIp}:2380`,
        '--initial-cluster', this.cluster(),
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', this.id,
        '--logger', 'zap',
        '--log-level', 'warn',
        // as etcd 3.5+ does by default: a member rejoining after a partition does not force an election
        '--pre-vote',
      ],
      path.join(node.dir, 'etcd.log'),
    );
  }

  etcdctl(node: LabNode, ...args: string[]): string {
    return run('ip', ['netns', 'exec', node.ns, 'etcdctl', '--endpoints', 'http://127.0.0.1:2379', '--command-timeout', '3s', ...args]);
  }

  /** The etcd member statuses of the reachable members (leader ID and each member's own ID). */
  etcdStatus(node: LabNode): { memberId: string; leader: string } | undefined {
    const r = spawnSync('ip', ['netns', 'exec', node.ns, 'etcdctl', '--endpoints', 'http://127.0.0.1:2379', '--command-timeout', '2s', 'endpoint', 'status', '-w', 'json'], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    const s = (JSON.parse(r.stdout) as Array<{ Status: { header: { member_id: number | string }; leader: number | string } }>)[0];
    if (!s) return undefined;
    // etcdctl prints uint64 IDs as JSON numbers (beyond 2^53): read them as text
    const raw = r.stdout;
    const member = /"member_id":(\d+)/.exec(raw)?.[1] ?? String(s.Status.header.member_id);
    const leader = /"leader":(\d+)/.exec(raw)?.[1] ?? String(s.Status.leader);
    return { memberId: member, leader };
  }

  async startCluster(): Promise<void> {
    for (const n of this.nodes) this.startEtcd(n);
    await this.waitEtcdHealthy(this.nodes);
  }

  async waitEtcdHealthy(nodes: LabNode[], ms = 30_000): Promise<void> {
    await waitFor(ms, () => nodes.every((n) => {
      const s = this.etcdStatus(n);
      return s !== undefined && s.leader !== '0';
    }), 'etcd members healthy with a leader', 200);
  }

  /** The node whose etcd member leads the cluster now. */
  etcdLeader(): LabNode | undefined {
    const ids = new Map<string, LabNode>();
    let leader: string | undefined;
    for (const n of this.nodes) {
      const s = this.etcdStatus(n);
      if (!s) continue;
      ids.set(s.memberId, n);
      leader = s.leader;
    }
    return leader ? ids.get(leader) : undefined;
  }

  /** Moves etcd leadership to `to` (etcdctl move-leader, asked of the current leader). */
  async moveEtcdLeader(to: LabNode): Promise<void> {
    const current = this.etcdLeader();
    if (current === to) return;
    const target = this.etcdStatus(to)!.memberId;
    this.etcdctl(current!, 'move-leader', BigInt(target).toString(16));
    await waitFor(10_000, () => this.etcdLeader() === to, `etcd leader moved to ${to.name}`, 100);
  }

  configFor(node: LabNode, o: DaemonOptions): string {
    const file = path.join(node.dir, 'machine.yaml');
    fs.writeFileSync(
      file,
      [
        'version: v1alpha1',
        'machine:',
        '  type: controlplane',
        '  network:',
        `    hostname: ${node.host}`,
        '    interfaces:',
        '      - interface: eth0',
        '        vip:',
        `          ip: "${o.vip ?? VIP4}"`,
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Starts (or restarts) node's daemon; resolves when it is ready. */
  async startDaemon(node: LabNode, o: DaemonOptions = {}): Promise<void> {
    const config = this.configFor(node, o);
    const log = path.join(node.dir, 'daemon.log');
    fs.appendFileSync(log, `--- start ${new Date().toISOString()}\n`);
    const start = fs.statSync(log).size;
    node.daemon = this.spawn(
      [
        'ip', 'netns', 'exec', node.ns, process.execPath, BIN, 'daemon',
        '--state-dir', path.join(node.dir, 'state'),
        '--etc-dir', path.join(node.dir, 'etc'),
        '-c', config,
        '--log-level', 'debug',
        '--vip-lease-ttl', `${o.leaseTtl ?? 2}s`,
        ...(o.extraArgs ?? []),
      ],
      log,
      o.env,
    );
    const d = node.daemon;
    await waitFor(20_000, () => {
      if (d.child.exitCode !== null) throw new Error(`daemon ${node.name} exited ${d.child.exitCode}:\n${fs.readFileSync(log, 'utf8').slice(start)}`);
      return fs.readFileSync(log, 'utf8').slice(start).includes('"netcfg daemon ready"');
    }, `daemon ${node.name} ready`, 50);
  }

  daemonLog(node: LabNode): Array<Record<string, unknown>> {
    return readJsonLog(path.join(node.dir, 'daemon.log'));
  }

  /** `netcfg CMD … -o json` against node's daemon. */
  cli(node: LabNode, ...args: string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', node.ns, process.execPath, BIN, ...args, '--state-dir', path.join(node.dir, 'state')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  vipStatus(node: LabNode): Record<string, unknown> | undefined {
    const r = this.cli(node, 'get', 'vipstatus', '-o', 'json');
    if (r.status !== 0 || r.stdout.trim() === '') return undefined;
    // one VIP: one JSON document
    return (JSON.parse(r.stdout) as { spec: { detail: Record<string, unknown> } }).spec.detail;
  }

  private kernel(ns: string): RtnlClient {
    let k = this.kernels.get(ns);
    if (!k) {
      k = RtnlClient.open({ netns: ns });
      this.kernels.set(ns, k);
    }
    return k;
  }

  /** The nodes whose kernel holds `vip` now (netlink dumps from this process). */
  async holders(vip = VIP4, among: readonly LabNode[] = this.nodes): Promise<LabNode[]> {
    const out: LabNode[] = [];
    for (const n of among) {
      const addrs = await this.kernel(n.ns).listAddresses(vip.includes(':') ? 'inet6' : 'inet4');
      if (addrs.some((a) => addressOf(a) === vip)) out.push(n);
    }
    return out;
  }

  /** Waits until exactly one node holds the VIP; returns it. */
  owner(ms = 20_000, vip = VIP4, not?: LabNode, among: readonly LabNode[] = this.nodes): Promise<LabNode> {
    return waitFor(ms, async () => {
      const h = await this.holders(vip, among);
      return h.length === 1 && h[0] !== not ? h[0] : undefined;
    }, `one owner of ${vip}${not ? ` other than ${not.name}` : ''}`);
  }

  /**
   * Samples every node's addresses every `everyMs` until stop(): how many
   * samples, and the samples in which two or more nodes held the VIP.
   */
  sampler(vip = VIP4, everyMs = 10): { stop(): Promise<{ samples: number; doubles: string[][]; timeline: Array<{ t: number; holders: string[] }> }> } {
    let running = true;
    const doubles: string[][] = [];
    const timeline: Array<{ t: number; holders: string[] }> = [];
    let samples = 0;
    const loop = (async () => {
      let last = '';
      while (running) {
        const started = Date.now();
        let h: string[];
        try {
          h = (await this.holders(vip)).map((n) => n.name);
        } catch {
          // torn down under it (a failed test): stop sampling
          return;
        }
        samples++;
        if (h.length > 1) doubles.push(h);
        const key = h.join(',');
        if (key !== last) timeline.push({ t: started, holders: h });
        last = key;
        await sleep(Math.max(0, everyMs - (Date.now() - started)));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return { samples, doubles, timeline };
      },
    };
  }

  startNameServers(): void {
    for (const n of this.nodes) this.spawn(['ip', 'netns', 'exec', n.ns, process.execPath, NAME_SERVER, n.host, String(PORT)], path.join(n.dir, 'name-server.log'));
  }

  /** One TCP connection from the client to host:PORT: the name that answered, or undefined. */
  connect(host: string, timeoutMs = 1000): string | undefined {
    const code = `const s=require('net').connect({host:${JSON.stringify(host)},port:${PORT}});let d='';s.setTimeout(${timeoutMs},()=>process.exit(1));s.on('data',x=>d+=x);s.on('end',()=>{process.stdout.write(d.trim());process.exit(0)});s.on('error',()=>process.exit(1));`;
    const r = spawnSync('ip', ['netns', 'exec', this.client, process.execPath, '-e', code], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : undefined;
  }

  /** The client's neighbour entry for `ip`: its MAC (or undefined). */
  neighbour(ip: string): string | undefined {
    const list = JSON.parse(run('ip', ['-j', '-n', this.client, 'neigh', 'show', ip]) || '[]') as Array<{ lladdr?: string }>;
    return list[0]?.lladdr;
  }

  /** tcpdump on the client's eth0 (ARP and neighbour advertisements); `lines()` so far. */
  async tcpdump(): Promise<{ lines: () => string[]; stop: () => Promise<void> }> {
    const log = path.join(this.dir, `tcpdump-${Date.now()}.log`);
    const t = this.spawn(['ip', 'netns', 'exec', this.client, 'tcpdump', '-i', 'eth0', '-n', '-e', '-l', '-v', 'arp or (icmp6 and ip6[40] == 136)'], log);
    await waitFor(10_000, () => fs.readFileSync(log, 'utf8').includes('listening on'), 'tcpdump listening', 50);
    return { lines: () => fs.readFileSync(log, 'utf8').split('\n'), stop: () => this.kill(t, 'SIGTERM') };
  }

  /** Power loss: the daemon and etcd member SIGKILLed and both links down, at once. */
  async powerOff(node: LabNode): Promise<number> {
    const t = Date.now();
    node.daemon?.child.kill('SIGKILL');
    node.etcd?.child.kill('SIGKILL');
    spawnSync('ip', ['-n', node.ns, '-batch', '-'], { input: 'link set eth0 down\nlink set eth1 down\n' });
    await Promise.all([node.daemon?.exited, node.etcd?.exited]);
    return t;
  }

  /**
   * Brings a powered-off node back as a reboot would: its daemon starts first
   * (links still down, so the VIP it held is removed before anyone can see it),
   * then the links, then its etcd member.
   */
  async powerOn(node: LabNode, o: DaemonOptions = {}): Promise<void> {
    await this.startDaemon(node, o);
    await waitFor(5000, async () => !(await this.holders(o.vip ?? VIP4)).includes(node), `${node.name} dropped the stale VIP`);
    spawnSync('ip', ['-n', node.ns, '-batch', '-'], { input: 'link set eth0 up\nlink set eth1 up\n' });
    this.startEtcd(node);
    await this.waitEtcdHealthy(this.nodes);
  }

  logs(): string {
    const parts: string[] = [];
    for (const n of this.nodes) {
      for (const f of ['daemon.log', 'etcd.log']) {
        const p = path.join(n.dir, f);
        if (fs.existsSync(p)) parts.push(`=== ${n.name} ${f}\n${fs.readFileSync(p, 'utf8').split('\n').filter((l) => !l.includes('"reconciled"')).slice(-60).join('\n')}`);
      }
    }
    return parts.join('\n');
  }

  async teardown(): Promise<void> {
    for (const k of this.kernels.values()) k.close();
    this.kernels.clear();
    await Promise.all([...this.procs].map((t) => this.kill(t, 'SIGKILL')));
    for (const ns of this.namespaces.reverse()) run('ip', ['netns', 'del', ns], false);
    if (!process.env.NETCFG_KEEP_LAB) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
