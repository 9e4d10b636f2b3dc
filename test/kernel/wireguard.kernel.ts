// WireGuard on a real kernel (runs in the test VM): two namespaces joined by a
// veth underlay, configured from `netcfg gen wireguard`, ping each other through
// the tunnel; `wg show` holds exactly what the configs say.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { netcfgIn } from '../helpers/inproc.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';
import { echoes } from '../helpers/ping.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function apply(ns: string, state: string, file: string, expectCode = 0) {
  const r = await netcfgIn(['apply', '--netns', ns, '--state-dir', state, '--etc-dir', `${state}-etc`, '-o', 'json', file]);
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(expectCode);
  return JSON.parse(r.stdout) as { changes: Array<{ action: string; kind: string; id: string; detail?: string }>; errors: string[]; summary: { netlinkWrites: number } };
}

interface WgDump {
  privateKey: string;
  publicKey: string;
  listenPort: number;
  peers: Array<{ publicKey: string; endpoint: string; allowedIPs: string; keepalive: string }>;
}

/** `wg show IFACE dump`, parsed. */
function wgShow(ns: string, iface: string): WgDump {
  const [dev, ...peers] = sh('ip', ['netns', 'exec', ns, 'wg', 'show', iface, 'dump']).trim().split('\n');
  const [privateKey, publicKey, listenPort] = dev!.split('\t');
  return {
    privateKey: privateKey!,
    publicKey: publicKey!,
    listenPort: Number(listenPort),
    peers: peers.map((l) => {
      const f = l.split('\t');
      return { publicKey: f[0]!, endpoint: f[2]!, allowedIPs: f[3]!, keepalive: f[7]! };
    }),
  };
}

const rjson = (net: TestNet, ...args: string[]): Json[] => JSON.parse(sh('ip', ['-j', '-n', net.router, ...args]) || '[]') as Json[];

const ping = (ns: string, ip: string) => echoes(ns, ip, 3);

/** The "host" namespace is the worker (192.0.2.2 on eth0), the "router" namespace the control plane (192.0.2.1). */
async function cluster(): Promise<{ net: TestNet; cp: string; worker: string; cpConfig: Json; workerConfig: Json }> {
  const net = createTestNet();
  net.ip('addr', 'add', '192.0.2.2/24', 'dev', 'eth0', 'nodad');
  net.ip('link', 'set', 'eth0', 'up');
  const out = path.join(net.dir, 'wg');
  const gen = await netcfgIn(['gen', 'wireguard', '--cidr', '10.1.0.0/24', '--controlplane', '192.0.2.1', '--worker', '192.0.2.2', '--output-dir', out]);
  expect(gen.exitCode, gen.stderr).toBe(0);
  const cp = path.join(out, 'controlplane-1.yaml');
  const worker = path.join(out, 'worker-1.yaml');
  expect((fs.statSync(cp).mode & 0o777).toString(8)).toBe('600');
  return { net, cp, worker, cpConfig: YAML.parse(fs.readFileSync(cp, 'utf8')) as Json, workerConfig: YAML.parse(fs.readFileSync(worker, 'utf8')) as Json };
}

const wgOf = (config: Json): Json => config.machine.network.interfaces[0].wireguard;

describe('WireGuard', () => {
  it('two nodes from `netcfg gen wireguard` ping each other through wg0; wg show matches the configs', async () => {
    const { net, cp, worker, cpConfig, workerConfig } = await cluster();
    const cpState = path.join(net.dir, 'cp-state');
    const workerState = path.join(net.dir, 'worker-state');
    expect((await apply(net.router, cpState, cp)).errors).toEqual([]);
    const cpShow = wgShow(net.router, 'wg0');
    expect(cpShow.privateKey).toBe(wgOf(cpConfig).privateKey);
    expect(cpShow.listenPort).toBe(51111);
    const workerPub = wgOf(cpConfig).peers[0].publicKey as string;
    // before the worker's first handshake the control plane has no endpoint for it
    expect(cpShow.peers).toEqual([{ publicKey: workerPub, endpoint: '(none)', allowedIPs: '10.1.0.2/32', keepalive: '5' }]);

    const applied = await apply(net.ns, workerState, worker);
    expect(applied.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(expect.arrayContaining(['add link wg0', 'change wireguard wg0', 'add address wg0/10.1.0.2/24']));
    const workerShow = wgShow(net.ns, 'wg0');
    expect(workerShow.publicKey).toBe(workerPub);
    expect(workerShow.privateKey).toBe(wgOf(workerConfig).privateKey);
    expect(workerShow.peers).toEqual([{ publicKey: cpShow.publicKey, endpoint: '192.0.2.1:51111', allowedIPs: '10.1.0.1/32', keepalive: '5' }]);
    expect(wgOf(workerConfig).peers[0].publicKey).toBe(cpShow.publicKey);

    const link = net.json<Json[]>('-d', 'link', 'show', 'wg0')[0]!;
    expect(link.linkinfo.info_kind).toBe('wireguard');
    expect(link.flags).toContain('UP');
    expect(link.mtu).toBe(1420);

    expect(ping(net.ns, '10.1.0.1')).toBe(3);
    expect(ping(net.router, '10.1.0.2')).toBe(3);
    // the control plane learned the worker's endpoint from its handshake
    expect(wgShow(net.router, 'wg0').peers[0]!.endpoint).toBe(`192.0.2.2:${wgShow(net.ns, 'wg0').listenPort}`);

    // `get links` shows the public key and peers, never the private key
    const got = await netcfgIn(['get', 'links', '-o', 'json', '--netns', net.ns]);
    expect(got.exitCode, got.stderr).toBe(0);
    const wg0 = parseJsonStream<Json>(got.stdout).find((r) => r.metadata.id === 'wg0');
    expect(wg0?.spec.wireguard).toMatchObject({ publicKey: workerPub, peers: [{ publicKey: cpShow.publicKey, endpoint: '192.0.2.1:51111', allowedIPs: ['10.1.0.1/32'], persistentKeepaliveInterval: '5s' }] });
    expect(got.stdout).not.toContain(wgOf(workerConfig).privateKey);

    // re-applying changes nothing, even though the learned endpoint is not in the config
    for (const [ns, state, file] of [
      [net.router, cpState, cp],
      [net.ns, workerState, worker],
    ] as const) {
      const again = await apply(ns, state, file);
      expect(again.changes).toEqual([]);
      expect(again.summary.netlinkWrites).toBe(0);
    }
  });

  it('key, port and peer changes are applied in place; peers added by hand are removed', async () => {
    const { net, cp, cpConfig } = await cluster();
    const state = path.join(net.dir, 'state-cp');
    await apply(net.router, state, cp);
    const index = rjson(net, 'link', 'show', 'wg0')[0]!.ifindex as number;
    const stranger = sh('wg', ['genkey']).trim();
    const strangerPub = execFileSync('wg', ['pubkey'], { input: stranger, encoding: 'utf8' }).trim();
    sh('ip', ['netns', 'exec', net.router, 'wg', 'set', 'wg0', 'peer', strangerPub, 'allowed-ips', '10.9.0.0/24']);

    const changed = structuredClone(cpConfig);
    const wg = wgOf(changed);
    const newKey = sh('wg', ['genkey']).trim();
    wg.privateKey = newKey;
    wg.listenPort = 51112;
    wg.peers[0].allowedIPs = ['10.1.0.2/32', '10.2.0.0/16'];
    wg.peers[0].endpoint = '192.0.2.2:4000';
    const file = net.file('cp-changed.yaml', YAML.stringify(changed));
    const r = await apply(net.router, state, file);
    const detail = r.changes.find((c) => c.kind === 'wireguard')?.detail ?? '';
    expect(detail).toMatch(/private key.*listen port 51111 → 51112.*~peer.*-peer/);

    const show = wgShow(net.router, 'wg0');
    expect(show.privateKey).toBe(newKey);
    expect(show.publicKey).toBe(execFileSync('wg', ['pubkey'], { input: newKey, encoding: 'utf8' }).trim());
    expect(show.listenPort).toBe(51112);
    expect(show.peers).toHaveLength(1);
    expect(show.peers[0]).toMatchObject({ endpoint: '192.0.2.2:4000', allowedIPs: '10.1.0.2/32,10.2.0.0/16' });
    expect(rjson(net, 'link', 'show', 'wg0')[0]!.ifindex).toBe(index);
  });

  it("the guide's manual example as corrected: port, peer endpoint and allowed IPs", async () => {
    const net = createTestNet({ interfaces: 0 });
    const seed = path.resolve(import.meta.dirname, '../fixtures/seeds/wireguard.yaml');
    await apply(net.ns, net.stateDir, seed);
    const show = wgShow(net.ns, 'wg0');
    expect(show.privateKey).toBe('sBQTS9YPZx7Lzd7Pr1vd/U+B5S3aw+fGyiJQ3iAJ0VI=');
    expect(show.listenPort).toBe(51820);
    expect(show.peers).toEqual([{ publicKey: 'ZjpyxP5yxWgP+IaG3jd/0D/jW7LrNmEVrK3OKrJqFz4=', endpoint: '209.202.254.14:8172', allowedIPs: '192.168.88.0/24', keepalive: 'off' }]);
    expect(net.json<Json[]>('link', 'show', 'wg0')[0]!.mtu).toBe(1500);
    expect(net.json<Json[]>('addr', 'show', 'wg0')[0]!.addr_info.map((a: Json) => `${a.local}/${a.prefixlen}`)).toContain('192.168.2.1/24');
  });

  it('removing wg0 from the config deletes it; a WireGuard link netcfg did not create is left alone', async () => {
    const { net, cp } = await cluster();
    sh('ip', ['-n', net.router, 'link', 'add', 'wg9', 'type', 'wireguard']);
    const state = path.join(net.dir, 'state-rm');
    await apply(net.router, state, cp);
    const r = await apply(net.router, state, net.file('empty.yaml', 'machine:\n  network: {}\n'));
    expect(r.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toContain('remove link wg0');
    const names = rjson(net, 'link', 'show').map((l) => l.ifname);
    expect(names).not.toContain('wg0');
    expect(names).toContain('wg9');
  });
});
