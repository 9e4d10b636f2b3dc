// The IP set behind KubeSpan's allowed IPs and routed set: netipx semantics
// (masked prefixes, minimal prefixes in address order, IPv4 before IPv6),
// checked by example and against a brute-force model over a small space.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPSet } from '../../src/net/ipset.js';

describe('IPSet', () => {
  it('merges overlapping and adjacent prefixes into the minimal prefix list', () => {
    expect(IPSet.of(['10.0.0.0/25', '10.0.0.128/25']).prefixes()).toEqual(['10.0.0.0/24']);
    expect(IPSet.of(['10.0.0.0/24', '10.0.1.0/25']).prefixes()).toEqual(['10.0.0.0/24', '10.0.1.0/25']);
    expect(IPSet.of(['10.0.0.0/8', '10.1.0.0/16', '10.255.255.255']).prefixes()).toEqual(['10.0.0.0/8']);
    // host bits are ignored, bare addresses are /32 and /128
    expect(IPSet.of(['10.244.3.1/24', '10.244.3.0/32', '192.168.3.4']).prefixes()).toEqual(['10.244.3.0/24', '192.168.3.4/32']);
    expect(IPSet.of(['fd00::1', '10.0.0.1']).prefixes()).toEqual(['10.0.0.1/32', 'fd00::1/128']);
    expect(IPSet.of(['0.0.0.0/0', '::/0']).prefixes()).toEqual(['0.0.0.0/0', '::/0']);
    expect(IPSet.of([]).empty).toBe(true);
  });

  it('removes prefixes, splitting ranges into minimal prefixes', () => {
    expect(IPSet.of(['10.244.3.0/24']).remove('10.244.3.128/25').prefixes()).toEqual(['10.244.3.0/25']);
    expect(IPSet.of(['10.0.0.0/24']).remove('10.0.0.7').prefixes()).toEqual(['10.0.0.0/30', '10.0.0.4/31', '10.0.0.6/32', '10.0.0.8/29', '10.0.0.16/28', '10.0.0.32/27', '10.0.0.64/26', '10.0.0.128/25']);
    expect(IPSet.of(['10.244.2.0/23', '192.168.3.0/24']).minus(IPSet.of(['10.244.3.0/24'])).prefixes()).toEqual(['10.244.2.0/24', '192.168.3.0/24']);
    expect(IPSet.of(['::/0']).remove('::/1').prefixes()).toEqual(['8000::/1']);
    expect(IPSet.of(['10.0.0.0/8']).remove('0.0.0.0/0').empty).toBe(true);
  });

  it('overlap, intersection and containment', () => {
    const a = IPSet.of(['10.244.3.0/24', 'fd50::1']);
    expect(a.overlaps(IPSet.of(['10.244.2.0/23']))).toBe(true);
    expect(a.overlaps(IPSet.of(['10.244.4.0/24', 'fd50::2']))).toBe(false);
    expect(a.overlaps(IPSet.of(['fd50::/64']))).toBe(true);
    expect(a.intersection(IPSet.of(['10.244.3.128/25', '192.0.2.0/24'])).prefixes()).toEqual(['10.244.3.128/25']);
    expect(a.contains('10.244.3.9')).toBe(true);
    expect(a.contains('10.244.3.0/25')).toBe(true);
    expect(a.contains('10.244.2.0/23')).toBe(false);
    expect(() => IPSet.of(['10.0.0.0/33'])).toThrow(/not an IP address or prefix/);
  });

  it('agrees with a brute-force model over 10.0.0.0/26', () => {
    const prefix = fc.record({ host: fc.integer({ min: 0, max: 63 }), bits: fc.integer({ min: 26, max: 32 }) }).map(({ host, bits }) => `10.0.0.${host}/${bits}`);
    const members = (prefixes: string[]) => {
      const out = new Set<number>();
      for (const p of prefixes) {
        const [addr, bits] = p.split('/');
        const host = Number(addr!.split('.')[3]);
        const size = 2 ** (32 - Number(bits));
        const start = host - (host % size);
        for (let i = start; i < start + size; i++) out.add(i);
      }
      return out;
    };
    fc.assert(
      fc.property(fc.array(prefix, { maxLength: 8 }), fc.array(prefix, { maxLength: 8 }), (adds, removes) => {
        const set = IPSet.of(adds).removeSet(IPSet.of(removes));
        const want = members(adds);
        for (const r of members(removes)) want.delete(r);
        const got = set.prefixes();
        expect(members(got)).toEqual(want);
        // minimal: no two listed prefixes could merge into one, and none overlap
        expect(members(got).size).toBe(got.reduce((n, p) => n + 2 ** (32 - Number(p.split('/')[1])), 0));
        expect(IPSet.of(got).prefixes()).toEqual(got);
        expect(set.overlaps(IPSet.of(removes))).toBe(false);
        expect(IPSet.of(adds).overlaps(IPSet.of(removes))).toBe([...members(adds)].some((x) => members(removes).has(x)));
      }),
      { numRuns: 500 },
    );
  });
});
