// tinyproxy, the HTTP (CONNECT) proxy the proxy tests go through: on
// 192.0.2.1:8888 in a test net's router namespace, for its host (192.0.2.10)
// only, stopped by pid when the test ends. With `hosts`, it resolves names from
// that hosts file alone, bound over /etc/hosts in a private mount namespace
// (the machine's own /etc/hosts is never touched).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { expect, onTestFinished } from 'vitest';
import { within } from './daemon.js';
import type { TestNet } from './netns.js';

export interface TinyproxyOptions {
  /** Info logs each request line; Connect only the connections. */
  logLevel?: 'Info' | 'Connect';
  /** Ports CONNECT may reach (tinyproxy's default when none: any). */
  connectPorts?: number[];
  /** A hosts file's text, the proxy's only name source besides DNS. */
  hosts?: string;
}

export async function tinyproxy(net: TestNet, o: TinyproxyOptions = {}): Promise<{ output: () => string }> {
  fs.chmodSync(net.dir, 0o755);
  const lines = ['User nobody', 'Group nogroup', 'Port 8888', 'Listen 192.0.2.1', 'Timeout 60', `LogLevel ${o.logLevel ?? 'Info'}`, 'Allow 192.0.2.10', ...(o.connectPorts ?? []).map((p) => `ConnectPort ${p}`), 'MaxClients 10', ''];
  const conf = net.file('tinyproxy.conf', lines.join('\n'));
  fs.chmodSync(conf, 0o644);
  let command = ['tinyproxy', '-d', '-c', conf];
  if (o.hosts !== undefined) {
    const hosts = net.file('proxy-hosts', o.hosts);
    fs.chmodSync(hosts, 0o644);
    command = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec tinyproxy -d -c "$1"', hosts, conf];
  }
  const child = spawn('ip', ['netns', 'exec', net.router, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  await within(10_000, () => out.includes('Reloading config file finished') || child.exitCode !== null, 'tinyproxy started');
  expect(child.exitCode, out).toBeNull();
  return { output: () => out };
}
