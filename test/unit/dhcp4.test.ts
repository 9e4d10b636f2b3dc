// DHCPv4 protocol core: message and option codec, IPv4/UDP framing, and the
// lease → specs mapping. The state machine is in dhcp4-client.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dhcp4DecodeError } from '../../src/operators/dhcp4/errors.js';
import { parseUdpPacket, udpPacket } from '../../src/operators/dhcp4/frame.js';
import { DEFAULT_LEASE_SECONDS, leaseFromAck, type Dhcp4Lease } from '../../src/operators/dhcp4/lease.js';
import { leaseSpecs } from '../../src/operators/dhcp4/lease-specs.js';
import {
  MessageType,
  OPT,
  bitsToMask,
  decodeClasslessRoutes,
  decodeDomainSearch,
  encodeClasslessRoutes,
  encodeDomainSearch,
  maskBits,
  readOptions,
  writeOptions,
  type Dhcp4OptionValues,
} from '../../src/operators/dhcp4/options.js';
import { BOOTREPLY, FLAG_BROADCAST, MIN_MESSAGE_SIZE, decodeMessage, encodeMessage, newMessage } from '../../src/operators/dhcp4/packet.js';
import { routeId } from '../../src/resources/network/ids.js';

const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

// A dnsmasq-style DHCPOFFER, byte by byte from RFC 2131 §2 and RFC 2132/3397/3442.
const OFFER_OPTIONS = [
  '35 01 02', //                          53 message type: OFFER
  '36 04 c0a87a01', //                    54 server id 192.168.122.1
  '33 04 00000e10', //                    51 lease 3600 s
  '3a 04 00000708', //                    58 T1 1800 s
  '3b 04 00000c4e', //                    59 T2 3150 s
  '01 04 ffffff00', //                    1 subnet mask /24
  '1c 04 c0a87aff', //                    28 broadcast (not typed: kept raw)
  '03 04 c0a87a01', //                    3 router
  '06 08 c0a87a01 01010101', //           6 DNS 192.168.122.1, 1.1.1.1
  '0f 0b', ascii('example.com'), //       15 domain name
  '0c 06', ascii('node1'), '00', //       12 hostname, NUL-terminated
  '1a 02 05dc', //                        26 MTU 1500
  '2a 04 c0a87a01', //                    42 NTP
  // 119: "lab.example.com" at 0 ("example.com" starts at 4), then
  // "example.com" as a pointer to 4, then "corp" + pointer to 4
  '77 1a', '03', ascii('lab'), '07', ascii('example'), '03', ascii('com'), '00', 'c004', '04', ascii('corp'), 'c004',
  // 121: 10.0.0.0/8 via .254, 0.0.0.0/0 via .1, 172.16.0.0/12 via .1
  '79 12', '08 0a c0a87afe', '00 c0a87a01', '0c ac10 c0a87a01',
  'ff',
];
const OFFER = hex(
  '02 01 06 00', //        op BOOTREPLY, htype Ethernet, hlen 6, hops 0
  '5a1b2c3d', //           xid
  '0000 8000', //          secs 0, flags: broadcast
  '00000000', //           ciaddr
  'c0a87a64', //           yiaddr 192.168.122.100
  'c0a87a01', //           siaddr 192.168.122.1
  '00000000', //           giaddr
  '525400123456', '00'.repeat(10), // chaddr
  '00'.repeat(64 + 128), // sname, file
  '63825363', //           magic cookie
  ...OFFER_OPTIONS,
);
/** The same bytes as an ACK. */
const ACK = Buffer.from(OFFER);
ACK[240 + 2] = MessageType.Ack;

describe('DHCP message codec', () => {
  it('decodes a dnsmasq-style OFFER', () => {
    const m = decodeMessage(OFFER);
    expect(m).toMatchObject({ op: BOOTREPLY, htype: 1, hlen: 6, hops: 0, xid: 0x5a1b2c3d, secs: 0, flags: FLAG_BROADCAST });
    expect(m).toMatchObject({ ciaddr: '0.0.0.0', yiaddr: '192.168.122.100', siaddr: '192.168.122.1', giaddr: '0.0.0.0', sname: '', file: '' });
    expect(m.chaddr.toString('hex')).toBe('525400123456');
    expect(m.options.get(28)?.toString('hex')).toBe('c0a87aff');
    expect(readOptions(m.options)).toEqual({
      messageType: MessageType.Offer,
      serverId: '192.168.122.1',
      leaseTime: 3600,
      renewalTime: 1800,
      rebindingTime: 3150,
      subnetMask: '255.255.255.0',
      routers: ['192.168.122.1'],
      dns: ['192.168.122.1', '1.1.1.1'],
      domainName: 'example.com',
      hostname: 'node1',
      mtu: 1500,
      ntp: ['192.168.122.1'],
      domainSearch: ['lab.example.com', 'example.com', 'corp.example.com'],
      classlessRoutes: [
        { dst: '10.0.0.0/8', router: '192.168.122.254' },
        { dst: '0.0.0.0/0', router: '192.168.122.1' },
        { dst: '172.16.0.0/12', router: '192.168.122.1' },
      ],
    } satisfies Dhcp4OptionValues);
  });

  it('round-trips: decode → encode → decode, and encodes the fixture options byte for byte', () => {
    const m = decodeMessage(OFFER);
    const again = decodeMessage(encodeMessage(m));
    expect(again).toEqual(m);
    // the encoder writes options in map order and ends with End: the same option bytes
    expect(encodeMessage(m).subarray(240, OFFER.length).equals(OFFER.subarray(240))).toBe(true);
  });

  it('typed options round-trip, message type first', () => {
    const values: Dhcp4OptionValues = {
      subnetMask: '255.255.240.0',
      messageType: MessageType.Request,
      requestedIP: '10.1.2.3',
      serverId: '10.1.0.1',
      parameterRequestList: [1, 3, 6, 121],
      clientId: Buffer.from('01525400123456', 'hex'),
      maxMessageSize: 1500,
      domainSearch: ['a.example', 'b.a.example'],
      classlessRoutes: [{ dst: '192.168.0.0/16', router: '10.1.0.2' }],
    };
    const raw = writeOptions(values);
    expect([...raw.keys()][0]).toBe(OPT.MessageType);
    expect(readOptions(raw)).toEqual(values);
    const wire = decodeMessage(encodeMessage(newMessage({ xid: 1, chaddr: Buffer.alloc(6), options: raw })));
    expect(readOptions(wire.options)).toEqual(values);
  });

  it('pads to 300 bytes and ends options with End', () => {
    const b = encodeMessage(newMessage({ xid: 7, chaddr: Buffer.from('525400123456', 'hex'), options: writeOptions({ messageType: MessageType.Discover }) }));
    expect(b.length).toBe(MIN_MESSAGE_SIZE);
    expect(b.subarray(240, 244).toString('hex')).toBe('350101ff');
  });

  it('splits options over 255 bytes into several instances and joins them back (RFC 3396)', () => {
    const dns = Array.from({ length: 100 }, (_, i) => `10.0.${i}.1`);
    const b = encodeMessage(newMessage({ xid: 1, chaddr: Buffer.alloc(6), options: writeOptions({ messageType: MessageType.Ack, dns }) }));
    expect(b[243]).toBe(OPT.DNS);
    expect(b[244]).toBe(255);
    expect(b[244 + 1 + 255]).toBe(OPT.DNS);
    expect(b[244 + 1 + 255 + 1]).toBe(400 - 255);
    expect(readOptions(decodeMessage(b).options).dns).toEqual(dns);
  });

  it('reads options from file and sname when overloaded (option 52)', () => {
    const b = encodeMessage(newMessage({ xid: 1, chaddr: Buffer.alloc(6), options: new Map([[OPT.MessageType, Buffer.from([MessageType.Ack])], [OPT.Overload, Buffer.from([3])]]) }));
    hex('0304c0a80101', 'ff').copy(b, 108); // file: router
    hex('0f03', ascii('lan'), 'ff').copy(b, 44); // sname: domain name
    const m = decodeMessage(b);
    expect(m.file).toBe('');
    expect(m.sname).toBe('');
    expect(readOptions(m.options)).toMatchObject({ routers: ['192.168.1.1'], domainName: 'lan' });
    b[108 + 1] = 0xff; // a length running out of the 128-byte file field
    expect(() => decodeMessage(b)).toThrow(Dhcp4DecodeError);
  });

  it('rejects malformed messages with a typed error', () => {
    const reason = (buf: Buffer): string => {
      try {
        decodeMessage(buf);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(Dhcp4DecodeError);
        return (e as Dhcp4DecodeError).reason;
      }
    };
    expect(reason(OFFER.subarray(0, 239))).toBe('short');
    const noCookie = Buffer.from(OFFER);
    noCookie[236] = 0;
    expect(reason(noCookie)).toBe('cookie');
    const bigHlen = Buffer.from(OFFER);
    bigHlen[2] = 17;
    expect(reason(bigHlen)).toBe('hlen');
    expect(reason(Buffer.concat([OFFER.subarray(0, OFFER.length - 1), hex('0c05', ascii('ab'))]))).toBe('option-truncated');
    expect(reason(Buffer.concat([OFFER.subarray(0, 240), hex('35')]))).toBe('option-truncated');
    // no End is tolerated: the options end with the message
    expect(reason(OFFER.subarray(0, OFFER.length - 1))).toBe('ok');
  });

  it('typed option decoding rejects bad lengths and values', () => {
    const bad = (code: number, data: string): Dhcp4DecodeError => {
      try {
        readOptions(new Map([[code, hex(data)]]));
      } catch (e) {
        if (e instanceof Dhcp4DecodeError) return e;
        throw e;
      }
      throw new Error('accepted');
    };
    expect(bad(OPT.Router, 'c0a801').reason).toBe('option-length');
    expect(bad(OPT.Router, '').reason).toBe('option-length');
    expect(bad(OPT.LeaseTime, '0001').reason).toBe('option-length');
    expect(bad(OPT.SubnetMask, 'ff00ff00').reason).toBe('option-value');
    expect(bad(OPT.MTU, '0040').reason).toBe('option-value'); // 64 < 68
    expect(bad(OPT.ClientId, '01').reason).toBe('option-length');
    expect(bad(OPT.MTU, '0040').option).toBe(OPT.MTU);
  });

  it('tolerant option reading reports and skips a malformed option', () => {
    const errors: Dhcp4DecodeError[] = [];
    const v = readOptions(new Map([[OPT.Router, hex('c0a801')], [OPT.DNS, hex('01010101')]]), (e) => errors.push(e));
    expect(v).toEqual({ dns: ['1.1.1.1'] });
    expect(errors.map((e) => e.option)).toEqual([OPT.Router]);
  });

  it('trims NULs around text options', () => {
    expect(readOptions(new Map([[OPT.Hostname, hex('00', ascii('host'), '0000')]])).hostname).toBe('host');
  });

  it('subnet masks ↔ prefix lengths', () => {
    for (let bits = 0; bits <= 32; bits++) expect(maskBits(bitsToMask(bits))).toBe(bits);
    expect(maskBits('255.0.255.0')).toBeUndefined();
    expect(maskBits('0.0.0.1')).toBeUndefined();
  });
});

describe('option 119: domain search (RFC 3397)', () => {
  const fixture = hex('03', ascii('lab'), '07', ascii('example'), '03', ascii('com'), '00', 'c004', '04', ascii('corp'), 'c004');

  it('encodes with RFC 1035 compression pointers', () => {
    expect(encodeDomainSearch(['lab.example.com', 'example.com', 'corp.example.com']).equals(fixture)).toBe(true);
    expect(decodeDomainSearch(fixture)).toEqual(['lab.example.com', 'example.com', 'corp.example.com']);
  });

  it('follows a chain of pointers and the RFC 3397 example', () => {
    // RFC 3397 §3: "eng.apple.com." and "marketing.apple.com."
    const rfc = hex('03', ascii('eng'), '05', ascii('apple'), '03', ascii('com'), '00', '09', ascii('marketing'), 'c004');
    expect(decodeDomainSearch(rfc)).toEqual(['eng.apple.com', 'marketing.apple.com']);
    expect(encodeDomainSearch(['eng.apple.com.', 'marketing.apple.com.']).equals(rfc)).toBe(true);
    // pointer → a name that itself ends in a pointer further back
    const chain = hex('03', ascii('com'), '00', '01', '61', 'c000', '01', '62', 'c005');
    expect(decodeDomainSearch(chain)).toEqual(['com', 'a.com', 'b.a.com']);
  });

  it('rejects loops, forward pointers, reserved label types and truncation', () => {
    const reason = (data: Buffer): string => {
      try {
        decodeDomainSearch(data);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(Dhcp4DecodeError);
        return (e as Dhcp4DecodeError).reason;
      }
    };
    expect(reason(hex('c000'))).toBe('name'); // points at itself
    expect(reason(hex('0161', 'c000'))).toBe('name'); // "a" then back to "a" forever
    expect(reason(hex('0161', 'c002', '00'))).toBe('name'); // forward (here: itself)
    expect(reason(hex('c003', '00', '0161', '00'))).toBe('name'); // forward
    expect(reason(hex('0161', '0162', 'c002', 'c001'))).toBe('name'); // jumps must keep going back
    expect(reason(hex('4161'))).toBe('name'); // 01 label type
    expect(reason(hex('0561'))).toBe('name'); // label past the end
    expect(reason(hex('0161'))).toBe('name'); // no terminating zero
    expect(reason(hex('c0'))).toBe('name');
    const long = Buffer.concat([...Array.from({ length: 5 }, () => hex('3f', '61'.repeat(63))), hex('00')]);
    expect(reason(long)).toBe('name'); // 5 × 64 > 255
    expect(reason(hex(''))).toBe('ok');
  });
});

describe('option 121: classless static routes (RFC 3442)', () => {
  it('decodes the RFC 3442 §3 width/octet table', () => {
    const data = hex('00 0a000001', '08 0a 0a000001', '10 0a11 0a000001', '18 0a1112 0a000001', '20 0a111213 0a000001', '19 0a111280 0a000001');
    expect(decodeClasslessRoutes(data)).toEqual([
      { dst: '0.0.0.0/0', router: '10.0.0.1' },
      { dst: '10.0.0.0/8', router: '10.0.0.1' },
      { dst: '10.17.0.0/16', router: '10.0.0.1' },
      { dst: '10.17.18.0/24', router: '10.0.0.1' },
      { dst: '10.17.18.19/32', router: '10.0.0.1' },
      { dst: '10.17.18.128/25', router: '10.0.0.1' },
    ]);
    expect(encodeClasslessRoutes(decodeClasslessRoutes(data)).equals(data)).toBe(true);
  });

  it('clears bits past the width and rejects bad descriptors', () => {
    expect(decodeClasslessRoutes(hex('09 0aff 0a000001'))).toEqual([{ dst: '10.128.0.0/9', router: '10.0.0.1' }]);
    expect(() => decodeClasslessRoutes(hex('21 0a0a0a0a0a 0a000001'))).toThrow(Dhcp4DecodeError);
    expect(() => decodeClasslessRoutes(hex('18 0a11 0a000001'))).toThrow(Dhcp4DecodeError);
    expect(() => decodeClasslessRoutes(hex('08'))).toThrow(Dhcp4DecodeError);
  });
});

describe('malformed input never crashes or hangs (property)', () => {
  const onlyDecodeErrors = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof Dhcp4DecodeError)) throw e;
    }
  };

  it('random bytes → a message or Dhcp4DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        onlyDecodeErrors(() => readOptions(decodeMessage(Buffer.from(bytes)).options));
      }),
      { numRuns: 2000 },
    );
  });

  it('random options after a valid header (and random overload areas) → a message or Dhcp4DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ minLength: 192, maxLength: 192 }), fc.option(fc.integer({ min: 0, max: 4 })), (opts, snameFile, overload) => {
        const head = Buffer.from(OFFER.subarray(0, 240));
        Buffer.from(snameFile).copy(head, 44);
        const ov = overload === null ? [] : [OPT.Overload, 1, overload];
        onlyDecodeErrors(() => {
          const m = decodeMessage(Buffer.concat([head, Buffer.from(ov), Buffer.from(opts)]));
          readOptions(m.options);
          leaseFromAck(m, { now: 0, hostnameRequested: true, serverId: '10.0.0.1' });
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated fixture → a message or Dhcp4DecodeError', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(OFFER.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const b = Buffer.from(OFFER);
        for (const [at, v] of edits) b[at] = v;
        onlyDecodeErrors(() => readOptions(decodeMessage(b).options));
      }),
      { numRuns: 2000 },
    );
  });

  it('random option 119 and 121 data → names/routes or Dhcp4DecodeError', () => {
    const labelish = fc.oneof(fc.constantFrom(0, 1, 2, 3, 0xc0, 0xc1, 0x40, 0x80, 0x61), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(labelish, { maxLength: 300 }), (bytes) => {
        onlyDecodeErrors(() => decodeDomainSearch(Buffer.from(bytes)));
        onlyDecodeErrors(() => decodeClasslessRoutes(Buffer.from(bytes)));
      }),
      { numRuns: 3000 },
    );
  });

  it('search lists round-trip through compression', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.'));
    fc.assert(
      fc.property(fc.array(name, { maxLength: 12 }), (names) => {
        expect(decodeDomainSearch(encodeDomainSearch(names))).toEqual(names);
      }),
    );
  });

  it('random bytes → a UDP datagram or undefined, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        parseUdpPacket(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('IPv4/UDP framing', () => {
  it('builds the known-good headers for the OFFER (checksums computed independently)', () => {
    // Checksums computed with a separate implementation (Python struct + RFC 1071 sum) over the same bytes.
    const p = udpPacket({ src: '192.168.122.1', dst: '255.255.255.255', srcPort: 67, dstPort: 68, payload: OFFER });
    expect(p.subarray(0, 20).toString('hex')).toBe('45000193' + '00000000' + '4011' + '3eb1' + 'c0a87a01' + 'ffffffff');
    expect(p.subarray(20, 28).toString('hex')).toBe('00430044' + '017f' + '7450');
    expect(p.subarray(28).equals(OFFER)).toBe(true);
    expect(parseUdpPacket(p)).toEqual({ src: '192.168.122.1', dst: '255.255.255.255', srcPort: 67, dstPort: 68, payload: OFFER });
  });

  it('verifies the IPv4 header checksum (the classic b861 example) and accepts UDP checksum 0', () => {
    const ip = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
    const udp = Buffer.alloc(0x73 - 20);
    udp.writeUInt16BE(67, 0);
    udp.writeUInt16BE(68, 2);
    udp.writeUInt16BE(udp.length, 4); // checksum 0: none
    const packet = Buffer.concat([ip, udp]);
    expect(parseUdpPacket(packet)?.payload.length).toBe(0x73 - 28);
    const bad = Buffer.from(packet);
    bad[11] = 0x62;
    expect(parseUdpPacket(bad)).toBeUndefined();
  });

  it('drops bad UDP checksums unless told the checksum is not filled in yet', () => {
    const p = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 67, dstPort: 68, payload: Buffer.from('hello') });
    const bad = Buffer.from(p);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
    expect(parseUdpPacket(bad)).toBeUndefined();
    expect(parseUdpPacket(bad, { verifyChecksum: false })?.payload.toString()).toBe('helln');
  });

  it('sends a computed checksum of 0 as 0xffff, which verifies', () => {
    const probe = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 68, dstPort: 67, payload: Buffer.alloc(2) });
    // adding the old checksum as a payload word makes the new sum all ones, so the checksum is 0
    const payload = probe.subarray(26, 28);
    const p = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 68, dstPort: 67, payload });
    expect(p.readUInt16BE(26)).toBe(0xffff);
    expect(parseUdpPacket(p)).toBeDefined();
  });

  it('drops fragments, non-UDP, non-IPv4 and truncated packets; ignores Ethernet padding; honours IP options', () => {
    const p = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 67, dstPort: 68, payload: Buffer.from('x') });
    const refresh = (b: Buffer): Buffer => {
      b.writeUInt16BE(0, 10);
      let s = 0;
      for (let i = 0; i < (b[0]! & 0xf) * 4; i += 2) s += b.readUInt16BE(i);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      b.writeUInt16BE(~s & 0xffff, 10);
      return b;
    };
    const mf = Buffer.from(p);
    mf.writeUInt16BE(0x2000, 6);
    expect(parseUdpPacket(refresh(mf))).toBeUndefined();
    const offset = Buffer.from(p);
    offset.writeUInt16BE(0x0001, 6);
    expect(parseUdpPacket(refresh(offset))).toBeUndefined();
    const df = Buffer.from(p);
    df.writeUInt16BE(0x4000, 6);
    expect(parseUdpPacket(refresh(df))).toBeDefined();
    const tcp = Buffer.from(p);
    tcp[9] = 6;
    expect(parseUdpPacket(refresh(tcp))).toBeUndefined();
    const v6 = Buffer.from(p);
    v6[0] = 0x65;
    expect(parseUdpPacket(v6)).toBeUndefined();
    expect(parseUdpPacket(p.subarray(0, p.length - 1))).toBeUndefined();
    expect(parseUdpPacket(Buffer.concat([p, Buffer.alloc(17)]))?.payload.toString()).toBe('x');
    // a 4-byte IP option (NOP ×3 + EOL) between the header and UDP
    const withOpt = Buffer.concat([p.subarray(0, 20), hex('01010100'), p.subarray(20)]);
    withOpt[0] = 0x46;
    withOpt.writeUInt16BE(withOpt.length, 2);
    expect(parseUdpPacket(refresh(withOpt))?.payload.toString()).toBe('x');
  });
});

function lease(over: Partial<Dhcp4Lease> = {}): Dhcp4Lease {
  return {
    address: '192.168.122.100',
    prefixLength: 24,
    serverId: '192.168.122.1',
    leaseTime: 3600,
    t1: 1800,
    t2: 3150,
    acquired: 0,
    routers: [],
    classlessRoutes: [],
    dns: [],
    searchDomains: [],
    hostnameRequested: true,
    ntp: [],
    options: new Map(),
    ...over,
  };
}

const opts = { linkName: 'eth0', routeMetric: 1024, skipHostnameRequest: false };

describe('lease → specs', () => {
  it('maps the fixture ACK: address, 121 routes over option 3, MTU, resolvers, hostname, time servers', () => {
    const l = leaseFromAck(decodeMessage(ACK), { now: 5000, hostnameRequested: true })!;
    expect(l).toMatchObject({ address: '192.168.122.100', prefixLength: 24, serverId: '192.168.122.1', leaseTime: 3600, t1: 1800, t2: 3150, acquired: 5000, mtu: 1500, hostname: 'node1', domain: 'example.com' });
    const specs = leaseSpecs(l, { linkName: 'eth0', routeMetric: 100, skipHostnameRequest: false });
    expect(specs.addresses).toEqual([{ address: '192.168.122.100/24', linkName: 'eth0', family: 'inet4', scope: 'global', flags: 'permanent', announceWithARP: false, priority: 100, layer: 'operator' }]);
    const common = { family: 'inet4', src: '192.168.122.100', outLinkName: 'eth0', table: 'main', priority: 100, type: 'unicast', flags: '', protocol: 'boot', mtu: 0, layer: 'operator' };
    expect(specs.routes).toEqual([
      { ...common, dst: '10.0.0.0/8', gateway: '192.168.122.254', scope: 'global' },
      { ...common, dst: '', gateway: '192.168.122.1', scope: 'global' },
      { ...common, dst: '172.16.0.0/12', gateway: '192.168.122.1', scope: 'global' },
    ]);
    expect(specs.routes.map(routeId)).toEqual(['inet4/192.168.122.254/10.0.0.0/8/100', 'inet4/192.168.122.1//100', 'inet4/192.168.122.1/172.16.0.0/12/100']);
    expect(specs.links).toEqual([{ name: 'eth0', logical: false, up: true, mtu: 1500, kind: '', type: '', layer: 'default' }]);
    expect(specs.resolvers).toEqual([{ dnsServers: ['192.168.122.1', '1.1.1.1'], searchDomains: ['lab.example.com', 'example.com', 'corp.example.com'], searchDomainsOverridden: false, layer: 'operator' }]);
    expect(specs.hostname).toEqual({ hostname: 'node1', domainname: 'example.com', layer: 'operator' });
    expect(specs.timeServers).toEqual(['192.168.122.1']);
  });

  it('option 121 overrides option 3 (RFC 3442)', () => {
    const specs = leaseSpecs(lease({ routers: ['192.168.122.2'], classlessRoutes: [{ dst: '10.0.0.0/8', router: '192.168.122.3' }] }), opts);
    expect(specs.routes.map((r) => [r.dst, r.gateway])).toEqual([['10.0.0.0/8', '192.168.122.3']]);
  });

  it('option 3 routers give default routes', () => {
    const specs = leaseSpecs(lease({ routers: ['192.168.122.1', '192.168.122.2'] }), opts);
    expect(specs.routes.map(routeId)).toEqual(['inet4/192.168.122.1//1024', 'inet4/192.168.122.2//1024']);
    expect(specs.routes.every((r) => r.scope === 'global' && r.protocol === 'boot' && r.src === '192.168.122.100')).toBe(true);
  });

  it('adds a /32 link-scope route to a gateway outside the leased subnet (once)', () => {
    const off = leaseSpecs(lease({ address: '169.254.10.5', prefixLength: 32, routers: ['169.254.10.1'] }), opts);
    expect(off.routes.map((r) => [r.dst, r.gateway, r.scope, r.src])).toEqual([
      ['', '169.254.10.1', 'global', '169.254.10.5'],
      ['169.254.10.1/32', '', 'link', '169.254.10.5'],
    ]);
    const two = leaseSpecs(lease({ classlessRoutes: [{ dst: '10.0.0.0/8', router: '172.31.0.1' }, { dst: '0.0.0.0/0', router: '172.31.0.1' }] }), opts);
    expect(two.routes.map((r) => [r.dst, r.gateway, r.scope])).toEqual([
      ['10.0.0.0/8', '172.31.0.1', 'global'],
      ['172.31.0.1/32', '', 'link'],
      ['', '172.31.0.1', 'global'],
    ]);
  });

  it('an on-link classless route (router 0.0.0.0) is a link-scope route without gateway', () => {
    const specs = leaseSpecs(lease({ classlessRoutes: [{ dst: '10.9.0.0/16', router: '0.0.0.0' }] }), opts);
    expect(specs.routes.map((r) => [r.dst, r.gateway, r.scope])).toEqual([['10.9.0.0/16', '', 'link']]);
  });

  it('skipRoutes installs none; a metric of 0 means 1024', () => {
    expect(leaseSpecs(lease({ routers: ['192.168.122.1'] }), { ...opts, skipRoutes: true }).routes).toEqual([]);
    const specs = leaseSpecs(lease({ routers: ['192.168.122.1'] }), { ...opts, routeMetric: 0 });
    expect(specs.addresses[0]!.priority).toBe(1024);
    expect(specs.routes[0]!.priority).toBe(1024);
  });

  it('defaults the lease to 30 min without option 51, and the mask to the address class without option 1', () => {
    const ack = newMessage({ op: BOOTREPLY, xid: 1, chaddr: Buffer.alloc(6), yiaddr: '10.1.2.3', options: writeOptions({ messageType: MessageType.Ack, serverId: '10.0.0.1' }) });
    const l = leaseFromAck(ack, { now: 0, hostnameRequested: false })!;
    expect(DEFAULT_LEASE_SECONDS).toBe(1800);
    expect(l).toMatchObject({ leaseTime: 1800, t1: 900, t2: 1575, prefixLength: 8 });
    expect(leaseFromAck({ ...ack, yiaddr: '0.0.0.0' }, { now: 0, hostnameRequested: false })).toBeUndefined();
    expect(leaseFromAck({ ...ack, options: writeOptions({ messageType: MessageType.Ack }) }, { now: 0, hostnameRequested: false })).toBeUndefined();
    expect(leaseFromAck({ ...ack, options: writeOptions({ messageType: MessageType.Ack }) }, { now: 0, hostnameRequested: false, serverId: '10.0.0.9' })?.serverId).toBe('10.0.0.9');
  });

  it('no MTU, no resolvers, no hostname when the lease has none', () => {
    const specs = leaseSpecs(lease(), opts);
    expect(specs.links).toEqual([]);
    expect(specs.resolvers).toEqual([]);
    expect(specs.hostname).toBeUndefined();
    expect(specs.timeServers).toEqual([]);
  });

  it('search domains: 119 then option 15 if absent; unsafe names are dropped', () => {
    expect(leaseSpecs(lease({ searchDomains: ['a.example'], domain: 'b.example' }), opts).resolvers[0]!.searchDomains).toEqual(['a.example', 'b.example']);
    expect(leaseSpecs(lease({ searchDomains: ['b.example', 'a.example'], domain: 'b.example' }), opts).resolvers[0]!.searchDomains).toEqual(['b.example', 'a.example']);
    expect(leaseSpecs(lease({ searchDomains: ['evil\noptions ndots:15', 'ok.example.'] }), opts).resolvers[0]!.searchDomains).toEqual(['ok.example']);
    expect(leaseSpecs(lease({ domain: 'only.example' }), opts).resolvers).toEqual([{ dnsServers: [], searchDomains: ['only.example'], searchDomainsOverridden: false, layer: 'operator' }]);
  });

  it('hostname: FQDN split, option 15 overrides the domain, only when requested', () => {
    expect(leaseSpecs(lease({ hostname: 'n1.lab.example.com' }), opts).hostname).toEqual({ hostname: 'n1', domainname: 'lab.example.com', layer: 'operator' });
    expect(leaseSpecs(lease({ hostname: 'n1.lab.example.com', domain: 'example.org' }), opts).hostname).toEqual({ hostname: 'n1', domainname: 'example.org', layer: 'operator' });
    expect(leaseSpecs(lease({ hostname: 'n1' }), opts).hostname).toEqual({ hostname: 'n1', domainname: '', layer: 'operator' });
    expect(leaseSpecs(lease({ hostname: 'n1' }), { ...opts, skipHostnameRequest: true }).hostname).toBeUndefined();
    expect(leaseSpecs(lease({ hostname: 'n1', hostnameRequested: false }), opts).hostname).toBeUndefined();
    expect(leaseSpecs(lease({ hostname: 'bad name' }), opts).hostname).toBeUndefined();
  });
});
