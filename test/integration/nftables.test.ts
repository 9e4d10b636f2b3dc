// netcfg's own nftables table on a real kernel, in namespaces of the test's own:
// applied, replaced and removed atomically through nft -j, never touching
// another table; and KubeSpan's chains really steer marked traffic to table 180.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kubespanRuleset, KUBESPAN_TABLE } from '../../src/nftables/kubespan.js';
import { NftError, NftTables, nftRunner } from '../../src/nftables/nft.js';
import type { NftTableSpec } from '../../src/nftables/types.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const nft = (net: TestNet, ...args: string[]) => execFileSync('ip', ['netns', 'exec', net.ns, 'nft', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The ruleset without netcfg's table. */
function othersRuleset(net: TestNet): Json[] {
  const all = (JSON.parse(nft(net, '-j', 'list', 'ruleset')) as { nftables: Json[] }).nftables;
  return all.filter((item) => {
    const v = Object.values(item)[0] as Json;
    return !(v.family === 'inet' && (v.table === KUBESPAN_TABLE || v.name === KUBESPAN_TABLE));
  });
}

function foreignTables(net: TestNet): void {
  const text = `
table inet filter {
  set blocked { type ipv4_addr; flags interval; elements = { 203.0.113.0/24 } }
  chain input { type filter hook input priority 0; policy accept; ip saddr @blocked drop; }
  chain output { type filter hook output priority 0; policy accept; meta mark 0x40 counter; }
}
table ip nat {
  chain postrouting { type nat hook postrouting priority 100; policy accept; oifname "eth0" masquerade; }
}
table inet netcfg_kubespan_not_ours {
  chain c {
  }
}
`;
  execFileSync('ip', ['netns', 'exec', net.ns, 'nft', '-f', '-'], { input: text });
}

const tableText = (net: TestNet) => nft(net, 'list', 'table', 'inet', KUBESPAN_TABLE);

describe('nftables: one table netcfg owns whole', () => {
  it("applies, replaces with another set, and removes KubeSpan's table; other tables are identical before and after", async () => {
    const net = createTestNet({ interfaces: 0 });
    foreignTables(net);
    const before = othersRuleset(net);
    const tables = new NftTables(nftRunner(net.ns));

    const first = kubespanRuleset({ mtu: 1420, routed: ['192.168.3.4/32', '10.244.3.0/24', '10.244.3.128/25', 'fd50:8d60:4238:6302::/64', '2001:db8::1'] });
    expect(await tables.apply(first)).toBe('created');
    const text = tableText(net);
    expect(text).toContain('type filter hook prerouting priority filter; policy accept;');
    expect(text).toContain('type route hook output priority filter; policy accept;');
    expect(text).toContain('meta mark & 0x00000060 == 0x00000020 accept');
    expect(text).toContain('ip daddr @kubespan_targets_ipv4 meta mark set meta mark & 0xffffffdf | 0x00000040 accept');
    expect(text).toContain('ip6 daddr @kubespan_targets_ipv6 meta mark set meta mark & 0xffffffdf | 0x00000040 accept');
    expect(text).toContain('oifname "lo" accept');
    // the MSS clamp: 1420 − 52 and 1420 − 72
    expect(text).toContain('ip daddr @kubespan_targets_ipv4 tcp flags syn / syn,rst tcp option maxseg size set 1368');
    expect(text).toContain('ip6 daddr @kubespan_targets_ipv6 tcp flags syn / syn,rst tcp option maxseg size set 1348');
    const set4 = (JSON.parse(nft(net, '-j', 'list', 'set', 'inet', KUBESPAN_TABLE, 'kubespan_targets_ipv4')) as { nftables: Json[] }).nftables[1]!.set;
    expect(set4.elem).toEqual([{ prefix: { addr: '10.244.3.0', len: 24 } }, '192.168.3.4']);
    const set6 = (JSON.parse(nft(net, '-j', 'list', 'set', 'inet', KUBESPAN_TABLE, 'kubespan_targets_ipv6')) as { nftables: Json[] }).nftables[1]!.set;
    expect(set6.elem).toEqual(['2001:db8::1', { prefix: { addr: 'fd50:8d60:4238:6302::', len: 64 } }]);

    // the same description again: nothing written
    const writes = tables.writes;
    expect(await tables.apply(first)).toBe('unchanged');
    expect(await tables.matches(first)).toBe(true);
    expect(tables.writes).toBe(writes);

    // another set and MTU: replaced in one transaction
    const second = kubespanRuleset({ mtu: 1380, routed: ['10.0.0.0/8'] });
    expect(await tables.matches(second)).toBe(false);
    expect(await tables.apply(second)).toBe('replaced');
    expect(await tables.matches(second)).toBe(true);
    const replaced = tableText(net);
    expect(replaced).toContain('elements = { 10.0.0.0/8 }');
    expect(replaced).not.toContain('192.168.3.4');
    expect(replaced).toContain('maxseg size set 1328');
    expect(replaced).toContain('maxseg size set 1308');
    expect(othersRuleset(net)).toEqual(before);

    // a change by hand is seen and undone by the next apply
    nft(net, 'add', 'element', 'inet', KUBESPAN_TABLE, 'kubespan_targets_ipv4', '{ 172.16.0.0/12 }');
    expect(await tables.matches(second)).toBe(false);
    expect(await tables.apply(second)).toBe('replaced');
    expect(tableText(net)).not.toContain('172.16.0.0/12');
    nft(net, 'delete', 'rule', 'inet', KUBESPAN_TABLE, 'kubespan_outgoing', 'handle', String(firstRuleHandle(net, 'kubespan_outgoing')));
    expect(await tables.apply(second)).toBe('replaced');
    expect(await tables.matches(second)).toBe(true);

    expect(await tables.remove('inet', KUBESPAN_TABLE)).toBe(true);
    expect(() => tableText(net)).toThrow();
    const afterRemove = tables.writes;
    expect(await tables.remove('inet', KUBESPAN_TABLE)).toBe(false);
    expect(tables.writes).toBe(afterRemove);
    expect(othersRuleset(net)).toEqual(before);
  });

  it('a replacement the kernel refuses leaves the previous table exactly as it was', async () => {
    const net = createTestNet({ interfaces: 0 });
    const tables = new NftTables(nftRunner(net.ns));
    const good = kubespanRuleset({ mtu: 1420, routed: ['10.1.0.0/16'] });
    await tables.apply(good);
    const before = nft(net, '-j', 'list', 'ruleset');
    // a route chain only exists on the output hook: the kernel refuses the whole batch
    const bad: NftTableSpec = { ...good, chains: [{ ...good.chains[1]!, name: 'bad', base: { type: 'route', hook: 'prerouting', priority: 0, policy: 'accept' } }] };
    await expect(tables.apply(bad)).rejects.toBeInstanceOf(NftError);
    await expect(tables.apply(bad)).rejects.toThrow(/^nft: replace table inet netcfg_kubespan: Could not process rule: Operation not supported$/);
    expect(nft(net, '-j', 'list', 'ruleset')).toBe(before);
    expect(await tables.matches(good)).toBe(true);
  });

  it('marked traffic to the routed set leaves through table 180; other traffic does not', async () => {
    // eth0 → the router's 192.0.2.1 (main table), eth1 → its 198.18.0.1 (table 180, as kubespan)
    const net = createTestNet({ interfaces: 2 });
    const r = (...a: string[]) => execFileSync('ip', ['-n', net.router, ...a]);
    // no IPv6 chatter (router solicitations, MLD) in the packet counts
    execFileSync('ip', ['netns', 'exec', net.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.eth0.disable_ipv6=1', 'net.ipv6.conf.eth1.disable_ipv6=1']);
    net.ip('addr', 'add', '192.0.2.2/24', 'dev', 'eth0');
    net.ip('addr', 'add', '198.18.0.2/24', 'dev', 'eth1');
    net.ip('link', 'set', 'eth0', 'up');
    net.ip('link', 'set', 'eth1', 'up');
    net.ip('route', 'add', 'default', 'via', '192.0.2.1');
    net.ip('route', 'add', 'default', 'via', '198.18.0.1', 'dev', 'eth1', 'table', '180');
    net.ip('rule', 'add', 'priority', '32500', 'fwmark', '0x40/0x60', 'lookup', '180');
    r('addr', 'add', '10.99.0.1/32', 'dev', 'lo');
    r('addr', 'add', '10.98.0.1/32', 'dev', 'lo');
    const tx = (dev: string) => (net.json<Json[]>('-s', 'link', 'show', dev)[0]!.stats64.tx.packets as number);
    const ping = (to: string) => execFileSync('ip', ['netns', 'exec', net.ns, 'ping', '-c', '10', '-i', '0.05', '-W', '2', to], { encoding: 'utf8' });

    const tables = new NftTables(nftRunner(net.ns));
    await tables.apply(kubespanRuleset({ mtu: 1420, routed: ['10.99.0.0/24'] }));
    let before = { eth0: tx('eth0'), eth1: tx('eth1') };
    expect(ping('10.99.0.1')).toMatch(/10 received/);
    expect(tx('eth1') - before.eth1).toBeGreaterThanOrEqual(10);
    expect(tx('eth0') - before.eth0).toBeLessThanOrEqual(1);
    before = { eth0: tx('eth0'), eth1: tx('eth1') };
    expect(ping('10.98.0.1')).toMatch(/10 received/);
    expect(tx('eth0') - before.eth0).toBeGreaterThanOrEqual(10);
    expect(tx('eth1') - before.eth1).toBeLessThanOrEqual(1);

    // replaced with another routed set: the steering follows it
    await tables.apply(kubespanRuleset({ mtu: 1420, routed: ['10.98.0.0/24'] }));
    before = { eth0: tx('eth0'), eth1: tx('eth1') };
    expect(ping('10.98.0.1')).toMatch(/10 received/);
    expect(tx('eth1') - before.eth1).toBeGreaterThanOrEqual(10);

    // removed: everything takes the main table again
    await tables.remove('inet', KUBESPAN_TABLE);
    before = { eth0: tx('eth0'), eth1: tx('eth1') };
    expect(ping('10.98.0.1')).toMatch(/10 received/);
    expect(tx('eth1') - before.eth1).toBeLessThanOrEqual(1);
  });
});

function firstRuleHandle(net: TestNet, chain: string): number {
  const items = (JSON.parse(nft(net, '-j', 'list', 'chain', 'inet', KUBESPAN_TABLE, chain)) as { nftables: Json[] }).nftables;
  return items.find((i) => i.rule)!.rule.handle as number;
}
