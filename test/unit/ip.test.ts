import { describe, expect, it } from 'vitest';
import {
  broadcastOf,
  canonicalIP,
  formatIP,
  formatPrefix,
  hasHostBits,
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
