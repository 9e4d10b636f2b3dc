// Cloud VIPs: the owner moves the VIP through the provider's API when it wins
// (Equinix Metal: unassign every assignment, assign to this device; Hetzner
// Cloud: take the alias IP from the server that has it, set it here, or assign
// the floating IP) and gives it up when it stops. The APIs and metadata
// services are a local stand-in (test/helpers/cloud-api-mock.mjs) inside the
// node's namespace that checks token, method, path and body of each request;
// the daemon is pointed at it with the test-only NETCFG_TEST_* variables. A
// one-member etcd runs in the same namespace. The token never reaches a log.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, waitFor } from '../helpers/vip-lab.js';

const MOCK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers/cloud-api-mock.mjs');
const TOKEN = 'tok-3f9a1c77e2b54d08';
const API = 'http://127.0.0.1:18080';

interface Req {
  method: string;
  path: string;
  token: string | null;
  body: unknown;
  status: number;
}

describe.sequential('cloud VIPs (Equinix Metal, Hetzner Cloud) against a local API stand-in', () => {
  const ns = `vcl${process.pid % 100000}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-vipcloud-'));
  const procs: Array<ReturnType<typeof spawn>> = [];
  const mockLog = path.join(dir, 'mock.log');

  const start = (args: string[], log: string, env: Record<string, string> = {}) => {
    const out = fs.openSync(log, 'a');
    const child = spawn(args[0]!, args.slice(1), { stdio: ['pipe', out, out], env: { ...process.env, ...env } });
    fs.closeSync(out);
    procs.push(child);
    return child;
  };
  const requests = (): Req[] =>
    fs
      .readFileSync(mockLog, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"method"'))
      .map((l) => JSON.parse(l) as Req);
  const holds = (ip: string) => run('ip', ['-n', ns, 'addr', 'show', 'dev', 'eth0']).includes(` ${ip}/`);

  async function daemon(vip: string, platform: 'equinixMetal' | 'hcloud') {
    const cfg = path.join(dir, 'machine.yaml');
    fs.writeFileSync(cfg, `version: v1alpha1\nmachine:\n  type: controlplane\n  network:\n    hostname: cp1\n    interfaces:\n      - interface: eth0\n        vip:\n          ip: ${vip}\n          ${platform}:\n            apiToken: ${TOKEN}\n`);
    const log = path.join(dir, `daemon-${platform}-${vip}.log`);
    const child = start(['ip', 'netns', 'exec', ns, process.execPath, BIN, 'daemon', '--state-dir', path.join(dir, 'state'), '--etc-dir', path.join(dir, 'etc'), '-c', cfg, '--log-level', 'debug', '--vip-lease-ttl', '2s'], log, {
      NETCFG_TEST_EQUINIX_METAL_API: `${API}/metal/v1`,
      NETCFG_TEST_EQUINIX_METAL_METADATA: `${API}/equinix/metadata`,
      NETCFG_TEST_HCLOUD_API: `${API}/hcloud/v1`,
      NETCFG_TEST_HCLOUD_METADATA: `${API}/hetzner/v1/metadata/instance-id`,
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await waitFor(20_000, () => fs.readFileSync(log, 'utf8').includes('netcfg daemon ready'), 'daemon ready', 50);
    return {
      log: () => fs.readFileSync(log, 'utf8'),
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  beforeAll(async () => {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['netns', 'add', `${ns}p`]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `${ns}p`]);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', `${ns}p`, 'link', 'set', 'eth0', 'up']);
    start(['ip', 'netns', 'exec', ns, 'etcd', '--name', 'n1', '--data-dir', path.join(dir, 'etcd'), '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379', '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', 'n1=http://127.0.0.1:2380', '--log-level', 'warn', '--logger', 'zap'], path.join(dir, 'etcd.log'));
    start(['ip', 'netns', 'exec', ns, process.execPath, MOCK, '18080', TOKEN], mockLog);
    await waitFor(10_000, () => fs.existsSync(mockLog) && fs.readFileSync(mockLog, 'utf8').includes('listening'), 'API stand-in listening', 50);
    await waitFor(20_000, () => spawnSync('ip', ['netns', 'exec', ns, 'etcdctl', '--endpoints', 'http://127.0.0.1:2379', 'endpoint', 'health']).status === 0, 'etcd healthy', 200);
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    for (const n of [ns, `${ns}p`]) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Equinix Metal: unassigns the VIP elsewhere, assigns it to this device on winning, unassigns on stop', async () => {
    const from = requests().length;
    const d = await daemon('192.0.2.100', 'equinixMetal');
    await waitFor(10_000, () => holds('192.0.2.100'), 'the VIP on eth0');
    const api = requests().slice(from);
    expect(api.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /equinix/metadata 200',
      'GET /metal/v1/devices/dev-1?include=project 200',
      'GET /metal/v1/projects/proj-1/ips 200',
      'DELETE /metal/v1/ips/asg-old 204',
      'POST /metal/v1/devices/dev-1/ips 201',
    ]);
    expect(api[4]!.body).toEqual({ address: '192.0.2.100' });
    // the token goes to the API, not to the metadata service
    expect(api.map((r) => r.token)).toEqual([null, TOKEN, TOKEN, TOKEN, TOKEN]);
    await d.stop();
    expect(holds('192.0.2.100')).toBe(false);
    expect(requests().slice(from + api.length).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['DELETE /metal/v1/ips/asg-new 204']);
    expect(d.log()).not.toContain(TOKEN);
  }, 60_000);

  it('Hetzner Cloud, private VIP: moves the alias IP from the server holding it to this one, clears it on stop', async () => {
    const from = requests().length;
    const d = await daemon('10.0.0.100', 'hcloud');
    await waitFor(10_000, () => holds('10.0.0.100'), 'the VIP on eth0');
    // the token and the VIP spec never show in get output either
    const specs = spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, 'get', 'operatorspecs', '-o', 'yaml', '--state-dir', path.join(dir, 'state')], { encoding: 'utf8' });
    expect(specs.stdout).toContain('hcloudToken: "[redacted]"');
    expect(specs.stdout).not.toContain(TOKEN);
    const api = requests().slice(from);
    expect(api.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /hetzner/v1/metadata/instance-id 200',
      'GET /hcloud/v1/servers/42 200',
      'GET /hcloud/v1/networks/7 200',
      'GET /hcloud/v1/servers?page=1&per_page=50 200',
      'POST /hcloud/v1/servers/41/actions/change_alias_ips 201',
      'POST /hcloud/v1/servers/42/actions/change_alias_ips 201',
    ]);
    expect(api[4]!.body).toEqual({ network: 7, alias_ips: [] });
    expect(api[5]!.body).toEqual({ network: 7, alias_ips: ['10.0.0.100'] });
    expect(api.slice(1).every((r) => r.token === `Bearer ${TOKEN}`)).toBe(true);
    await d.stop();
    const after = requests().slice(from + api.length);
    expect(after.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /hcloud/v1/servers/42/actions/change_alias_ips 201']);
    expect(after[0]!.body).toEqual({ network: 7, alias_ips: [] });
    expect(d.log()).not.toContain(TOKEN);
  }, 60_000);

  it('Hetzner Cloud, public VIP: assigns the floating IP to this server', async () => {
    const from = requests().length;
    const d = await daemon('203.0.113.10', 'hcloud');
    await waitFor(10_000, () => holds('203.0.113.10'), 'the VIP on eth0');
    const api = requests().slice(from);
    expect(api.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /hetzner/v1/metadata/instance-id 200',
      'GET /hcloud/v1/floating_ips?page=1&per_page=50 200',
      'POST /hcloud/v1/floating_ips/5/actions/assign 201',
    ]);
    expect(api[2]!.body).toEqual({ server: 42 });
    await d.stop();
    // a floating IP stays assigned until the next owner takes it
    expect(requests().length).toBe(from + api.length);
    expect(d.log()).not.toContain(TOKEN);
  }, 60_000);
});
