// The lane itself: the kernel modules netcfg's logical links need are there.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('test VM', () => {
  it('runs a stock kernel with bonding, 8021q, bridge, wireguard and dummy', () => {
    const modules = execFileSync('cat', ['/proc/modules'], { encoding: 'utf8' });
    for (const m of ['bonding', '8021q', 'bridge', 'wireguard', 'dummy', 'veth']) expect(modules).toMatch(new RegExp(`^${m} `, 'm'));
  });
});
