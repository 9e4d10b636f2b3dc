import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  broadcastOf,
  canonicalIP,
  formatIP,
  formatPrefix,
  hasHostBits,
  isKernelIPv4Prefix,
  networkOf,
  parseIP,
  parseIPOrPrefix,
  parsePrefix,
  prefixContains,
} from '../../src/net/ip.js';

describe('IP parsing', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest zero run compressed
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of equal runs
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['fe80::1:2', 'fe80::1:2'],
  ])('%s → %s', (input, canonical) => {
    expect(canonicalIP(input)).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4 ',
    '1..2.3',
    '10.0.0.300',
    'foo',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1::2::3',
    '12345::1',
    'g::1',
    '1:',
    ':1',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
  ])('rejects %j', (input) => {
    expect(parseIP(input)).toBeUndefined();
  });

  it('parses prefixes and bare IPs', () => {
    expect(formatPrefix(parsePrefix('10.0.0.2/24')!)).toBe('10.0.0.2/24');
    expect(formatPrefix(parseIPOrPrefix('10.0.0.2')!)).toBe('10.0.0.2/32');
    expect(formatPrefix(parseIPOrPrefix('2001:db8::2')!)).toBe('2001:db8::2/128');
    expect(parsePrefix('10.0.0.0/33')).toBeUndefined();
    expect(parsePrefix('10.0.0.0/08')).toBeUndefined();
    expect(parsePrefix('2001:db8::/129')).toBeUndefined();
    expect(parsePrefix('10.0.0.0')).toBeUndefined();
  });

  it('computes networks, host bits, containment and broadcast', () => {
    const p = parsePrefix('10.1.2.3/20')!;
    expect(hasHostBits(p)).toBe(true);
    expect(formatPrefix(networkOf(p))).toBe('10.1.0.0/20');
    expect(formatIP(broadcastOf(p))).toBe('10.1.15.255');
    expect(hasHostBits(parsePrefix('10.1.0.0/20')!)).toBe(false);
    expect(prefixContains(p, parseIP('10.1.15.9')!)).toBe(true);
    expect(prefixContains(p, parseIP('10.1.16.1')!)).toBe(false);
    expect(prefixContains(parsePrefix('2001:db8::/33')!, parseIP('2001:db8:7fff::1')!)).toBe(true);
    expect(prefixContains(parsePrefix('2001:db8::/33')!, parseIP('2001:db8:8000::1')!)).toBe(false);
    expect(formatPrefix(networkOf(parsePrefix('2001:db8:1:2:3::1/64')!))).toBe('2001:db8:1:2::/64');
  });
});

describe('isKernelIPv4Prefix (checked without allocating)', () => {
  // what it stands for: an IPv4 prefix whose text is that of its network, as the kernel writes it
  const slow = (s: string): boolean => {
    const p = parsePrefix(s);
    return p !== undefined && p.family === 'inet4' && p.bits > 0 && formatPrefix(networkOf(p)) === s;
  };

  it.each([
    ['10.0.0.1/32', true],
    ['10.0.0.0/8', true],
    ['10.1.0.0/8', false],
    ['0.0.0.0/0', false],
    ['128.0.0.0/1', true],
    ['192.168.1.128/25', true],
    ['192.168.1.129/25', false],
    ['10.0.0.1/33', false],
    ['10.0.0.01/32', false],
    ['10.0.0.1/032', false],
    ['10.0.0.1', false],
    ['10.0.0/24', false],
    ['2001:db8::/32', false],
    ['', false],
  ])('%s: %s', (text, expected) => {
    expect(isKernelIPv4Prefix(text)).toBe(expected);
    expect(slow(text)).toBe(expected);
  });

  it('agrees with parsing, masking and formatting on any text of that shape', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '', 'x', '-1'));
    const bits = fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom('', '00', '08', '+8'));
    const text = fc.tuple(octet, octet, octet, octet, bits).map(([a, b, c, d, n]) => `${a}.${b}.${c}.${d}/${n}`);
    // and networks as the kernel writes them, with a host bit set or not
    const network = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 32 }), fc.boolean()).map(([address, n, hostBit]) => {
      const masked = n === 32 ? address : (address & ~(0xffffffff >>> n)) >>> 0;
      const a = hostBit && n < 32 ? (masked | 1) >>> 0 : masked;
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${n}`;
    });
    let kernelForm = 0;
    fc.assert(
      fc.property(fc.oneof(text, network, fc.string()), (s) => {
        if (slow(s)) kernelForm++;
        return isKernelIPv4Prefix(s) === slow(s);
      }),
      { numRuns: 20000 },
    );
    expect(kernelForm).toBeGreaterThan(3000); // the property saw prefixes of both answers
  });
});
