// netcfg apply's progress line, as a user sees it: under a pseudo-terminal
// (script from util-linux) a 20k-route apply shows "netlink writes done/total",
// redrawn in place and erased before the report; with -o json, or with stdout
// and stderr piped, not a trace of it.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const ROUTES = 20000;

function config(net: TestNet, name: string, routes: number, second = 0): string {
  const lines = ['machine:', '  network:', '    interfaces:', '      - interface: eth0', '        addresses: [192.0.2.10/24]', '        routes:'];
  for (let i = 0; i < routes; i++) lines.push(`          - network: 10.${second + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, '            gateway: 192.0.2.1');
  return net.file(name, `${lines.join('\n')}\n`);
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** netcfg apply under a pseudo-terminal: stdin, stdout and stderr are the pty; returns what the terminal got. */
function applyOnTty(net: TestNet, file: string, extra: string[] = []): { code: number | null; tty: string } {
  const cmd = [process.execPath, BIN, 'apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, ...extra, file].map(shq).join(' ');
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 26 });
  return { code: r.status, tty: r.stdout };
}

function staticRoutes(net: TestNet): number {
  return execFileSync('ip', ['-n', net.ns, 'route', 'show', 'proto', 'static'], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').filter(Boolean).length;
}

describe('apply progress', () => {
  it('shows done/total and a rate on a terminal, redrawn in place, and nothing in JSON or when piped', () => {
    const net = createTestNet();
    const many = config(net, 'many.yaml', ROUTES);
    const others = config(net, 'others.yaml', ROUTES, 100);

    // a terminal, text output: the line appears, counts up to the whole plan, and is erased before the report
    const shown = applyOnTty(net, many);
    expect(shown.code, shown.tty).toBe(0);
    expect(staticRoutes(net)).toBe(ROUTES);
    const frames = [...shown.tty.matchAll(/\r\x1b\[Knetlink writes (\d+)\/(\d+) \((\d+)%\), ([\d.]+k?)\/s/g)];
    expect(frames.length, shown.tty.slice(0, 500)).toBeGreaterThan(0);
    for (const [, done, total] of frames) {
      expect(Number(total)).toBeGreaterThanOrEqual(ROUTES);
      expect(Number(done)).toBeLessThanOrEqual(Number(total));
    }
    // one line redrawn: the frames follow each other on one line, the last is erased, then the report
    const first = shown.tty.indexOf('\r\x1b[Knetlink writes');
    const line = shown.tty.slice(first, shown.tty.indexOf('\n', first));
    const afterErase = line.slice(line.lastIndexOf('\r\x1b[K') + 4);
    expect(afterErase).toMatch(/^[+~-] /); // the report's first change line, at the start of the erased line
    expect(line.split('\r\x1b[K').filter(Boolean).length).toBe(frames.length + 1);
    expect(shown.tty.indexOf(`${ROUTES + 1} added`)).toBeGreaterThan(first);

    // piped stdout and stderr: a bigger plan (every route replaced by another), no progress
    const piped = spawnSync(process.execPath, [BIN, 'apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, others], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(piped.status, piped.stderr).toBe(0);
    expect(staticRoutes(net)).toBe(ROUTES);
    expect(piped.stdout).toContain(`${ROUTES} added, 0 changed, ${ROUTES} removed`);
    expect(piped.stderr).not.toContain('netlink writes');
    expect(piped.stdout + piped.stderr).not.toContain('\x1b[K');

    // a terminal but -o json: the JSON report alone
    const json = applyOnTty(net, many, ['-o', 'json']);
    expect(json.code, json.tty).toBe(0);
    expect(staticRoutes(net)).toBe(ROUTES);
    expect(json.tty).not.toContain('netlink writes');
    expect(json.tty).not.toContain('\x1b[K');
    const report = JSON.parse(json.tty) as { summary: { added: number } };
    expect(report.summary.added).toBe(ROUTES);
  }, 120_000);
});
