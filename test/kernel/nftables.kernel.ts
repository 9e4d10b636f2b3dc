// KubeSpan's nftables table on the lane's stock Debian kernel (nf_tables as a
// module, an older kernel than the host's): applied in one transaction, listed
// back equal to the description, steering marked traffic to table 180, and
// removed without touching another table.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kubespanRuleset, KUBESPAN_TABLE } from '../../src/nftables/kubespan.js';
import { NftTables, nftRunner } from '../../src/nftables/nft.js';
import { createTestNet } from '../helpers/netns.js';
import { echoes } from '../helpers/ping.js';

describe('nftables in the lane', () => {
  it("applies KubeSpan's table, re-applies without writing, steers the routed set, removes only its own", async () => {
    const net = createTestNet({ interfaces: 2 });
    const sh = (...a: string[]) => execFileSync('ip', ['netns', 'exec', net.ns, ...a], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    sh('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.eth0.disable_ipv6=1', 'net.ipv6.conf.eth1.disable_ipv6=1');
    sh('nft', 'add', 'table', 'ip', 'theirs');
    sh('nft', 'add', 'chain', 'ip', 'theirs', 'out', '{ type filter hook output priority 0; policy accept; }');
    const theirs = sh('nft', '-j', 'list', 'table', 'ip', 'theirs');
    net.ip('addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
    net.ip('addr', 'add', '198.18.0.2/24', 'dev', 'eth1');
    net.ip('link', 'set', 'eth0', 'up');
    net.ip('link', 'set', 'eth1', 'up');
    net.ip('route', 'add', 'default', 'via', '192.0.2.1');
    net.ip('route', 'add', 'default', 'via', '198.18.0.1', 'dev', 'eth1', 'table', '180');
    net.ip('rule', 'add', 'priority', '32500', 'fwmark', '0x40/0x60', 'lookup', '180');
    execFileSync('ip', ['-n', net.router, 'addr', 'add', '10.99.0.1/32', 'dev', 'lo']);

    const tables = new NftTables(nftRunner(net.ns));
    const spec = kubespanRuleset({ mtu: 1420, routed: ['10.99.0.0/24', '192.168.3.4', 'fd50::/64'] });
    expect(await tables.apply(spec)).toBe('created');
    expect(await tables.apply(spec)).toBe('unchanged');
    expect(tables.writes).toBe(1);
    expect(sh('nft', 'list', 'table', 'inet', KUBESPAN_TABLE)).toContain('tcp option maxseg size set 1368');

    const tx = (dev: string) => (JSON.parse(net.ip('-j', '-s', 'link', 'show', dev)) as Array<{ stats64: { tx: { packets: number } } }>)[0]!.stats64.tx.packets;
    const before = tx('eth1');
    expect(echoes(net.ns, '10.99.0.1', 5)).toBe(5);
    expect(tx('eth1') - before).toBeGreaterThanOrEqual(5);

    expect(await tables.remove('inet', KUBESPAN_TABLE)).toBe(true);
    expect(sh('nft', '-j', 'list', 'table', 'ip', 'theirs')).toBe(theirs);
    expect(await tables.current('inet', KUBESPAN_TABLE)).toBeUndefined();
  });
});
