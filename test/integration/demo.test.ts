// The README's first command runs `netcfg demo`: keep it true.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { netcfg } from '../helpers/cli.js';

describe('netcfg demo', () => {
  it('applies the example config in a throw-away namespace, re-applies with no writes, and cleans up', async () => {
    const r = await netcfg(['demo']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('apply: 7 added, 2 changed, 0 removed (9 netlink writes)');
    expect(r.stdout).toMatch(/LinkStatus\s+demo0\s+1\s+ether\s+veth/);
    expect(r.stdout.trimEnd().endsWith('apply: 0 added, 0 changed, 0 removed (0 netlink writes)')).toBe(true);
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(namespaces).not.toContain('netcfg-demo');
  });
});
