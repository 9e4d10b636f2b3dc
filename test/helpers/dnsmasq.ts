// dnsmasq as the DHCP server in a test's router namespace (the peer of the
// veth under test), and tcpdump there to see what went over the wire.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { TestNet } from './netns.js';

export interface Dnsmasq {
  /** dnsmasq's log so far. */
  log(): string;
  stop(): void;
}

/** Starts dnsmasq (DHCP only, no DNS) on peer0 in the router namespace with these extra config lines. */
export function startDnsmasq(net: TestNet, lines: string[]): Dnsmasq {
  const dir = path.join(net.dir, 'dnsmasq');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'log');
  const pidFile = path.join(dir, 'pid');
  fs.writeFileSync(
    path.join(dir, 'conf'),
    [
      'port=0',
      'interface=peer0',
      'bind-interfaces',
      `dhcp-leasefile=${path.join(dir, 'leases')}`,
      'log-dhcp',
      `log-facility=${logFile}`,
      `pid-file=${pidFile}`,
      ...lines,
      '',
    ].join('\n'),
  );
  execFileSync('ip', ['netns', 'exec', net.router, 'dnsmasq', '-C', path.join(dir, 'conf')]);
  const stop = () => {
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      // already stopped
    }
  };
  onTestFinished(stop);
  return { log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''), stop };
}

export interface Capture {
  /** One line per packet (tcpdump -n -l). */
  lines(): string[];
  stop(): void;
}

/** tcpdump on peer0 in the router namespace. */
export function capture(net: TestNet, filter: string): Capture {
  let out = '';
  const child: ChildProcess = spawn('ip', ['netns', 'exec', net.router, 'tcpdump', '-i', 'peer0', '-n', '-l', '-q', filter], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  onTestFinished(stop);
  return { lines: () => out.split('\n').filter(Boolean), stop };
}
