// KubeSpan end to end on a real kernel (the lane's VM: WireGuard and
// nf_tables): `netcfg discovery-server` and netcfg daemons with KubeSpan in
// namespaces on one bridge.
//
//  - a, b and c build a full mesh: every node pings the others' KubeSpan
//    addresses; traffic to their node addresses goes through `kubespan`
//    (transfer counters grow; the rules and table 180 as the spec says);
//    `wg show` matches `get kubespanpeerstatuses`.
//  - Endpoint cycling: a and b announce an unreachable endpoint first and the
//    working one second, so each first tries the dead one and comes up on the
//    working one, which the others then list (get kubespanendpoints).
//  - Harvesting: c announces only the unreachable endpoint; a and b learn its
//    real one from its handshakes and report it to discovery, so b's peer
//    spec of c lists an endpoint c never announced.
//  - d's WireGuard traffic is blocked: it never comes up. allowDownPeerBypass on
//    a sends traffic to d's address directly; without it, it goes nowhere.
//  - d leaves the cluster (clean stop): it is gone from every peer list.
//  - KubeSpan disabled on a: the link, rules, table-180 routes and nftables
//    table netcfg made are gone; `nft list ruleset` and `ip rule` are what they
//    were before the daemon started (a foreign table and rule included).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, netcfg } from '../helpers/cli.js';
import { startDaemon, within, type TestDaemon } from '../helpers/daemon.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createLan, outputContains, type Lan } from '../helpers/lan.js';
import type { TestNet } from '../helpers/netns.js';
import { echoes } from '../helpers/ping.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SERVER = '192.0.2.2';
/** On the LAN, but nobody has it: WireGuard's packets to it go nowhere. */
const DEAD = '192.0.2.250:51820';
const INTERVAL = '2s';
/** The lane's TCG runs node many times slower than bare metal: waits are long, the checks do not change. */
const SLOW = 3;

const execFileAsync = promisify(execFile);
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);
/** Every echo comes back (each waited for on its own: see test/helpers/ping.ts). */
const pings = (ns: string, ip: string, count = 2) => echoes(ns, ip, count) === count;

interface Node {
  tag: string;
  hostname: string;
  /** The LAN address (192.0.2.1x) and a node address reachable only through KubeSpan (198.51.100.1x). */
  lan: string;
  extra: string;
  net: TestNet;
  uts: string;
  daemon?: TestDaemon;
  file?: string;
}

interface KubeSpanOptions {
  enabled?: boolean;
  bypass?: boolean;
  /** What the node announces (the filters drop its addresses): the endpoints in order. */
  announce: string[];
}

function config(n: Node, clusterId: string, secret: string, k: KubeSpanOptions): string {
  return `version: v1alpha1
machine:
  type: worker
  network:
    hostname: ${n.hostname}
    interfaces:
      - interface: eth0
        addresses: [${n.lan}/24, ${n.extra}/32]
        routes:
          - network: 0.0.0.0/0
            gateway: 192.0.2.1
    kubespan:
      enabled: ${k.enabled ?? true}
      allowDownPeerBypass: ${k.bypass ?? false}
      harvestExtraEndpoints: true
      filters:
        endpoints: ["!0.0.0.0/0", "!::/0"]
cluster:
  id: "${clusterId}"
  secret: "${secret}"
  discovery:
    enabled: true
    registries:
      service:
        endpoint: http://${SERVER}:3000/
---
apiVersion: v1alpha1
kind: KubeSpanEndpointsConfig
extraAnnouncedEndpoints: [${k.announce.map((e) => `"${e}"`).join(', ')}]
`;
}

const TYPES: Record<string, string> = {
  kubespanidentities: 'KubeSpanIdentity',
  kubespanpeerspecs: 'KubeSpanPeerSpec',
  kubespanendpoints: 'KubeSpanEndpoint',
  kubespanpeerstatuses: 'KubeSpanPeerStatus',
};

/** The daemon's answer to `get` over its control socket (what `get -o json` prints): a node process per query is far too slow under the lane's TCG. */
function daemonGet(n: Node, kind: string): Promise<Json[]> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(n.daemon!.socket);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      socket.end();
      const res = JSON.parse(buffer.slice(0, nl)) as { ok: boolean; result?: Json[]; error?: { message: string } };
      if (res.ok) resolve(res.result!);
      else reject(new Error(`get ${kind}: ${res.error!.message}`));
    });
    socket.write(`${JSON.stringify({ op: 'get', namespaces: ['kubespan'], type: TYPES[kind] })}\n`);
  });
}
const get = daemonGet;

/** Peer statuses by label. */
async function statuses(n: Node): Promise<Map<string, Json>> {
  return new Map((await get(n, 'kubespanpeerstatuses')).map((r) => [r.spec.label as string, { id: r.metadata.id, ...r.spec }]));
}

/** What a user would look at when a ping between two nodes fails: ping itself, both ends' WireGuard, route and statuses, and the daemons' last words. */
async function why(n: Node, o: Node, ip: string): Promise<string> {
  const run = (ns: string, ...args: string[]) => {
    try {
      return inNs(ns, ...args);
    } catch (err) {
      return `${args.join(' ')}: ${(err as Error).message}`;
    }
  };
  const lines = [`at ${new Date().toISOString()}`, run(n.net.ns, 'ping', '-c', '3', '-i', '0.2', '-W', '5', ip), run(n.net.ns, 'ip', 'route', 'get', ip)];
  for (const x of [n, o]) {
    lines.push(`--- ${x.tag}: wg show kubespan dump`, run(x.net.ns, 'wg', 'show', 'kubespan', 'dump'));
    lines.push(`--- ${x.tag}: statuses`, JSON.stringify([...(await statuses(x)).values()]));
    const log = x.daemon!.log().filter((l) => /KubeSpan|kubespan|link|wireguard|nft/i.test(String(l.msg)));
    lines.push(`--- ${x.tag}: last daemon lines`, ...log.slice(-15).map((l) => JSON.stringify(l)));
  }
  return lines.join('\n');
}

interface WgPeer {
  publicKey: string;
  endpoint: string;
  allowedIPs: string;
  handshake: number;
  rx: number;
  tx: number;
}

function wgShow(n: Node): WgPeer[] {
  const [, ...peers] = inNs(n.net.ns, 'wg', 'show', 'kubespan', 'dump').trim().split('\n');
  return peers.map((l) => {
    const f = l.split('\t');
    return { publicKey: f[0]!, endpoint: f[2] === '(none)' ? '' : f[2]!, allowedIPs: f[3]!, handshake: Number(f[4]), rx: Number(f[5]), tx: Number(f[6]) };
  });
}

/** Whether the routed set (nft's interval set) holds an address. */
const routed = (ns: string, ip: string) => {
  try {
    inNs(ns, 'nft', 'get', 'element', 'inet', 'netcfg_kubespan', ip.includes(':') ? 'kubespan_targets_ipv6' : 'kubespan_targets_ipv4', `{ ${ip} }`);
    return true;
  } catch {
    return false;
  }
};

const nftRuleset = (ns: string) => {
  const parsed = JSON.parse(inNs(ns, 'nft', '-j', 'list', 'ruleset')) as { nftables: Json[] };
  return JSON.stringify(parsed.nftables.filter((x) => !('metainfo' in x)));
};
const ipRules = (ns: string) => `${sh('ip', ['-n', ns, '-4', 'rule'])}${sh('ip', ['-n', ns, '-6', 'rule'])}`;

describe('KubeSpan', () => {
  it('a mesh from discovery: pings, node addresses through the tunnel, cycling, harvesting, bypass, leaving, disabling', async () => {
    const lan: Lan = createLan();
    const server = lan.host('srv', [`${SERVER}/24`]);
    const srv = lan.spawn(server.ns, process.execPath, [BIN, 'discovery-server', '--addr', `${SERVER}:3000`, '--gc-interval', '1s'], { cwd: server.dir });
    const t0 = Date.now();
    const took = (what: string) => process.stderr.write(`kubespan: ${what} after ${Date.now() - t0} ms\n`);
    // under the lane's TCG a node process takes many seconds to start
    await outputContains(srv, 'discovery server listening', 90_000);
    took('discovery server listening');
    const clusterId = crypto.randomBytes(32).toString('base64');
    const secret = crypto.randomBytes(32).toString('base64');
    const tag = crypto.randomBytes(2).toString('hex');
    const nodes = ['a', 'b', 'c', 'd'].map((t, i): Node => ({ tag: t, hostname: `ks-${t}-${tag}`, lan: `192.0.2.${11 + i}`, extra: `198.51.100.${11 + i}`, net: lan.host(t), uts: lan.uts() }));
    const [a, b, c, d] = nodes as [Node, Node, Node, Node];
    const announce = (n: Node) => (n === c || n === d ? [DEAD] : [DEAD, `${n.lan}:51820`]);
    const options = (n: Node, over: Partial<KubeSpanOptions> = {}): KubeSpanOptions => ({ announce: announce(n), bypass: n === d, ...over });

    // what a's namespace holds before netcfg: someone else's nftables table and a rule at KubeSpan's priority
    inNs(a.net.ns, 'nft', 'add', 'table', 'ip', 'theirs');
    inNs(a.net.ns, 'nft', 'add', 'chain', 'ip', 'theirs', 'out', '{ type filter hook output priority 0; policy accept; }');
    sh('ip', ['-n', a.net.ns, 'rule', 'add', 'priority', '32500', 'fwmark', '0x99', 'lookup', '99']);
    const before = { nft: nftRuleset(a.net.ns), rules: ipRules(a.net.ns) };
    // d can reach the others, but no WireGuard packet gets in or out
    inNs(d.net.ns, 'nft', 'add', 'table', 'inet', 'block');
    inNs(d.net.ns, 'nft', 'add', 'chain', 'inet', 'block', 'in', '{ type filter hook input priority -10; policy accept; }');
    inNs(d.net.ns, 'nft', 'add', 'chain', 'inet', 'block', 'out', '{ type filter hook output priority -10; policy accept; }');
    inNs(d.net.ns, 'nft', 'add', 'rule', 'inet', 'block', 'in', 'udp', 'dport', '51820', 'drop');
    inNs(d.net.ns, 'nft', 'add', 'rule', 'inet', 'block', 'out', 'udp', 'sport', '51820', 'drop');

    const started = Date.now();
    await Promise.all(
      nodes.map(async (n) => {
        n.file = n.net.file(`${n.tag}.yaml`, config(n, clusterId, secret, options(n)));
        n.daemon = await startDaemon(n.net, n.file, ['--uts', n.uts, '--kubespan-interval', INTERVAL], { readyMs: 300_000 });
      }),
    );
    took('four daemons ready');
    const mesh = [a, b, c];
    const label = new Map(nodes.map((n) => [n, n.hostname]));

    // identities: a ULA /128 in the cluster's /64 and a public key, the private key never shown
    const identities = new Map<Node, Json>();
    for (const n of nodes) identities.set(n, (await get(n, 'kubespanidentities'))[0]!.spec);
    const ula = (n: Node) => (identities.get(n)!.address as string).replace(/\/128$/, '');
    expect(new Set(nodes.map((n) => identities.get(n)!.subnet)).size).toBe(1);

    // the mesh comes up: every pair of a, b, c is up on both sides. Traffic, as a cluster has: WireGuard starts a
    // handshake when it has a packet to send, not when its endpoint changes (else the next keepalive, 25 s later)
    let lastNudge = 0;
    await within(
      SLOW * 90_000,
      async () => {
        if (Date.now() - lastNudge > 2000) {
          lastNudge = Date.now();
          const nudges = mesh.flatMap((n) => mesh.filter((o) => o !== n).map((o) => execFileAsync('ip', ['netns', 'exec', n.net.ns, 'ping', '-c', '1', '-W', '1', ula(o)]).catch(() => undefined)));
          await Promise.all(nudges);
        }
        for (const n of mesh) {
          const s = await statuses(n);
          for (const o of mesh) if (o !== n && s.get(label.get(o)!)?.state !== 'up') return false;
        }
        return true;
      },
      'a, b and c up with each other',
    );
    process.stderr.write(`kubespan: mesh up ${Date.now() - started} ms after the daemons were started\n`);
    took('mesh up');

    // every node pings every other node's KubeSpan address
    for (const n of mesh) for (const o of mesh) if (o !== n && !pings(n.net.ns, ula(o))) expect.fail(`${n.tag} → ${o.tag} ${ula(o)} did not answer:\n${await why(n, o, ula(o))}`);

    took('pings');
    // the spec's routing: rule, table 180, link, address
    const rules4 = sh('ip', ['-n', a.net.ns, '-4', 'rule']);
    expect(rules4).toMatch(/^32500:\s+from all fwmark 0x40\/0x60 lookup 180 proto static/m);
    expect(rules4).toMatch(/^32500:\s+from all fwmark 0x99 lookup 99/m);
    expect(sh('ip', ['-n', a.net.ns, '-6', 'rule'])).toMatch(/^32500:\s+from all fwmark 0x40\/0x60 lookup 180 proto static/m);
    expect(sh('ip', ['-n', a.net.ns, '-4', 'route', 'show', 'table', '180']).trim()).toBe('default dev kubespan proto static metric 1 mtu 1420');
    expect(sh('ip', ['-n', a.net.ns, '-6', 'route', 'show', 'table', '180'])).toMatch(/^default dev kubespan proto static metric 1 mtu 1420/m);
    const link = a.net.json<Json[]>('-d', 'link', 'show', 'kubespan')[0]!;
    expect([link.linkinfo.info_kind, link.mtu]).toEqual(['wireguard', 1420]);
    expect(a.net.json<Json[]>('addr', 'show', 'kubespan')[0]!.addr_info.map((x: Json) => `${x.local}/${x.prefixlen}`)).toEqual([`${ula(a)}/64`]);
    const show = inNs(a.net.ns, 'wg', 'show', 'kubespan');
    expect(show).toMatch(/listening port: 51820/);
    expect(show).toMatch(/fwmark: 0x20/);
    expect(show).toMatch(/persistent keepalive: every 25 seconds/);
    expect(show).toMatch(/preshared key: \(hidden\)/);
    for (const o of [b, c, d]) for (const ip of [o.lan, o.extra]) expect(routed(a.net.ns, ip), ip).toBe(true);
    for (const ip of [a.lan, ula(b)]) expect(routed(a.net.ns, ip), ip).toBe(false);
    expect(inNs(a.net.ns, 'nft', 'list', 'table', 'inet', 'netcfg_kubespan')).toContain('tcp option maxseg size set 1368');

    // traffic to the other nodes' node addresses goes through kubespan: the peer's transfer counters grow
    const keyOf = (n: Node) => identities.get(n)!.publicKey as string;
    for (const o of [b, c]) {
      for (const ip of [o.lan, o.extra]) {
        const peerBefore = wgShow(a).find((p) => p.publicKey === keyOf(o))!;
        expect(pings(a.net.ns, ip, 3), `a → ${o.tag} ${ip}`).toBe(true);
        const peerAfter = wgShow(a).find((p) => p.publicKey === keyOf(o))!;
        expect(peerAfter.tx - peerBefore.tx, `a → ${ip} through kubespan`).toBeGreaterThanOrEqual(3 * 84);
        expect(peerAfter.rx - peerBefore.rx, `${ip} → a through kubespan`).toBeGreaterThanOrEqual(3 * 84);
      }
    }

    // wg show and get kubespanpeerstatuses agree (counters: the status is read before wg show and again after the next tick)
    const first = await statuses(a);
    const wg = wgShow(a);
    const caughtUp = (st: Map<string, Json>) => wg.every((p) => [...st.values()].some((x) => x.id === p.publicKey && x.receiveBytes >= p.rx && x.transmitBytes >= p.tx));
    await within(SLOW * 10_000, async () => caughtUp(await statuses(a)), 'the statuses read after wg show');
    // the second read is the CLI's, as a user runs it; with it, every KubeSpan kind through the CLI (in parallel: each
    // node process is slow under TCG)
    const cli = await Promise.all(
      [['kubespanpeerstatuses', '-o', 'json'], ['kubespanidentities', '-o', 'yaml'], ['kubespanpeerspecs', '-o', 'yaml'], ['kubespanendpoints'], ['kubespanpeerstatuses']].map((q) =>
        netcfg(['get', ...q, ...a.daemon!.args]),
      ),
    );
    for (const r of cli) expect(r.exitCode, r.stderr).toBe(0);
    const [statusJson, idYaml, specsYaml, endpointsTable, statusTable] = cli.map((r) => r.stdout) as [string, string, string, string, string];
    const second = new Map(parseJsonStream<Json>(statusJson).map((r) => [r.spec.label as string, { id: r.metadata.id, ...r.spec }]));
    expect(caughtUp(second)).toBe(true);
    expect([...first.values()].map((s) => s.id).sort()).toEqual(wg.map((p) => p.publicKey).sort());
    for (const p of wg) {
      const s1 = [...first.values()].find((s) => s.id === p.publicKey)!;
      const s2 = [...second.values()].find((s) => s.id === p.publicKey)!;
      expect(s2.endpoint, s2.label).toBe(p.endpoint);
      expect(s1.receiveBytes).toBeLessThanOrEqual(p.rx);
      expect(p.rx).toBeLessThanOrEqual(s2.receiveBytes);
      expect(s1.transmitBytes).toBeLessThanOrEqual(p.tx);
      expect(p.tx).toBeLessThanOrEqual(s2.transmitBytes);
    }
    expect(idYaml).toContain('privateKey: "[redacted]"');
    expect(idYaml).toContain(keyOf(a));
    for (const o of [b, c, d]) expect(specsYaml).toContain(keyOf(o));
    expect(endpointsTable.split('\n')[0]).toMatch(/^NODE\s+NAMESPACE\s+TYPE\s+ID\s+VERSION/);
    expect(statusTable.split('\n')[0]).toMatch(/^NODE\s+NAMESPACE\s+TYPE\s+ID\s+VERSION\s+LABEL\s+ENDPOINT\s+STATE\s+RX\s+TX$/);
    const cliOutputs = cli.flatMap((r) => [r.stdout, r.stderr]);

    took('wg show compared');
    // endpoint cycling: a and b both started on each other's dead endpoint; the one that cycled first came up on
    // the working one (the other learned it from the handshake), and both now use the working endpoints
    expect((await statuses(a)).get(b.hostname)).toMatchObject({ state: 'up', endpoint: `${b.lan}:51820` });
    expect((await statuses(b)).get(a.hostname)).toMatchObject({ state: 'up', endpoint: `${a.lan}:51820` });
    const tried = (n: Node, o: Node) => n.daemon!.log().filter((l) => l.msg === 'KubeSpan peer: trying endpoint' && l.label === o.hostname).map((l) => l.endpoint);
    expect(tried(a, b)[0]).toBe(DEAD);
    expect(tried(b, a)[0]).toBe(DEAD);
    expect([tried(a, b).slice(0, 2), tried(b, a).slice(0, 2)]).toContainEqual([DEAD, expect.stringMatching(/^192\.0\.2\.1[12]:51820$/)]);
    const endpointsOnC = new Map((await get(c, 'kubespanendpoints')).map((r) => [r.metadata.id as string, r.spec]));
    expect(endpointsOnC.get(keyOf(a))).toEqual({ endpoint: `${a.lan}:51820`, affiliateId: expect.any(String) });
    expect(endpointsOnC.get(keyOf(b))).toEqual({ endpoint: `${b.lan}:51820`, affiliateId: expect.any(String) });

    // harvesting: c announced only the dead endpoint; its real one, reported by the others, is in b's list for c
    await within(
      SLOW * 20_000,
      async () => ((await get(b, 'kubespanpeerspecs')).find((r) => r.metadata.id === keyOf(c))?.spec.endpoints ?? []).includes(`${c.lan}:51820`),
      "c's harvested endpoint in b's peer spec",
    );
    const cSpec = (await get(b, 'kubespanpeerspecs')).find((r) => r.metadata.id === keyOf(c))!.spec;
    expect(cSpec.endpoints[0]).toBe(DEAD);

    took('cycling and harvesting checked');
    // d never comes up (its WireGuard traffic is blocked)
    await within(SLOW * 30_000, async () => (await statuses(a)).get(d.hostname)?.state === 'down', 'd down on a');
    // forced routing (the default): traffic to d's address goes into the tunnel, and nowhere
    expect(pings(a.net.ns, d.lan)).toBe(false);
    // allowDownPeerBypass: the same traffic goes out directly
    const bypassed = a.net.file('a-bypass.yaml', config(a, clusterId, secret, options(a, { bypass: true })));
    const applied = await netcfg(['apply', '-o', 'json', ...a.daemon!.args, bypassed]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    await within(SLOW * 10_000, () => !routed(a.net.ns, d.lan), "d's address out of the routed set");
    expect(pings(a.net.ns, d.lan)).toBe(true);
    // b and c are up: still through the tunnel
    for (const o of [b, c]) expect(routed(a.net.ns, o.extra), o.extra).toBe(true);
    expect(pings(a.net.ns, b.extra)).toBe(true);

    took('bypass checked');
    // d leaves the cluster: gone from every peer list at once
    await d.daemon!.stop();
    await within(
      SLOW * 10_000,
      async () => {
        for (const n of mesh) {
          if ((await get(n, 'kubespanpeerspecs')).some((r) => r.metadata.id === keyOf(d))) return false;
          if ((await statuses(n)).has(d.hostname)) return false;
          if (wgShow(n).some((p) => p.publicKey === keyOf(d))) return false;
        }
        return true;
      },
      'd gone from every peer list',
    );

    took('d gone');
    // KubeSpan off on a: exactly what netcfg made is gone
    const off = a.net.file('a-off.yaml', config(a, clusterId, secret, options(a, { enabled: false })));
    const disabled = await netcfg(['apply', '-o', 'json', ...a.daemon!.args, off]);
    expect(disabled.exitCode, disabled.stderr).toBe(0);
    const removed = (JSON.parse(disabled.stdout) as { changes: Json[] }).changes.map((x) => `${x.action} ${x.kind} ${x.id}`);
    expect(removed).toEqual(expect.arrayContaining(['remove link kubespan', 'remove rule inet4/32500', 'remove rule inet6/32500', 'remove nftables inet/netcfg_kubespan']));
    expect(a.net.json('link', 'show')).not.toContainEqual(expect.objectContaining({ ifname: 'kubespan' }));
    expect(sh('ip', ['-n', a.net.ns, '-4', 'route', 'show', 'table', '180'])).toBe('');
    expect(sh('ip', ['-n', a.net.ns, '-6', 'route', 'show', 'table', '180'])).toBe('');
    expect(ipRules(a.net.ns)).toBe(before.rules);
    expect(nftRuleset(a.net.ns)).toBe(before.nft);
    expect(await get(a, 'kubespanpeerstatuses')).toEqual([]);
    // the rest of a's configuration stays
    expect(a.net.json<Json[]>('addr', 'show', 'eth0')[0]!.addr_info.map((x: Json) => x.local)).toEqual(expect.arrayContaining([a.lan, a.extra]));
    // and b, c drop a's KubeSpan data with the next affiliate update: a is no longer their peer
    await within(SLOW * 10_000, async () => !(await statuses(b)).has(a.hostname), 'a no longer a peer of b');
    took('disabled');
    // no secret in any log or get output: the cluster secret, the private keys (read from the identity files)
    const privateKeys = nodes.map((n) => {
      const files = fs.readdirSync(n.net.stateDir).filter((f) => f.endsWith('.kubespan-identity.yaml'));
      expect(files.length, n.tag).toBe(1);
      const text = fs.readFileSync(path.join(n.net.stateDir, files[0]!), 'utf8');
      expect(fs.statSync(path.join(n.net.stateDir, files[0]!)).mode & 0o777).toBe(0o600);
      return /privateKey:\s*"?([A-Za-z0-9+/=]{44})/.exec(text)![1]!;
    });
    const secrets = [secret, ...privateKeys];
    for (const n of [a, b, c]) {
      const outputs: string[] = [JSON.stringify(n.daemon!.log()), ...(n === a ? cliOutputs : [])];
      for (const kind of Object.keys(TYPES)) outputs.push(JSON.stringify(await daemonGet(n, kind)));
      for (const out of outputs) for (const x of secrets) expect(out.includes(x), `${n.tag}: a secret in a log or get output`).toBe(false);
    }
  }, 900_000);
});
