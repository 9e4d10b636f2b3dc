// The ingress firewall (NetworkDefaultActionConfig, NetworkRuleConfig) on a real
// kernel: netcfg's own nftables table in the test's namespace, and real TCP
// connections to it from the router namespace, from an allowed source, from an
// excepted one, to a listed port and to another. The table is left as it is on a
// re-apply, goes with the documents, and no other table is ever touched.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { applyJson, netcfg } from '../helpers/cli.js';
import { within } from '../helpers/daemon.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const HOST = `version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24, 2001:db8::10/64]
cluster:
  network:
    cni:
      name: none
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
`;

const rule = (ports: string, ingress: string) => `---
apiVersion: v1alpha1
kind: NetworkRuleConfig
name: web
portSelector:
  ports: [${ports}]
  protocol: tcp
ingress:
${ingress}`;

const action = (a: 'accept' | 'block') => `---
apiVersion: v1alpha1
kind: NetworkDefaultActionConfig
ingress: ${a}
`;

/** TCP servers on these ports (all addresses, both families) in the test namespace, stopped by pid. */
function listen(net: TestNet, ports: number[]): void {
  const script = `const net = require('node:net'); for (const p of process.argv.slice(1)) net.createServer((s) => s.end('hi')).listen(Number(p), '::');`;
  const child = spawn('ip', ['netns', 'exec', net.ns, process.execPath, '-e', script, ...ports.map(String)], { stdio: ['ignore', 'ignore', 'inherit'] });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
}

/** Whether a connection from `from` (an address of the router namespace) to the host's `to`:`port` is answered. */
function reach(net: TestNet, from: string, to: string, port: number): 'open' | 'blocked' | 'ECONNREFUSED' {
  const script = `const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]), localAddress: process.argv[3], timeout: 800 });
s.on('data', () => { console.log('open'); s.destroy(); }); s.on('timeout', () => { console.log('blocked'); s.destroy(); }); s.on('error', (e) => { console.log(e.code); });`;
  const r = spawnSync('ip', ['netns', 'exec', net.router, process.execPath, '-e', script, to, String(port), from], { encoding: 'utf8' });
  const out = r.stdout.trim();
  if (out !== 'open' && out !== 'blocked' && out !== 'ECONNREFUSED') throw new Error(`probe ${from} → ${to}:${port}: ${out} ${r.stderr}`);
  return out;
}

const nft = (net: TestNet, ...args: string[]) => execFileSync('ip', ['netns', 'exec', net.ns, 'nft', ...args], { encoding: 'utf8' });

async function ready(net: TestNet): Promise<void> {
  await within(5000, () => reach(net, '192.0.2.1', '192.0.2.10', 8081) === 'open', 'the test servers');
}

describe('ingress firewall', () => {
  it('block: only the rule’s sources reach its ports; the rest is dropped, replies and ping still pass', async () => {
    const net = createTestNet();
    execFileSync('ip', ['-n', net.router, 'addr', 'add', '192.0.2.3/24', 'dev', 'peer0', 'nodad']);
    // someone else's table: never listed, changed or removed
    nft(net, 'add', 'table', 'inet', 'theirs');
    const host = net.file('host.yaml', HOST);
    await applyJson(net, host);
    listen(net, [8080, 8081, 9050]);
    await ready(net);

    const file = net.file('block.yaml', HOST + action('block') + rule('8080, 9000-9100', '  - subnet: 192.0.2.0/24\n    except: 192.0.2.3/32\n  - subnet: 2001:db8::/64\n'));
    const first = await applyJson(net, file);
    expect(first.changes.filter((c) => c.kind === 'nftables').map((c) => c.action)).toEqual(['add']);
    expect(reach(net, '192.0.2.1', '192.0.2.10', 8080)).toBe('open');
    expect(reach(net, '192.0.2.1', '192.0.2.10', 9050)).toBe('open');
    expect(reach(net, '2001:db8::1', '2001:db8::10', 8080)).toBe('open');
    expect(reach(net, '192.0.2.1', '192.0.2.10', 8081)).toBe('blocked');
    expect(reach(net, '192.0.2.3', '192.0.2.10', 8080)).toBe('blocked');
    // ICMP at a low rate, and this host's own connections (their replies are established)
    expect(spawnSync('ip', ['netns', 'exec', net.router, 'ping', '-c', '1', '-W', '1', '192.0.2.10']).status).toBe(0);
    expect(spawnSync('ip', ['netns', 'exec', net.ns, 'ping', '-c', '1', '-W', '1', '192.0.2.1']).status).toBe(0);

    // block mode lets the Kubernetes pod and service subnets talk to each other, as in Talos
    expect(nft(net, 'list', 'chain', 'inet', 'netcfg_firewall', 'ingress')).toMatch(/ip saddr @kubernetes_v4 ip daddr @kubernetes_v4 accept/);
    expect(nft(net, 'list', 'set', 'inet', 'netcfg_firewall', 'kubernetes_v4')).toMatch(/elements = \{ 10\.96\.0\.0\/12, 10\.244\.0\.0\/16 \}/);
    // as configured: a second apply changes nothing
    const again = await applyJson(net, file);
    expect(again.changes).toEqual([]);
    expect(nft(net, 'list', 'tables')).toMatch(/table inet theirs/);
  });

  it('a block config that locks the operator out, tried and not confirmed, is rolled back: the table goes', async () => {
    const net = createTestNet();
    await applyJson(net, net.file('host.yaml', HOST));
    listen(net, [8080, 8081]);
    await ready(net);
    // "ssh" on 8081 is missing from the rules
    const tried = await netcfg(['apply', '--try', '--timeout', '2s', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, net.file('block.yaml', HOST + action('block') + rule('8080', '  - subnet: 192.0.2.0/24\n'))]);
    expect(tried.exitCode, tried.stderr).toBe(0);
    expect(reach(net, '192.0.2.1', '192.0.2.10', 8081)).toBe('blocked');
    await within(10_000, () => !fs.existsSync(path.join(net.stateDir, `netns-${net.ns}.json.try`)), 'the rollback');
    expect(nft(net, 'list', 'tables')).not.toMatch(/netcfg_firewall/);
    expect(reach(net, '192.0.2.1', '192.0.2.10', 8081)).toBe('open');
  });

  it('accept: non-matching sources lose the rule’s ports only; the table goes with the documents', async () => {
    const net = createTestNet();
    execFileSync('ip', ['-n', net.router, 'addr', 'add', '192.0.2.3/24', 'dev', 'peer0', 'nodad']);
    nft(net, 'add', 'table', 'inet', 'theirs');
    await applyJson(net, net.file('host.yaml', HOST));
    listen(net, [8080, 8081]);
    await ready(net);

    await applyJson(net, net.file('accept.yaml', HOST + action('accept') + rule('8080', '  - subnet: 192.0.2.1/32\n')));
    expect(reach(net, '192.0.2.1', '192.0.2.10', 8080)).toBe('open');
    expect(reach(net, '192.0.2.3', '192.0.2.10', 8080)).toBe('blocked');
    expect(reach(net, '192.0.2.3', '192.0.2.10', 8081)).toBe('open');
    expect(reach(net, '2001:db8::1', '2001:db8::10', 8080)).toBe('blocked');

    const removed = await applyJson(net, net.file('host2.yaml', HOST));
    expect(removed.changes.filter((c) => c.kind === 'nftables').map((c) => c.action)).toEqual(['remove']);
    expect(nft(net, 'list', 'tables').trim().split('\n')).toEqual(['table inet theirs']);
    expect(reach(net, '192.0.2.3', '192.0.2.10', 8080)).toBe('open');
  });
});
