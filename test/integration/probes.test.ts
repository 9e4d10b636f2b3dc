// Connectivity probes (TCPProbeConfig, HTTPProbeConfig) run by the daemon from
// the namespace it configures, against real servers in the router namespace:
// what `netcfg get probestatus` shows, and network readiness following them.
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { call, connect } from '../../src/daemon/client.js';
import type { Resource } from '../../src/resources/resource.js';
import type { ProbeStatus } from '../../src/resources/network/types.js';
import { netcfg } from '../helpers/cli.js';
import { daemonStatus, startDaemon, within, type TestDaemon } from '../helpers/daemon.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';
import { tinyproxy } from '../helpers/tinyproxy.js';

const HOST = `version: v1alpha1
machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
`;

const probe = (kind: 'TCPProbeConfig' | 'HTTPProbeConfig', name: string, target: string, extra = '') => `---
apiVersion: v1alpha1
kind: ${kind}
name: ${name}
interval: 200ms
timeout: 1s
${kind === 'TCPProbeConfig' ? `endpoint: ${target}` : `url: ${target}`}
${extra}`;

/** In the router namespace: TCP on 7000 (accepts and closes), HTTP on 7001 (/ok → 200, anything else → 404). */
function servers(net: TestNet): void {
  const script = `const net = require('node:net'); const http = require('node:http');
net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(7000, '192.0.2.1');
http.createServer((q, r) => { r.statusCode = q.url === '/ok' ? 200 : 404; r.end(); }).listen(7001, '192.0.2.1');`;
  const child = spawn('ip', ['netns', 'exec', net.router, process.execPath, '-e', script], { stdio: 'ignore' });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
}

async function statuses(d: TestDaemon): Promise<Record<string, ProbeStatus>> {
  const s = await connect(d.socket);
  if (!s) throw new Error('no daemon');
  try {
    const list = await call<Resource<ProbeStatus>[]>(s, { op: 'get', namespaces: ['network'], type: 'ProbeStatus' });
    return Object.fromEntries(list.map((r) => [r.metadata.id, r.spec]));
  } finally {
    s.end();
  }
}

describe('connectivity probes', () => {
  it('the daemon probes TCP and HTTP targets, and connectivity is ready only while every probe succeeds', async () => {
    const net = createTestNet();
    servers(net);
    const config = HOST + probe('TCPProbeConfig', 'tcp-up', '192.0.2.1:7000') + probe('HTTPProbeConfig', 'http-ok', 'http://192.0.2.1:7001/ok') + probe('HTTPProbeConfig', 'http-404', 'http://192.0.2.1:7001/missing') + probe('TCPProbeConfig', 'closed', '192.0.2.1:7002', 'failureThreshold: 2\n');
    const d = await startDaemon(net, net.file('c.yaml', config));
    // the servers start beside the daemon: the first attempts may find them not listening yet
    const settled = (s: Record<string, ProbeStatus>) => s['tcp:192.0.2.1:7000']?.success === true && s['http:http://192.0.2.1:7001/ok']?.success === true && Object.keys(s).length === 4;
    await within(10_000, async () => settled(await statuses(d)), 'four probe statuses, the reachable ones successful');
    const s = await statuses(d);
    expect(s['tcp:192.0.2.1:7000']).toEqual({ success: true, lastError: '' });
    expect(s['http:http://192.0.2.1:7001/ok']).toEqual({ success: true, lastError: '' });
    expect(s['http:http://192.0.2.1:7001/missing']).toEqual({ success: false, lastError: 'received non-success status code: 404 Not Found' });
    expect(s['tcp:192.0.2.1:7002']?.success).toBe(false);
    expect(s['tcp:192.0.2.1:7002']?.lastError).toMatch(/ECONNREFUSED/);
    expect((await daemonStatus(d)).status).toMatchObject({ addressReady: true, connectivityReady: false });

    // the table view, as a user reads it
    const table = await netcfg(['get', 'probestatus', ...d.args]);
    expect(table.stdout).toMatch(/ProbeStatus\s+tcp:192\.0\.2\.1:7000\s+\S+\s+true/);

    // without the failing probes, connectivity is ready
    const good = net.file('good.yaml', HOST + probe('TCPProbeConfig', 'tcp-up', '192.0.2.1:7000') + probe('HTTPProbeConfig', 'http-ok', 'http://192.0.2.1:7001/ok'));
    const applied = await netcfg(['apply', ...d.args, good]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    await within(5000, async () => ((await daemonStatus(d)).status as { connectivityReady?: boolean }).connectivityReady === true, 'connectivity ready');
    expect(Object.keys(await statuses(d)).sort()).toEqual(['http:http://192.0.2.1:7001/ok', 'tcp:192.0.2.1:7000']);
  });

  it('an HTTP probe goes through the machine’s proxy (machine.env http_proxy); a TCP probe does not', async () => {
    const net = createTestNet();
    // the target: on the router's loopback, where only the proxy beside it reaches
    execFileSync('ip', ['-n', net.router, 'addr', 'add', '198.51.100.7/32', 'dev', 'lo']);
    execFileSync('ip', ['-n', net.router, 'link', 'set', 'lo', 'up']);
    const script = `require('node:http').createServer((q, r) => { r.statusCode = 200; r.end(); }).listen(7001, '198.51.100.7');`;
    const server = spawn('ip', ['netns', 'exec', net.router, process.execPath, '-e', script], { stdio: 'ignore' });
    onTestFinished(() => {
      server.kill('SIGKILL');
    });
    const proxy = await tinyproxy(net);
    const config = HOST.replace('machine:\n', 'machine:\n  env:\n    http_proxy: "http://192.0.2.1:8888"\n') + probe('HTTPProbeConfig', 'behind', 'http://198.51.100.7:7001/') + probe('TCPProbeConfig', 'direct', '198.51.100.7:7001');
    const d = await startDaemon(net, net.file('c.yaml', config));
    await within(10_000, async () => (await statuses(d))['http:http://198.51.100.7:7001/']?.success === true, 'the HTTP probe through the proxy');
    const s = await statuses(d);
    expect(s['tcp:198.51.100.7:7001']?.success).toBe(false);
    expect(s['tcp:198.51.100.7:7001']?.lastError).toMatch(/ENETUNREACH|EHOSTUNREACH|timed out/);
    expect(proxy.output()).toMatch(/GET http:\/\/198\.51\.100\.7:7001\//);
  });
});
