// KubeSpan's nftables table as a pure description, its JSON batch, and the
// comparison with what nft lists back (test/fixtures/nft-kubespan-table.json:
// `nft -j list table inet netcfg_kubespan` after applying the ruleset below with
// nftables 1.0.6 on Linux 6.18).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubespanRuleset, KUBESPAN_TABLE } from '../../src/nftables/kubespan.js';
import { canonical, canonicalSpec, removeCommands, replaceCommands, sameTable, tableCommands } from '../../src/nftables/render.js';
import type { NftStatement } from '../../src/nftables/types.js';

const recorded = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/nft-kubespan-table.json'), 'utf8')) as { nftables: Array<Record<string, never>> };
const recordedSpec = () => kubespanRuleset({ mtu: 1420, routed: ['192.168.3.4/32', '10.244.3.0/25', 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0/128', '2001:db8::/48'] });

describe('kubespanRuleset', () => {
  it('has the two chains of spec §7.5 with the marks, the MSS clamp and the routed sets', () => {
    const t = kubespanRuleset({ mtu: 1420, routed: ['10.244.3.0/24', '10.244.3.128/25', '192.168.3.4', 'fd50::1/128', '2001:db8::/32'] });
    expect(t).toMatchObject({ family: 'inet', name: KUBESPAN_TABLE });
    expect(t.sets).toEqual([
      { name: 'kubespan_targets_ipv4', type: 'ipv4_addr', elements: ['10.244.3.0/24', '192.168.3.4/32'] },
      { name: 'kubespan_targets_ipv6', type: 'ipv6_addr', elements: ['2001:db8::/32', 'fd50::1/128'] },
    ]);
    const [pre, out] = t.chains;
    expect(pre!.base).toEqual({ type: 'filter', hook: 'prerouting', priority: 0, policy: 'accept' });
    expect(out!.base).toEqual({ type: 'route', hook: 'output', priority: 0, policy: 'accept' });
    const wg: NftStatement = { match: 'mark', mask: 0x60, value: 0x20 };
    const mark: NftStatement = { setMark: { clear: 0x60, set: 0x40 } };
    expect(pre!.rules).toEqual([
      [wg, { verdict: 'accept' }],
      [{ match: 'daddr', protocol: 'ip', set: 'kubespan_targets_ipv4' }, mark, { verdict: 'accept' }],
      [{ match: 'daddr', protocol: 'ip6', set: 'kubespan_targets_ipv6' }, mark, { verdict: 'accept' }],
    ]);
    expect(out!.rules[0]).toEqual([wg, { verdict: 'accept' }]);
    expect(out!.rules[1]).toEqual([{ match: 'oifname', name: 'lo' }, { verdict: 'accept' }]);
    expect(out!.rules[2]).toEqual([{ match: 'daddr', protocol: 'ip', set: 'kubespan_targets_ipv4' }, { match: 'tcp flags', mask: ['syn', 'rst'], value: ['syn'] }, { setMss: 1368 }]);
    expect(out!.rules[3]![2]).toEqual({ setMss: 1348 });
    expect(out!.rules.slice(4).map((r) => r[1])).toEqual([mark, mark]);
    expect(kubespanRuleset({ mtu: 1280, routed: [] }).chains[1]!.rules.slice(2, 4).map((r) => r[2])).toEqual([{ setMss: 1228 }, { setMss: 1208 }]);
  });

  it('renders one JSON batch: add, delete, then the whole table (atomic replace whether or not it exists)', () => {
    const batch = replaceCommands(recordedSpec()).nftables;
    expect(batch.slice(0, 3)).toEqual([
      { add: { table: { family: 'inet', name: KUBESPAN_TABLE } } },
      { delete: { table: { family: 'inet', name: KUBESPAN_TABLE } } },
      { add: { table: { family: 'inet', name: KUBESPAN_TABLE } } },
    ]);
    expect(batch.slice(3).map((c) => Object.keys(c.add!)[0])).toEqual(['set', 'set', 'chain', 'chain', 'rule', 'rule', 'rule', 'rule', 'rule', 'rule', 'rule', 'rule', 'rule']);
    expect(batch[3]).toEqual({ add: { set: { family: 'inet', table: KUBESPAN_TABLE, name: 'kubespan_targets_ipv4', type: 'ipv4_addr', flags: ['interval'], elem: [{ prefix: { addr: '10.244.3.0', len: 25 } }, '192.168.3.4'] } } });
    // an empty set has no elem (nft refuses an empty list)
    expect(tableCommands(kubespanRuleset({ mtu: 1420, routed: [] }))[1]).toEqual({ add: { set: { family: 'inet', table: KUBESPAN_TABLE, name: 'kubespan_targets_ipv4', type: 'ipv4_addr', flags: ['interval'] } } });
    expect(removeCommands('inet', KUBESPAN_TABLE).nftables).toEqual([{ add: { table: { family: 'inet', name: KUBESPAN_TABLE } } }, { delete: { table: { family: 'inet', name: KUBESPAN_TABLE } } }]);
  });

  it('what nft lists back compares equal to the description; any difference is seen', () => {
    const listed = recorded.nftables.filter((i) => !('metainfo' in i));
    expect(sameTable(canonical(listed), canonicalSpec(recordedSpec()))).toBe(true);
    expect(sameTable(canonical(listed), canonicalSpec(kubespanRuleset({ mtu: 1400, routed: ['192.168.3.4/32', '10.244.3.0/25', 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0/128', '2001:db8::/48'] })))).toBe(false);
    expect(sameTable(canonical(listed), canonicalSpec(kubespanRuleset({ mtu: 1420, routed: ['192.168.3.4/32', '10.244.3.0/24', 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0/128', '2001:db8::/48'] })))).toBe(false);
    const oneRuleLess = listed.filter((i, n) => !(Object.keys(i)[0] === 'rule' && n === listed.length - 1));
    expect(sameTable(canonical(oneRuleLess), canonicalSpec(recordedSpec()))).toBe(false);
  });
});
