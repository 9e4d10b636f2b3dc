// Cluster discovery end to end: `netcfg discovery-server` in one network
// namespace and netcfg daemons in others on one bridge. Members appear on every
// node, leave at once on a clean stop and after their TTL when killed; another
// cluster secret sees nothing and is not seen; the server's memory and
// snapshot hold no plaintext; TLS with a CA trusted only through machine.files;
// tinyproxy in between (and no_proxy going direct); tampered data dropped.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, call } from '../../src/daemon/client.js';
import { BIN, netcfg } from '../helpers/cli.js';
import { startDaemon, within, type TestDaemon } from '../helpers/daemon.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createLan, outputContains, type Lan, type LanProcess } from '../helpers/lan.js';
import { caBundleFiles } from '../helpers/machine-files.js';
import type { TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SERVER = '192.0.2.2';
const TTL = '4s';

const random32 = () => crypto.randomBytes(32).toString('base64');

interface NodeSpec {
  tag: string;
  hostname: string;
  addresses: string[];
  type?: 'controlplane' | 'worker';
  endpoint?: string;
  clusterId: string;
  secret: string;
  /** More YAML under machine: (env, files). */
  machine?: string;
  /** Also enable the (unimplemented) Kubernetes registry. */
  kubernetes?: boolean;
}

function nodeConfig(n: NodeSpec): string {
  return `version: v1alpha1
machine:
  type: ${n.type ?? 'worker'}
${n.machine ?? ''}  network:
    hostname: ${n.hostname}
    interfaces:
      - interface: eth0
        addresses: [${n.addresses.join(', ')}]
cluster:
  id: "${n.clusterId}"
  secret: "${n.secret}"
  discovery:
    enabled: true
    registries:
${n.kubernetes ? '      kubernetes: {}\n' : ''}      service:
        endpoint: ${n.endpoint ?? `http://${SERVER}:3000/`}
`;
}

interface Node {
  spec: NodeSpec;
  net: TestNet;
  uts: string;
  daemon?: TestDaemon;
}

function node(lan: Lan, spec: NodeSpec): Node {
  return { spec, net: lan.host(spec.tag), uts: lan.uts() };
}

async function start(n: Node, extra: string[] = []): Promise<TestDaemon> {
  n.daemon = await startDaemon(n.net, n.net.file(`${n.spec.tag}.yaml`, nodeConfig(n.spec)), ['--uts', n.uts, '--discovery-ttl', TTL, ...extra]);
  return n.daemon;
}

/** Members by node name, straight from the daemon's control socket (what `get members` prints). */
async function members(n: Node): Promise<Map<string, Json>> {
  const socket = await connect(n.daemon!.socket);
  if (!socket) throw new Error(`no daemon for ${n.spec.tag}`);
  try {
    const list = await call<Array<{ metadata: Json; spec: Json }>>(socket, { op: 'get', namespaces: ['cluster'], type: 'Member' });
    return new Map(list.map((r) => [r.metadata.id as string, r.spec]));
  } finally {
    socket.end();
  }
}

const names = async (n: Node) => [...(await members(n)).keys()].sort();

/** `netcfg get members -o json` as a user runs it. */
async function cliMembers(n: Node): Promise<Json[]> {
  const r = await netcfg(['get', 'members', '-o', 'json', ...n.daemon!.args]);
  expect(r.exitCode, r.stderr).toBe(0);
  return parseJsonStream<Json>(r.stdout);
}

function startServer(lan: Lan, server: TestNet, args: string[], node: string[] = []): LanProcess {
  return lan.spawn(server.ns, process.execPath, [...node, BIN, 'discovery-server', '--log-level', 'debug', ...args], { cwd: server.dir });
}

const logCount = (d: TestDaemon, msg: string, affiliate?: string) => d.log().filter((l) => l.msg === msg && (affiliate === undefined || l.affiliate === affiliate)).length;

describe('cluster discovery', () => {
  it('three nodes find each other through netcfg discovery-server; stop, kill and another secret', async () => {
    const lan = createLan();
    const server = lan.host('srv', [`${SERVER}/24`]);
    const snapshot = path.join(server.dir, 'state.binpb');
    let srv = startServer(lan, server, ['--addr', `${SERVER}:3000`, '--gc-interval', '1s', '--snapshot-path', snapshot, '--snapshot-interval', '1s'], ['--heapsnapshot-signal=SIGUSR2']);
    await outputContains(srv, 'discovery server listening');

    const clusterId = random32();
    const secret = random32();
    const tag = crypto.randomBytes(3).toString('hex');
    const nodes = ['a', 'b', 'c'].map((x, i) =>
      node(lan, {
        tag: x,
        hostname: `node-${x}-${tag}`,
        addresses: [`192.0.2.${11 + i}/24`, `198.51.100.${11 + i}/32`],
        type: i === 0 ? 'controlplane' : 'worker',
        clusterId,
        secret,
        // a runs host DNS with the members' names (Talos' resolveMemberNames)
        ...(i === 0 ? { machine: '  features:\n    hostDNS:\n      enabled: true\n      resolveMemberNames: true\n' } : {}),
      }),
    );
    const spawned = Date.now();
    await Promise.all(nodes.map((n) => start(n)));
    const ready = Date.now();
    const all = nodes.map((n) => n.spec.hostname).sort();
    const took = await within(10_000, async () => (await Promise.all(nodes.map(names))).every((m) => JSON.stringify(m) === JSON.stringify(all)), 'every node lists all three members');
    process.stderr.write(`discovery: all three members on every node ${Date.now() - ready} ms after the daemons were ready (${Date.now() - spawned} ms after they were started)\n`);
    expect(took).toBeLessThanOrEqual(2000);

    // what a user sees: hostnames, addresses, machine types, the OS string; the node IDs are the identities
    const identities = new Map<Node, string>();
    for (const n of nodes) {
      const id = await netcfg(['get', 'identities', '-o', 'json', ...n.daemon!.args]);
      identities.set(n, parseJsonStream<Json>(id.stdout)[0]!.spec.nodeId as string);
    }
    for (const n of nodes) {
      const list = await cliMembers(n);
      expect(list.map((m) => m.metadata.id).sort()).toEqual(all);
      for (const [i, other] of nodes.entries()) {
        const m = list.find((x) => x.metadata.id === other.spec.hostname)!;
        expect(m.spec).toMatchObject({ hostname: other.spec.hostname, addresses: [`192.0.2.${11 + i}`, `198.51.100.${11 + i}`], machineType: i === 0 ? 'controlplane' : 'worker', operatingSystem: expect.stringMatching(/^netcfg \(v\d+\.\d+\.\d+\)$/) });
        if (i === 0) expect(m.spec.controlPlane).toEqual({ apiServerPort: 6443 });
        expect(m.spec.nodeId).toBe(identities.get(other));
      }
    }
    // a's host DNS answers the other members' names with their addresses
    for (const [i, other] of nodes.entries()) {
      if (i === 0) continue;
      const answer = execFileSync('ip', ['netns', 'exec', nodes[0]!.net.ns, 'kdig', '+timeout=3', '+retry=0', '@127.0.0.53', other.spec.hostname, 'A', '+short'], { encoding: 'utf8' });
      expect(answer.trim().split('\n').sort(), other.spec.hostname).toEqual([`192.0.2.${11 + i}`, `198.51.100.${11 + i}`]);
    }
    const table = await netcfg(['get', 'members', ...nodes[0]!.daemon!.args]);
    expect(table.stdout.split('\n')[0]).toMatch(/^NODE\s+NAMESPACE\s+TYPE\s+ID\s+VERSION\s+HOSTNAME\s+MACHINE TYPE\s+OS\s+ADDRESSES$/);
    const raw = await netcfg(['get', 'affiliates', '--namespace', 'cluster-raw', '-o', 'json', ...nodes[0]!.daemon!.args]);
    expect(parseJsonStream<Json>(raw.stdout).map((r) => r.metadata.id as string).every((id) => id.startsWith('service/'))).toBe(true);
    // the cluster secret never reaches get or the logs
    const cfg = await netcfg(['get', 'discoveryconfigs', '-o', 'yaml', ...nodes[0]!.daemon!.args]);
    expect(cfg.stdout).toContain('clusterSecret: "[redacted]"');
    expect(cfg.stdout).not.toContain(secret);
    for (const n of nodes) expect(JSON.stringify(n.daemon!.log())).not.toContain(secret);

    // the server holds no plaintext: neither in its memory nor in its snapshot
    const secretAddrs = nodes.map((_, i) => `198.51.100.${11 + i}`);
    const plain = [...nodes.map((n) => n.spec.hostname), ...secretAddrs];
    await within(5000, () => fs.existsSync(snapshot) && fs.statSync(snapshot).size > 0, 'a snapshot');
    await new Promise((r) => setTimeout(r, 1200)); // one more interval: every node is in it
    const snap = fs.readFileSync(snapshot);
    for (const n of nodes) expect(snap.includes(Buffer.from(n.spec.hostname)), n.spec.hostname).toBe(false);
    for (const [i] of nodes.entries()) {
      for (const a of [`192.0.2.${11 + i}`, `198.51.100.${11 + i}`]) {
        expect(snap.includes(Buffer.from(a)), a).toBe(false);
        expect(snap.includes(Buffer.from(a.split('.').map(Number))), `${a} as bytes`).toBe(false);
      }
    }
    expect(snap.includes(Buffer.from(clusterId))).toBe(true); // cluster IDs are plaintext by design
    srv.process.kill('SIGUSR2');
    const heap = await within(20_000, () => fs.readdirSync(server.dir).some((f) => f.endsWith('.heapsnapshot')), 'a heap snapshot').then(async () => {
      const f = path.join(server.dir, fs.readdirSync(server.dir).find((x) => x.endsWith('.heapsnapshot'))!);
      let size = -1;
      await within(30_000, () => {
        const s = fs.statSync(f).size;
        const stable = s > 0 && s === size;
        size = s;
        return stable;
      }, 'the heap snapshot written');
      return fs.readFileSync(f, 'utf8');
    });
    expect(heap).toContain('discovery'); // it is the server's heap
    for (const p of plain) expect(heap.includes(p), `${p} in the server's memory`).toBe(false);

    // a clean stop leaves at once (well before the 4 s TTL could expire it)
    const [a, b, c] = nodes as [Node, Node, Node];
    const cId = (await members(a)).get(c.spec.hostname)!.nodeId as string;
    await c.daemon!.stop();
    const left = await within(1500, async () => !(await names(a)).includes(c.spec.hostname) && !(await names(b)).includes(c.spec.hostname), 'c gone from a and b');
    process.stderr.write(`discovery: a cleanly stopped node left the others within ${left} ms\n`);

    // it comes back with the same identity
    await start(c);
    await within(5000, async () => (await members(a)).get(c.spec.hostname)?.nodeId === cId, 'c back, same node ID');

    // SIGKILL: no goodbye, the others drop it once its TTL has passed (and not before)
    c.daemon!.process.kill('SIGKILL');
    const killed = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await names(a)).toContain(c.spec.hostname);
    await within(8000, async () => !(await names(a)).includes(c.spec.hostname) && !(await names(b)).includes(c.spec.hostname), 'c expired');
    const expired = Date.now() - killed;
    process.stderr.write(`discovery: a killed node expired from the others after ${expired} ms (TTL ${TTL})\n`);
    expect(expired).toBeGreaterThanOrEqual(1500);

    // another secret, same cluster ID: sees none of them and is not seen; the undecryptable data is logged once per affiliate
    const d = node(lan, { tag: 'd', hostname: `node-d-${tag}`, addresses: ['192.0.2.14/24'], clusterId, secret: random32() });
    await start(d);
    await within(5000, () => logCount(d.daemon!, 'registered with the discovery service') > 0, 'd registered');
    await within(5000, () => logCount(a.daemon!, 'dropped affiliate data that does not decrypt or decode (another cluster secret, or tampered)') > 0, 'a saw d');
    await new Promise((r) => setTimeout(r, 2500)); // a few refreshes
    expect(await names(d)).toEqual([d.spec.hostname]);
    expect(await names(a)).toEqual([a.spec.hostname, b.spec.hostname].sort());
    expect(await names(b)).toEqual([a.spec.hostname, b.spec.hostname].sort());
    const dropped = 'dropped affiliate data that does not decrypt or decode (another cluster secret, or tampered)';
    expect(d.daemon!.log().filter((l) => l.msg === dropped).length).toBe(2); // a and b, once each despite their refreshes
    expect(a.daemon!.log().filter((l) => l.msg === dropped).length).toBe(1);
    expect(d.daemon!.process.exitCode).toBeNull();

    // the server restarts from its snapshot
    await srv.stop();
    srv = startServer(lan, server, ['--addr', `${SERVER}:3000`, '--gc-interval', '1s', '--snapshot-path', snapshot]);
    await outputContains(srv, 'snapshot loaded');
    const loaded = srv
      .output()
      .split('\n')
      .filter((l) => l.includes('snapshot loaded'))
      .map((l) => JSON.parse(l) as Json)[0]!;
    expect(loaded.affiliates).toBeGreaterThanOrEqual(3);
    await within(8000, async () => (await names(a)).includes(b.spec.hostname), 'a and b still see each other');
    // the watches reconnected (fresh snapshot): a change after the restart still reaches a at once
    await b.daemon!.stop();
    await within(3000, async () => !(await names(a)).includes(b.spec.hostname), 'b gone from a after the server restart');
  }, 180_000);

  it('TLS: trusts the server only through the CA that machine.files appends; h2c on the same port', async () => {
    const lan = createLan();
    const server = lan.host('srv', [`${SERVER}/24`]);
    const pki = (name: string, ...args: string[]) => execFileSync('openssl', args, { cwd: server.dir, stdio: 'pipe' }) && path.join(server.dir, name);
    pki('ca.pem', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=netcfg test CA');
    pki('srv.csr', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=discovery');
    fs.writeFileSync(path.join(server.dir, 'ext.cnf'), `subjectAltName=IP:${SERVER}\n`);
    pki('srv.pem', 'x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'ext.cnf');
    const srv = startServer(lan, server, ['--addr', `${SERVER}:3443`, '--tls-cert', path.join(server.dir, 'srv.pem'), '--tls-key', path.join(server.dir, 'srv.key')]);
    await outputContains(srv, 'discovery server listening');
    const ca = fs.readFileSync(path.join(server.dir, 'ca.pem'), 'utf8');
    const files = caBundleFiles(ca);
    const clusterId = random32();
    const secret = random32();
    const https = `https://${SERVER}:3443/`;
    const a = node(lan, { tag: 'a', hostname: 'tls-a', addresses: ['192.0.2.11/24'], endpoint: https, clusterId, secret, machine: files });
    const b = node(lan, { tag: 'b', hostname: 'tls-b', addresses: ['192.0.2.12/24'], endpoint: https, clusterId, secret, machine: files });
    const untrusting = node(lan, { tag: 'c', hostname: 'tls-c', addresses: ['192.0.2.13/24'], endpoint: https, clusterId, secret });
    const cleartext = node(lan, { tag: 'd', hostname: 'h2c-d', addresses: ['192.0.2.14/24'], endpoint: `http://${SERVER}:3443/`, clusterId, secret });
    await Promise.all([a, b, untrusting, cleartext].map((n) => start(n)));
    const want = ['h2c-d', 'tls-a', 'tls-b'];
    await within(10_000, async () => (await Promise.all([a, b, cleartext].map(names))).every((m) => JSON.stringify(m) === JSON.stringify(want)), 'tls-a, tls-b and h2c-d see each other');
    // (a first attempt may fail earlier for another reason: the client starts while the node's address is still being added)
    const unreachable = (d: typeof untrusting, why: RegExp) => d.daemon!.log().some((l) => l.msg === 'discovery service unreachable; retrying with backoff' && why.test(String(l.err)));
    await within(10_000, () => unreachable(untrusting, /certificate/i), 'tls-c fails on the certificate');
    expect(await names(untrusting)).toEqual(['tls-c']);
    expect(await names(a)).toEqual(want);
  }, 180_000);

  it('corporate proxy: through tinyproxy only (machine.env and talos.environment=), direct with no_proxy', async () => {
    const lan = createLan();
    // the server: 198.18.0.2 behind the proxy (no route from the nodes), 192.0.2.2 on the nodes' LAN
    const server = lan.host('srv', ['198.18.0.2/24'], 'br1');
    lan.plug(server, 'eth1', 'br0', [`${SERVER}/24`]);
    const proxy = lan.host('px', ['192.0.2.3/24']);
    lan.plug(proxy, 'eth1', 'br1', ['198.18.0.3/24']);
    const srv = startServer(lan, server, ['--addr', '0.0.0.0:3000']);
    await outputContains(srv, 'discovery server listening');
    fs.chmodSync(proxy.dir, 0o755);
    const conf = proxy.file('tinyproxy.conf', ['User nobody', 'Group nogroup', 'Port 8888', 'Listen 192.0.2.3', 'Timeout 600', 'LogLevel Connect', 'Allow 192.0.2.11', 'Allow 192.0.2.12', 'ConnectPort 3000', 'MaxClients 50', ''].join('\n'));
    const tinyproxy = lan.spawn(proxy.ns, 'tinyproxy', ['-d', '-c', conf]);
    await outputContains(tinyproxy, 'Reloading config file finished');

    const clusterId = random32();
    const secret = random32();
    const behind = 'http://198.18.0.2:3000/';
    const env = (vars: Record<string, string>) => `  env:\n${Object.entries(vars).map(([k, v]) => `    ${k}: "${v}"\n`).join('')}`;
    const a = node(lan, { tag: 'a', hostname: 'px-a', addresses: ['192.0.2.11/24'], endpoint: behind, clusterId, secret, machine: env({ http_proxy: 'http://192.0.2.3:8888' }) });
    const b = node(lan, { tag: 'b', hostname: 'px-b', addresses: ['192.0.2.12/24'], endpoint: behind, clusterId, secret });
    // direct, and it would be refused by the proxy (not an allowed client): only no_proxy gets it through
    const c = node(lan, { tag: 'c', hostname: 'px-c', addresses: ['192.0.2.13/24'], endpoint: `http://${SERVER}:3000/`, clusterId, secret, machine: env({ http_proxy: 'http://192.0.2.3:8888', no_proxy: `localhost,${SERVER}` }) });
    const e = node(lan, { tag: 'e', hostname: 'px-e', addresses: ['192.0.2.15/24'], endpoint: `http://${SERVER}:3000/`, clusterId, secret, machine: env({ http_proxy: 'http://192.0.2.3:8888' }) });
    const cmdline = b.net.file('cmdline', 'console=ttyS0 talos.environment=http_proxy=http://192.0.2.3:8888 quiet\n');
    await Promise.all([start(a), start(b, ['--cmdline', cmdline]), start(c), start(e)]);
    const want = ['px-a', 'px-b', 'px-c'];
    await within(10_000, async () => (await Promise.all([a, b, c].map(names))).every((m) => JSON.stringify(m) === JSON.stringify(want)), 'a, b (via the proxy) and c (direct) see each other');
    // the server saw a and b come from the proxy, c from itself
    const seenFrom = async (n: Node) => {
      const socket = (await connect(n.daemon!.socket))!;
      try {
        return (await call<Array<{ spec: Json }>>(socket, { op: 'get', namespaces: ['cluster'], type: 'AddressStatus' }))[0]?.spec.address as string | undefined;
      } finally {
        socket.end();
      }
    };
    expect(await seenFrom(a)).toBe('198.18.0.3/32');
    expect(await seenFrom(b)).toBe('198.18.0.3/32');
    expect(await seenFrom(c)).toBe('192.0.2.13/32');
    expect(tinyproxy.output()).toMatch(/CONNECT 198\.18\.0\.2:3000/);
    // the watch can show the others before a node's own update is answered: wait for its 'registered' line
    const registered = (n: Node) => n.daemon!.log().find((l) => l.msg === 'registered with the discovery service');
    await within(10_000, () => registered(a) !== undefined && registered(c) !== undefined, 'a and c registered');
    expect(registered(a)).toMatchObject({ via: 'proxy 192.0.2.3:8888' });
    expect(registered(c)).toMatchObject({ via: 'direct' });
    // without no_proxy the same endpoint goes through the proxy, which refuses it
    await within(10_000, () => e.daemon!.log().some((l) => l.msg === 'discovery service unreachable; retrying with backoff' && /proxy 192\.0\.2\.3:8888 refused CONNECT/.test(String(l.err))), 'e refused by the proxy');
    expect(await names(e)).toEqual(['px-e']);
    expect(await names(a)).toEqual(want);
  }, 180_000);

  it('drops garbage and tampered data for some affiliates, keeps the others, stays up', async () => {
    const lan = createLan();
    const server = lan.host('srv', [`${SERVER}/24`]);
    const srv = startServer(lan, server, ['--addr', `${SERVER}:3000`]);
    await outputContains(srv, 'discovery server listening');
    const clusterId = random32();
    const secret = random32();
    const a = node(lan, { tag: 'a', hostname: 'keep-a', addresses: ['192.0.2.11/24'], clusterId, secret });
    const b = node(lan, { tag: 'b', hostname: 'keep-b', addresses: ['192.0.2.12/24'], clusterId, secret });
    await Promise.all([start(a, ['--discovery-ttl', '30s']), start(b, ['--discovery-ttl', '30s'])]);
    await within(10_000, async () => (await names(a)).length === 2, 'a sees b');
    const bId = (await members(a)).get('keep-b')!.nodeId as string;
    const inject = () =>
      new Promise<Json>((resolve, reject) => {
        const p = lan.spawn(server.ns, process.execPath, [path.resolve(path.dirname(BIN), '../test/fixtures/discovery-inject.mjs'), `${SERVER}:3000`, clusterId, secret, bId]);
        void p.exited.then((code) => (code === 0 ? resolve(JSON.parse(p.output().trim().split('\n').at(-1)!) as Json) : reject(new Error(p.output()))));
      });
    const written = await inject();
    await within(5000, async () => (await names(a)).includes('injected-ok'), 'the good injected affiliate');
    await inject(); // the same junk again: no new log lines
    await new Promise((r) => setTimeout(r, 1000));
    expect(await names(a)).toEqual(['injected-ok', 'keep-a', 'keep-b']);
    const injected = (await members(a)).get('injected-ok')!;
    expect(injected.addresses).toEqual(['203.0.113.7']);
    const raw = await netcfg(['get', 'affiliates', '-o', 'json', ...a.daemon!.args]);
    const ok = parseJsonStream<Json>(raw.stdout).find((r) => r.metadata.id === written.ok)!;
    expect(ok.spec.kubespan.endpoints).toEqual([]); // its junk endpoints dropped
    const dropped = a.daemon!.log().filter((l) => l.msg === 'dropped affiliate data that does not decrypt or decode (another cluster secret, or tampered)');
    const byId = new Map<string, number>();
    for (const l of dropped) byId.set(l.affiliate as string, (byId.get(l.affiliate as string) ?? 0) + 1);
    for (const id of [written.garbage, written.tampered, written.short, written.notproto]) expect(byId.get(id as string), id as string).toBe(1);
    expect(byId.get(bId)).toBeGreaterThanOrEqual(1); // b's own record was garbage for a moment: a kept b meanwhile
    expect(a.daemon!.process.exitCode).toBeNull();
    const status = await netcfg(['status', '-o', 'json', ...a.daemon!.args]);
    expect(status.exitCode, status.stderr).not.toBe(2);
  }, 180_000);

  it('reset-identity: the node leaves under its old ID and joins under a new one; the Kubernetes registry is said once', async () => {
    const lan = createLan();
    const server = lan.host('srv', [`${SERVER}/24`]);
    const srv = startServer(lan, server, ['--addr', `${SERVER}:3000`]);
    await outputContains(srv, 'discovery server listening');
    const clusterId = random32();
    const secret = random32();
    const a = node(lan, { tag: 'a', hostname: 'id-a', addresses: ['192.0.2.11/24'], clusterId, secret, kubernetes: true });
    const b = node(lan, { tag: 'b', hostname: 'id-b', addresses: ['192.0.2.12/24'], clusterId, secret });
    await Promise.all([start(a, ['--discovery-ttl', '30s']), start(b, ['--discovery-ttl', '30s'])]);
    await within(10_000, async () => (await names(b)).length === 2, 'b sees a');
    const before = (await members(b)).get('id-a')!.nodeId as string;
    const r = await netcfg(['reset-identity', ...a.daemon!.args]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [, previous, next] = /node identity reset: (\S+) → (\S+)/.exec(r.stdout)!;
    expect(previous).toBe(before);
    expect(next).not.toBe(before);
    expect(fs.readFileSync(path.join(a.net.stateDir, `netns-${a.net.ns}.node-identity.yaml`), 'utf8')).toBe(`nodeId: ${next}\n`);
    // b drops the old affiliate at once (deleted, not left to its 30 s TTL) and sees the new one
    await within(3000, async () => {
      const m = await members(b);
      const socket = (await connect(b.daemon!.socket))!;
      const ids = (await call<Array<{ metadata: Json }>>(socket, { op: 'get', namespaces: ['cluster'], type: 'Affiliate' }).finally(() => socket.end())).map((x) => x.metadata.id);
      return m.get('id-a')?.nodeId === next && !ids.includes(previous);
    }, 'b sees a under its new ID only');
    // the Kubernetes registry: accepted, not run, said once in the log and by get
    const note = 'the Kubernetes discovery registry is enabled in the config but not implemented by netcfg (it is deprecated upstream); only the discovery service registry is used';
    expect(a.daemon!.log().filter((l) => l.msg === note).length).toBe(1);
    expect(b.daemon!.log().filter((l) => l.msg === note).length).toBe(0);
    const got = await netcfg(['get', 'members', ...a.daemon!.args]);
    expect(got.stderr).toContain(note);
    expect((await netcfg(['get', 'members', ...b.daemon!.args])).stderr).not.toContain(note);
    // without a daemon, reset-identity removes the file; the next daemon makes a new ID
    await a.daemon!.stop();
    const offline = await netcfg(['reset-identity', ...a.daemon!.args]);
    expect(offline.stdout).toContain(`node identity ${next} removed`);
    await start(a, ['--discovery-ttl', '30s']);
    await within(5000, async () => ![undefined, next].includes((await members(b)).get('id-a')?.nodeId as string | undefined), 'a back with a third ID');
  }, 180_000);

  it('loads no gRPC or protobuf code unless discovery is enabled', () => {
    const dist = path.resolve(path.dirname(BIN), '../dist');
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `for (const f of ['log.js', 'daemon/daemon.js', 'engine.js']) await import(${JSON.stringify(dist)} + '/' + f); const { createRequire } = await import('node:module'); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`],
      { encoding: 'utf8' },
    );
    const loaded = JSON.parse(out) as string[];
    expect(loaded.some((f) => f.includes('pino'))).toBe(true); // the check sees CommonJS modules loaded from ES modules
    expect(loaded.filter((f) => f.includes('@grpc') || f.includes('protobufjs'))).toEqual([]);
  }, 180_000);

  it('follows a redirect to another server; metrics on --metrics-addr', async () => {
    const lan = createLan();
    const server = lan.host('srv', [`${SERVER}/24`]);
    const second = startServer(lan, server, ['--addr', `${SERVER}:3001`, '--metrics-addr', `${SERVER}:2122`]);
    const first = startServer(lan, server, ['--addr', `${SERVER}:3000`, '--redirect-endpoint', `${SERVER}:3001`]);
    await Promise.all([outputContains(first, 'discovery server listening'), outputContains(second, 'discovery server listening')]);
    const clusterId = random32();
    const secret = random32();
    const a = node(lan, { tag: 'a', hostname: 'rd-a', addresses: ['192.0.2.11/24'], clusterId, secret });
    const b = node(lan, { tag: 'b', hostname: 'rd-b', addresses: ['192.0.2.12/24'], clusterId, secret });
    await Promise.all([start(a), start(b)]);
    await within(10_000, async () => (await names(a)).length === 2 && (await names(b)).length === 2, 'a and b see each other');
    expect(a.daemon!.log().some((l) => l.msg === 'discovery service redirects: reconnecting' && l.endpoint === `${SERVER}:3001`)).toBe(true);
    const metrics = execFileSync('ip', ['netns', 'exec', server.ns, process.execPath, '-e', `fetch('http://${SERVER}:2122/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`], { encoding: 'utf8' });
    expect(metrics).toMatch(/^discovery_state_affiliates 2$/m);
    expect(metrics).toMatch(/^discovery_server_hello_requests_total\{client_version="v\d+\.\d+"\} [1-9]/m);
  }, 180_000);
});
