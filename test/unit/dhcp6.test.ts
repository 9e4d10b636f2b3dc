// DHCPv6 codec: messages, typed options, DUIDs, DNS names, and a Reply as
// dnsmasq sends it with rapid commit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv6 } from '../../src/net/ip.js';
import { decodeDuid, duidLL, duidLLT, encodeDuid, parseDuidHex, parseMac, type Duid } from '../../src/operators/dhcp6/duid.js';
import { buildLease, examineOffer, isForClient } from '../../src/operators/dhcp6/lease.js';
import {
  MessageType,
  OptionCode,
  StatusCode,
  clientIdOption,
  decodeDnsServers,
  decodeDomainList,
  decodeElapsedTime,
  decodeFqdn,
  decodeIaAddress,
  decodeIaNa,
  decodeMessage,
  decodeNtpServer,
  decodeOro,
  decodePreference,
  decodeStatusCode,
  dnsServersOption,
  domainListOption,
  elapsedTimeOption,
  encodeMessage,
  findOption,
  fqdnOption,
  iaNaOption,
  ntpServerOption,
  oroOption,
  preferenceOption,
  rapidCommitOption,
  serverIdOption,
  statusCodeOption,
  type Dhcp6Message,
  type IaNa,
  type NtpServer,
} from '../../src/operators/dhcp6/message.js';
import { Retransmission, REQUEST, SOLICIT } from '../../src/operators/dhcp6/retransmit.js';
import { Dhcp6DecodeError, Dhcp6EncodeError, Reader, encodeName, readName } from '../../src/operators/dhcp6/wire.js';

const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');

// A rapid-commit Reply as dnsmasq builds it (option order as dnsmasq writes them).
const CLIENT_DUID = '0003 0001 525400123456'; // DUID-LL, Ethernet, 52:54:00:12:34:56
const SERVER_DUID = '0001 0001 2a3b4c5d 525400abcdef'; // DUID-LLT, Ethernet, time, 52:54:00:ab:cd:ef
const DNSMASQ_REPLY = hex(
  '07 123456', // Reply, transaction id
  '0001 000a', CLIENT_DUID,
  '0002 000e', SERVER_DUID,
  '000e 0000', // rapid commit
  // IA_NA: IAID 0x00123456 (last 4 bytes of the MAC), T1 1800, T2 2880
  '0003 0035 00123456 00000708 00000b40',
  '  0005 0018 20010db8000000000000000000010002 00000e10 00001c20', // IAADDR 2001:db8::1:2, 3600/7200
  '  000d 0009 0000 73756363657373', // status success "success"
  '0017 0020 20010db8000000000000000000000053 20010db8000000000000000000000054', // DNS
  // domain list: example.com, lab.example.org
  '0018 001e 076578616d706c6503636f6d00 036c6162076578616d706c65036f726700',
  // NTP: server address 2001:db8::123, multicast ff05::101, server FQDN ntp.example.com
  '0038 003d',
  '  0001 0010 20010db8000000000000000000000123',
  '  0002 0010 ff050000000000000000000000000101',
  '  0003 0011 036e7470076578616d706c6503636f6d00',
  // client FQDN: flags S, node1.example.com
  '0027 0014 01 056e6f646531076578616d706c6503636f6d00',
);

describe('dnsmasq rapid-commit Reply', () => {
  const msg = decodeMessage(DNSMASQ_REPLY);

  it('decodes the header and every option', () => {
    expect(msg.type).toBe(MessageType.Reply);
    expect(msg.transactionId).toBe(0x123456);
    expect(msg.options.map((o) => o.code)).toEqual([1, 2, 14, 3, 23, 24, 56, 39]);
    expect(decodeDuid(findOption(msg.options, OptionCode.ClientId)!.data)).toEqual({ type: 'll', hwType: 1, linkLayerAddress: hex('525400123456') });
    expect(decodeDuid(findOption(msg.options, OptionCode.ServerId)!.data)).toEqual({
      type: 'llt',
      hwType: 1,
      time: 0x2a3b4c5d,
      linkLayerAddress: hex('525400abcdef'),
    });
    expect(decodeIaNa(findOption(msg.options, OptionCode.IaNa)!.data)).toEqual({
      iaid: 0x00123456,
      t1: 1800,
      t2: 2880,
      addresses: [{ address: '2001:db8::1:2', preferredLifetime: 3600, validLifetime: 7200 }],
      status: { code: StatusCode.Success, message: 'success' },
    });
    expect(decodeDnsServers(findOption(msg.options, OptionCode.DnsServers)!.data)).toEqual(['2001:db8::53', '2001:db8::54']);
    expect(decodeDomainList(findOption(msg.options, OptionCode.DomainList)!.data)).toEqual(['example.com', 'lab.example.org']);
    expect(decodeNtpServer(findOption(msg.options, OptionCode.NtpServer)!.data)).toEqual([
      { kind: 'address', address: '2001:db8::123' },
      { kind: 'multicast', address: 'ff05::101' },
      { kind: 'fqdn', name: 'ntp.example.com' },
    ]);
    expect(decodeFqdn(findOption(msg.options, OptionCode.ClientFqdn)!.data)).toEqual({ flags: 1, name: 'node1.example.com', partial: false });
  });

  it('is an offer for our client id and IAID, and gives the lease', () => {
    expect(isForClient(msg, hex(CLIENT_DUID))).toBe(true);
    expect(isForClient(msg, duidLL(hex('525400123457')))).toBe(false);
    const offer = examineOffer(msg, 0x00123456);
    expect(offer.ok).toBe(true);
    if (!offer.ok) return;
    const { lease, warnings } = buildLease(msg, offer, 1234);
    expect(warnings).toEqual([]);
    expect(lease).toEqual({
      address: '2001:db8::1:2',
      preferredLifetime: 3600,
      validLifetime: 7200,
      t1: 1800,
      t2: 2880,
      serverDuid: '00010001' + '2a3b4c5d525400abcdef',
      dns: ['2001:db8::53', '2001:db8::54'],
      domains: ['example.com', 'lab.example.org'],
      ntp: ['2001:db8::123', 'ntp.example.com'],
      fqdn: 'node1.example.com',
      acquiredAt: 1234,
    });
    expect(examineOffer(msg, 0x00123457)).toMatchObject({ ok: false, reason: 'no IA_NA with IAID 1193047' });
  });

  it('re-encodes to the same bytes', () => {
    expect(encodeMessage(msg)).toEqual(DNSMASQ_REPLY);
  });

  it('drops a malformed configuration option but keeps the address', () => {
    const bad = decodeMessage(DNSMASQ_REPLY);
    bad.options = bad.options.map((o) => (o.code === OptionCode.DnsServers ? { code: o.code, data: o.data.subarray(0, 20) } : o));
    const offer = examineOffer(bad, 0x00123456);
    if (!offer.ok) throw new Error(offer.reason);
    const { lease, warnings } = buildLease(bad, offer, 0);
    expect(lease.dns).toEqual([]);
    expect(lease.address).toBe('2001:db8::1:2');
    expect(warnings).toEqual([expect.stringContaining('option 23 ignored')]);
  });
});

describe('offers that are refused', () => {
  const client = hex(CLIENT_DUID);
  const base = (extra: Dhcp6Message['options']): Dhcp6Message => ({
    type: MessageType.Reply,
    transactionId: 1,
    options: [clientIdOption(client), serverIdOption(hex(SERVER_DUID)), ...extra],
  });
  const addr = { address: '2001:db8::5', preferredLifetime: 100, validLifetime: 200 };

  it('NoAddrsAvail inside the IA_NA', () => {
    const m = base([iaNaOption({ iaid: 7, t1: 0, t2: 0, addresses: [], status: { code: StatusCode.NoAddrsAvail, message: 'none' } })]);
    expect(examineOffer(m, 7)).toEqual({ ok: false, reason: 'IA_NA NoAddrsAvail: none', status: StatusCode.NoAddrsAvail });
  });

  it('a failure status at the top level', () => {
    const m = base([statusCodeOption({ code: StatusCode.UnspecFail, message: 'busy' }), iaNaOption({ iaid: 7, t1: 0, t2: 0, addresses: [addr] })]);
    expect(examineOffer(m, 7)).toMatchObject({ ok: false, status: StatusCode.UnspecFail });
  });

  it('T1 > T2, preferred > valid, valid 0', () => {
    expect(examineOffer(base([iaNaOption({ iaid: 7, t1: 50, t2: 40, addresses: [addr] })]), 7)).toMatchObject({ ok: false });
    const lifetimes = [
      { ...addr, preferredLifetime: 300 },
      { ...addr, address: '2001:db8::6', validLifetime: 0, preferredLifetime: 0 },
    ];
    expect(examineOffer(base([iaNaOption({ iaid: 7, t1: 0, t2: 0, addresses: lifetimes })]), 7)).toMatchObject({ ok: false, status: StatusCode.NoAddrsAvail });
    // a usable address after an unusable one is taken
    const offer = examineOffer(base([iaNaOption({ iaid: 7, t1: 0, t2: 0, addresses: [...lifetimes, { ...addr, address: '2001:db8::7' }] })]), 7);
    expect(offer).toMatchObject({ ok: true, address: { address: '2001:db8::7' } });
  });

  it('a message without server id or with another client id is not for us', () => {
    expect(isForClient({ type: 7, transactionId: 1, options: [clientIdOption(client)] }, client)).toBe(false);
    expect(isForClient({ type: 7, transactionId: 1, options: [serverIdOption(client)] }, client)).toBe(false);
  });
});

describe('DUIDs', () => {
  const mac = hex('525400123456');

  it('encodes and decodes LLT, EN, LL, UUID and other types', () => {
    const duids: Duid[] = [
      { type: 'llt', hwType: 1, time: 0x01020304, linkLayerAddress: mac },
      { type: 'en', enterpriseNumber: 9, identifier: hex('0a0b0c') },
      { type: 'll', hwType: 1, linkLayerAddress: mac },
      { type: 'uuid', uuid: hex('00112233445566778899aabbccddeeff') },
      { type: 'other', code: 99, data: hex('ff') },
    ];
    for (const d of duids) expect(decodeDuid(encodeDuid(d))).toEqual(d);
    expect(encodeDuid(duids[0]!)).toEqual(hex('0001 0001 01020304 525400123456'));
    expect(encodeDuid(duids[1]!)).toEqual(hex('0002 00000009 0a0b0c'));
    expect(duidLL(mac)).toEqual(hex('0003 0001 525400123456'));
  });

  it('counts DUID-LLT time from 2000-01-01 UTC', () => {
    const d = decodeDuid(duidLLT(mac, Date.UTC(2000, 0, 1, 0, 0, 10)));
    expect(d).toMatchObject({ type: 'llt', time: 10 });
  });

  it('parses configured hex and refuses what is not a DUID', () => {
    expect(parseDuidHex('00:03:00:01:52:54:00:12:34:56')).toEqual(duidLL(mac));
    expect(parseDuidHex('000300015254001234ab')).toEqual(hex('000300015254001234ab'));
    for (const bad of ['', 'xyz', '123', '0001', '0004 0011'.replace(' ', ''), '0001000100'])
      expect(() => parseDuidHex(bad)).toThrow(Dhcp6DecodeError);
    expect(() => parseDuidHex('ff'.repeat(131))).toThrow(Dhcp6DecodeError);
  });

  it('parses MACs', () => {
    expect(parseMac('52:54:00:12:34:56')).toEqual(mac);
    expect(parseMac('52-54-00-12-34-56')).toEqual(mac);
    expect(parseMac('5254.0012.3456')).toBeUndefined();
    expect(parseMac('52:54:00')).toBeUndefined();
  });
});

describe('DNS names', () => {
  it('encodes full and partial names', () => {
    expect(encodeName('a.bc')).toEqual(hex('01 61 02 6263 00'));
    expect(encodeName('a.bc.')).toEqual(hex('01 61 02 6263 00'));
    expect(encodeName('host', true)).toEqual(hex('04 686f7374'));
    expect(() => encodeName('a..b')).toThrow(Dhcp6EncodeError);
    expect(() => encodeName('a b')).toThrow(Dhcp6EncodeError);
    expect(() => encodeName('x'.repeat(64))).toThrow(Dhcp6EncodeError);
    expect(() => encodeName(Array(128).fill('ab').join('.'))).toThrow(Dhcp6EncodeError);
  });

  it('refuses compression pointers, missing terminators, odd characters', () => {
    const read = (h: string, partial = false) => readName(new Reader(hex(h)), partial);
    expect(read('01 61 00')).toEqual({ name: 'a', partial: false });
    expect(read('01 61', true)).toEqual({ name: 'a', partial: true });
    expect(() => read('01 61')).toThrow(Dhcp6DecodeError);
    expect(() => read('c0 0c')).toThrow(/compression/);
    expect(() => read('02 0a 62 00')).toThrow(/characters/);
    expect(() => read('02 2e 62 00')).toThrow(/characters/); // '.' inside a label
  });

  it('a partial FQDN (dnsmasq without a domain) and an empty one', () => {
    expect(decodeFqdn(hex('00 056e6f646531'))).toEqual({ flags: 0, name: 'node1', partial: true });
    expect(decodeFqdn(hex('00'))).toEqual({ flags: 0, name: '', partial: true });
    expect(decodeFqdn(hex('00 00'))).toEqual({ flags: 0, name: '', partial: false });
    expect(fqdnOption({ flags: 0, name: 'node1', partial: true }).data).toEqual(hex('00 056e6f646531'));
  });
});

describe('framing errors', () => {
  it('throws Dhcp6DecodeError on short or inconsistent bytes', () => {
    for (const h of ['', '07', '070000', '0c000000', '0d000000', '00000000', '07000000 0001', '07000000 0001 0005 aabb']) {
      expect(() => decodeMessage(hex(h)), h).toThrow(Dhcp6DecodeError);
    }
    expect(decodeMessage(hex('07000001'))).toEqual({ type: 7, transactionId: 1, options: [] });
  });

  it('typed options check their lengths', () => {
    expect(() => decodeDnsServers(hex('00'.repeat(17)))).toThrow(Dhcp6DecodeError);
    expect(() => decodeOro(hex('001700'))).toThrow(Dhcp6DecodeError);
    expect(() => decodeElapsedTime(hex('00'))).toThrow(Dhcp6DecodeError);
    expect(() => decodeIaNa(hex('00000001 00000002'))).toThrow(Dhcp6DecodeError);
    expect(() => decodeIaAddress(hex('00'.repeat(23)))).toThrow(Dhcp6DecodeError);
    expect(() => decodeStatusCode(hex('00'))).toThrow(Dhcp6DecodeError);
    expect(() => decodePreference(hex(''))).toThrow(Dhcp6DecodeError);
    expect(() => decodeNtpServer(hex('0001 0004 00000000'))).toThrow(Dhcp6DecodeError);
  });

  it('encoders refuse values that do not fit', () => {
    expect(() => encodeMessage({ type: 12, transactionId: 0, options: [] })).toThrow(Dhcp6EncodeError);
    expect(() => encodeMessage({ type: 1, transactionId: 0x1000000, options: [] })).toThrow(Dhcp6EncodeError);
    expect(() => iaNaOption({ iaid: -1, t1: 0, t2: 0, addresses: [] })).toThrow(Dhcp6EncodeError);
    expect(() => dnsServersOption(['10.0.0.1'])).toThrow(Dhcp6EncodeError);
    expect(elapsedTimeOption(1e9).data).toEqual(hex('ffff'));
  });
});

// ---- properties ----

const label = fc.stringMatching(/^[a-z0-9_-]{1,20}$/);
const domainName = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b));
const u32 = fc.nat({ max: 0xffffffff });
const status = fc.record({ code: fc.nat({ max: 0xffff }), message: fc.string({ maxLength: 20 }) });
const iaAddress = fc.record(
  { address: ipv6, preferredLifetime: u32, validLifetime: u32, status },
  { requiredKeys: ['address', 'preferredLifetime', 'validLifetime'] },
);
const iaNa: fc.Arbitrary<IaNa> = fc.record(
  { iaid: u32, t1: u32, t2: u32, addresses: fc.array(iaAddress, { maxLength: 3 }), status },
  { requiredKeys: ['iaid', 't1', 't2', 'addresses'] },
);
const ntpServer: fc.Arbitrary<NtpServer> = fc.oneof(
  ipv6.map((address) => ({ kind: 'address' as const, address })),
  ipv6.map((address) => ({ kind: 'multicast' as const, address })),
  domainName.map((name) => ({ kind: 'fqdn' as const, name })),
);

/** Decodes a message and every option it knows, as the client would. */
function decodeAll(buf: Buffer): void {
  const msg = decodeMessage(buf);
  for (const o of msg.options) {
    switch (o.code) {
      case OptionCode.ClientId:
      case OptionCode.ServerId:
        decodeDuid(o.data);
        break;
      case OptionCode.IaNa:
        decodeIaNa(o.data);
        break;
      case OptionCode.Oro:
        decodeOro(o.data);
        break;
      case OptionCode.StatusCode:
        decodeStatusCode(o.data);
        break;
      case OptionCode.DnsServers:
        decodeDnsServers(o.data);
        break;
      case OptionCode.DomainList:
        decodeDomainList(o.data);
        break;
      case OptionCode.ClientFqdn:
        decodeFqdn(o.data);
        break;
      case OptionCode.NtpServer:
        decodeNtpServer(o.data);
        break;
    }
  }
  examineOffer(msg, 0x00123456);
}

function onlyDecodeErrors(buf: Buffer): void {
  try {
    decodeAll(buf);
  } catch (err) {
    if (!(err instanceof Dhcp6DecodeError)) throw err;
  }
}

describe('properties', () => {
  it('typed options round-trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          xid: fc.nat({ max: 0xffffff }),
          type: fc.constantFrom(1, 2, 3, 5, 7, 11),
          ia: iaNa,
          dns: fc.array(ipv6, { maxLength: 4 }),
          domains: fc.array(domainName, { maxLength: 4 }),
          fqdn: fc.record({ flags: fc.nat({ max: 7 }), name: domainName, partial: fc.boolean() }),
          ntp: fc.array(ntpServer, { maxLength: 4 }),
          oro: fc.array(fc.nat({ max: 0xffff }), { maxLength: 6 }),
          elapsed: fc.nat({ max: 0xffff }),
          preference: fc.nat({ max: 255 }),
        }),
        (v) => {
          const options = [
            iaNaOption(v.ia),
            dnsServersOption(v.dns),
            domainListOption(v.domains),
            fqdnOption(v.fqdn),
            ntpServerOption(v.ntp),
            oroOption(v.oro),
            elapsedTimeOption(v.elapsed),
            preferenceOption(v.preference),
            rapidCommitOption(),
          ];
          const msg = decodeMessage(encodeMessage({ type: v.type, transactionId: v.xid, options }));
          expect(msg.type).toBe(v.type);
          expect(msg.transactionId).toBe(v.xid);
          const get = (code: number) => findOption(msg.options, code)!.data;
          expect(decodeIaNa(get(OptionCode.IaNa))).toEqual(v.ia);
          expect(decodeDnsServers(get(OptionCode.DnsServers))).toEqual(v.dns);
          expect(decodeDomainList(get(OptionCode.DomainList))).toEqual(v.domains);
          expect(decodeFqdn(get(OptionCode.ClientFqdn))).toEqual(v.fqdn);
          expect(decodeNtpServer(get(OptionCode.NtpServer))).toEqual(v.ntp);
          expect(decodeOro(get(OptionCode.Oro))).toEqual(v.oro);
          expect(decodeElapsedTime(get(OptionCode.ElapsedTime))).toBe(v.elapsed);
          expect(decodePreference(get(OptionCode.Preference))).toBe(v.preference);
          expect(get(OptionCode.RapidCommit).length).toBe(0);
        },
      ),
    );
  });

  it('raw messages round-trip', () => {
    const option = fc.record({ code: fc.nat({ max: 0xffff }), data: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) });
    const type = fc.integer({ min: 1, max: 255 }).filter((t) => t !== 12 && t !== 13);
    fc.assert(
      fc.property(type, fc.nat({ max: 0xffffff }), fc.array(option, { maxLength: 8 }), (t, xid, options) => {
        const m = { type: t, transactionId: xid, options };
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('random bytes give a message or a Dhcp6DecodeError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyDecodeErrors(Buffer.from(b))), { numRuns: 2000 });
  });

  it('a mangled dnsmasq Reply gives a message or a Dhcp6DecodeError', () => {
    const mutation = fc.record({
      cut: fc.nat({ max: DNSMASQ_REPLY.length }),
      flips: fc.array(fc.tuple(fc.nat({ max: DNSMASQ_REPLY.length - 1 }), fc.nat({ max: 255 })), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(mutation, ({ cut, flips }) => {
        const b = Buffer.from(DNSMASQ_REPLY);
        for (const [at, value] of flips) b[at] = value;
        onlyDecodeErrors(b.subarray(0, cut));
        onlyDecodeErrors(b);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('retransmission (RFC 8415 §15)', () => {
  it('Solicit: first RT above IRT, doubling, capped at SOL_MAX_RT', () => {
    const r = new Retransmission(SOLICIT, () => 0.5, undefined, true); // RAND 0, first RAND 0.05
    const waits: number[] = [];
    for (let i = 0; i < 14; i++) waits.push(r.next(0)!);
    expect(waits.slice(0, 4)).toEqual([1050, 2100, 4200, 8400]);
    expect(waits.at(-1)).toBe(3_600_000);
  });

  it('RAND spreads RT by ±10%, and a Solicit’s first RAND is never ≤ 0', () => {
    expect(new Retransmission(SOLICIT, () => 0, undefined, true).next(0)).toBe(1100);
    expect(new Retransmission(SOLICIT, () => 0.999999, undefined, true).next(0)).toBe(1000); // 1000.0001 rounds down
    expect(new Retransmission(REQUEST, () => 0, undefined).next(0)).toBe(900);
    const hi = new Retransmission(REQUEST, () => 1, undefined);
    expect([hi.next(0), hi.next(0)]).toEqual([1100, 2310]);
  });

  it('Request: at most REQ_MAX_RC transmissions, RT capped near REQ_MAX_RT', () => {
    const r = new Retransmission(REQUEST, () => 0.5, undefined);
    const waits: Array<number | undefined> = [];
    for (let i = 0; i < 11; i++) waits.push(r.next(0));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000, undefined]);
  });

  it('stops at the deadline, cutting the last wait', () => {
    const r = new Retransmission(SOLICIT, () => 0.5, 2500, true);
    expect(r.next(0)).toBe(1050);
    expect(r.next(1050)).toBe(1450);
    expect(r.next(2500)).toBeUndefined();
  });
});
