// Fuzz targets for DHCPv4 (IP/UDP frame, BOOTP message, typed options, the
// lease and its specs, the client) and DHCPv6 (message, options, DUID, the
// offer and lease, the client). Inputs are raw bytes, messages built with the
// encoders and then mutated where the option headers are, and packets recorded
// from dnsmasq, mutated the same way.
import fc from 'fast-check';
import { Dhcp4Client, type Dhcp4State } from '../../src/operators/dhcp4/client.js';
import { Dhcp4DecodeError } from '../../src/operators/dhcp4/errors.js';
import { parseUdpPacket, udpPacket } from '../../src/operators/dhcp4/frame.js';
import { leaseFromAck, type Dhcp4Lease } from '../../src/operators/dhcp4/lease.js';
import { leaseSpecs as leaseSpecs4 } from '../../src/operators/dhcp4/lease-specs.js';
import { MessageType as Msg4, OPT, readOptions, writeOptions, type Dhcp4OptionValues } from '../../src/operators/dhcp4/options.js';
import { BOOTREPLY, decodeMessage as decode4, encodeMessage as encode4, newMessage } from '../../src/operators/dhcp4/packet.js';
import { Dhcp6Client, type Dhcp6Lease } from '../../src/operators/dhcp6/client.js';
import { decodeDuid, duidLL } from '../../src/operators/dhcp6/duid.js';
import { buildLease, examineOffer, isForClient } from '../../src/operators/dhcp6/lease.js';
import { leaseSpecs as leaseSpecs6 } from '../../src/operators/dhcp6/lease-specs.js';
import {
  MessageType as Msg6,
  OptionCode,
  decodeDnsServers,
  decodeDomainList,
  decodeElapsedTime,
  decodeFqdn,
  decodeIaAddress,
  decodeIaNa,
  decodeMessage as decode6,
  decodeNtpServer,
  decodeOro,
  decodePreference,
  decodeStatusCode,
  encodeMessage as encode6,
  findOption,
  type Dhcp6Message,
  type Dhcp6Option,
} from '../../src/operators/dhcp6/message.js';
import { Dhcp6DecodeError } from '../../src/operators/dhcp6/wire.js';
import type { Clock } from '../../src/operators/clock.js';
import { seeds } from './seeds.js';
import { ContractViolation, bufferHex, chunksHex, expectTyped, hexBuffer, hexChunks, type FuzzTarget } from './target.js';

// ---------------------------------------------------------------------------
// shared pieces

/** A clock whose timers run only when advanced. */
class FakeClock implements Clock {
  t = 1_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + ms, fn });
    return id;
  }
  clearTimeout(t: unknown): void {
    this.timers.delete(t as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Runs timers due within `ms` (at most `limit` of them: a client must not spin). */
  advance(ms: number, limit = 1000): void {
    const end = this.t + ms;
    for (let n = 0; ; n++) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      if (n >= limit) throw new ContractViolation(`more than ${limit} timers fired within ${ms} ms`);
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].fn();
    }
    this.t = end;
  }
}

/** Calls `fn` as the socket would: nothing may come back out of it. */
function fromSocket(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    throw new ContractViolation(`${what} threw out of the socket callback: ${(e as Error)?.stack ?? String(e)}`, { cause: e });
  }
}

export type OptionEdit =
  | { op: 'len'; pick: number; value: number }
  | { op: 'code'; pick: number; value: number }
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array };

const optionEditArb: fc.Arbitrary<OptionEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('len' as const), pick: fc.nat(), value: fc.oneof(fc.nat(8), fc.nat(0xffff)) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('code' as const), pick: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 3, 6, 12, 15, 26, 50, 51, 52, 53, 54, 119, 121, 255), fc.nat(0xffff)) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);
const optionEditsArb = fc.array(optionEditArb, { minLength: 1, maxLength: 4 });

/**
 * Applies edits; `lengthAt` lists [offset of a length field, its width] (a DHCPv4
 * option's 1-byte length, a DHCPv6 option's 2-byte one), `codeAt` the codes.
 */
function applyEdits(bytes: Buffer, fields: { len: Array<[number, 1 | 2]>; code: Array<[number, 1 | 2]> }, edits: readonly OptionEdit[]): Buffer {
  let b = Buffer.from(bytes);
  const write = ([at, width]: [number, 1 | 2], v: number) => {
    if (at + width > b.length) return;
    if (width === 1) b[at] = v & 0xff;
    else b.writeUInt16BE(v & 0xffff, at);
  };
  for (const e of edits) {
    switch (e.op) {
      case 'len':
        if (fields.len.length > 0) write(fields.len[e.pick % fields.len.length]!, e.value);
        break;
      case 'code':
        if (fields.code.length > 0) write(fields.code[e.pick % fields.code.length]!, e.value);
        break;
      case 'flip':
        if (b.length > 0) b[e.at % b.length] = e.value;
        break;
      case 'truncate':
        b = b.subarray(0, e.at % (b.length + 1));
        break;
      case 'insert': {
        const at = e.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

const NAMES = ['example.com', 'corp.example.com', 'a', 'x'.repeat(63) + '.example', 'sub.a.b.c.d', 'host-1'];
const ip4 = fc.oneof(fc.constantFrom('192.168.1.1', '192.168.1.50', '0.0.0.0', '255.255.255.255', '10.0.0.1', '169.254.1.1', '127.0.0.1', '224.0.0.1'), fc.ipV4());

// ---------------------------------------------------------------------------
// DHCPv4

const MAC = '52:54:00:12:34:56';
const CHADDR = Buffer.from('525400123456', 'hex');
const SERVER4 = '192.168.1.1';

const typedOptions4: fc.Arbitrary<Dhcp4OptionValues> = fc.record(
  {
    messageType: fc.oneof(fc.constantFrom(Msg4.Offer, Msg4.Ack, Msg4.Nak), fc.nat(255)),
    subnetMask: fc.oneof(fc.constantFrom('255.255.255.0', '255.255.0.0', '255.255.255.255', '0.0.0.0', '255.0.255.0'), ip4),
    routers: fc.array(ip4, { minLength: 1, maxLength: 3 }),
    dns: fc.array(ip4, { minLength: 1, maxLength: 3 }),
    hostname: fc.oneof(fc.constantFrom('node-1', 'a b', 'x\ny', 'h'.repeat(64), '\u0000pad\u0000'), fc.string({ minLength: 1, maxLength: 20 })),
    domainName: fc.oneof(fc.constantFrom(...NAMES), fc.string({ minLength: 1, maxLength: 20 })),
    mtu: fc.oneof(fc.constantFrom(68, 67, 1500, 9000, 0), fc.nat(0xffff)),
    ntp: fc.array(ip4, { minLength: 1, maxLength: 2 }),
    leaseTime: fc.oneof(fc.constantFrom(0, 1, 60, 3600, 0xffffffff, 0xfffffffe), fc.nat()),
    serverId: fc.oneof({ weight: 4, arbitrary: fc.constant(SERVER4) }, { weight: 1, arbitrary: ip4 }),
    renewalTime: fc.nat(),
    rebindingTime: fc.nat(),
    clientId: fc.uint8Array({ minLength: 2, maxLength: 16 }).map((b) => Buffer.from(b)),
    domainSearch: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
    classlessRoutes: fc.array(fc.record({ dst: fc.tuple(ip4, fc.nat(32)).map(([a, n]) => `${a}/${n}`), router: ip4 }), { minLength: 1, maxLength: 4 }),
  },
  { requiredKeys: ['messageType'] },
);

/** A BOOTREPLY to our client (xid patched later), options typed or raw, sometimes overloaded into sname/file. */
const bootReplyArb: fc.Arbitrary<Buffer> = fc
  .record({
    values: typedOptions4,
    raw: fc.array(fc.record({ code: fc.oneof(fc.constantFrom(1, 3, 6, 12, 15, 26, 42, 51, 53, 54, 58, 61, 119, 121), fc.integer({ min: 1, max: 254 })), data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 3 }),
    yiaddr: fc.oneof({ weight: 4, arbitrary: fc.constant('192.168.1.50') }, { weight: 1, arbitrary: ip4 }),
    hlen: fc.oneof({ weight: 6, arbitrary: fc.constant(6) }, { weight: 1, arbitrary: fc.nat(255) }),
    overload: fc.option(fc.record({ mode: fc.oneof(fc.constantFrom(1, 2, 3), fc.nat(255)), area: fc.uint8Array({ maxLength: 64 }) }), { freq: 4, nil: undefined }),
  })
  .map(({ values, raw, yiaddr, hlen, overload }) => {
    const options = writeOptions(values);
    for (const r of raw) options.set(r.code, Buffer.from(r.data));
    if (overload) options.set(OPT.Overload, Buffer.of(overload.mode));
    const b = encode4(newMessage({ op: BOOTREPLY, xid: 0, chaddr: CHADDR, yiaddr, options }));
    b[2] = hlen;
    if (overload) {
      // options in the file (108..235) and sname (44..107) fields
      b.set(overload.area.subarray(0, 128), 108);
      b.set(overload.area.subarray(0, 64), 44);
    }
    return b;
  });

/** Where the option codes and lengths are, walking the options area as the decoder does. */
function optionFields4(b: Buffer): { len: Array<[number, 1]>; code: Array<[number, 1]> } {
  const len: Array<[number, 1]> = [];
  const code: Array<[number, 1]> = [];
  for (let pos = 240; pos < b.length; ) {
    const c = b[pos]!;
    if (c === 0) {
      pos++;
      continue;
    }
    if (c === 255 || pos + 1 >= b.length) break;
    code.push([pos, 1]);
    len.push([pos + 1, 1]);
    pos += 2 + b[pos + 1]!;
  }
  return { len, code };
}

/** Up to a jumbo frame's worth (9000 bytes) of repeats of a few options: decoding must stay linear. */
function repeatsArb(head: fc.Arbitrary<Buffer>, option: (code: number, data: Uint8Array) => Buffer, codes: fc.Arbitrary<number>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(head, fc.array(fc.record({ code: codes, data: fc.uint8Array({ maxLength: 6 }) }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 500, max: 9000 }))
    .map(([h, pattern, size]) => {
      const unit = Buffer.concat(pattern.map((p) => option(p.code, p.data)));
      const n = Math.max(1, Math.floor((size - h.length) / Math.max(1, unit.length)));
      return Buffer.concat([h, ...Array.from({ length: n }, () => unit)]);
    });
}

/**
 * Option 119 data of compression pointers that point at earlier pointers (each
 * name walks back through them), up to a 64 KiB packet, split into 255-byte
 * instances (RFC 3396): decoding must stay bounded.
 */
function pointerChainsArb(head: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(head, fc.integer({ min: 200, max: 65_000 }), fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1000, max: 9000 })), fc.nat(3)).map(([h, size, depth, label]) => {
    const data = Buffer.alloc(size);
    let root = 0;
    for (let p = 1; p + 2 <= size; p += 2) {
      if ((p - root) / 2 > depth) {
        root = p; // a new chain starts at a root label (or a one-letter one)
        data[p] = label === 0 ? 0 : 1;
        if (label !== 0 && p + 1 < size) data[p + 1] = 0x61;
        continue;
      }
      const target = Math.min(p - 2 < root ? root : p - 2, 0x3fff);
      data[p] = 0xc0 | (target >> 8);
      data[p + 1] = target & 0xff;
    }
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 255) {
      const part = data.subarray(i, i + 255);
      chunks.push(Buffer.of(OPT.DomainSearch, part.length), part);
    }
    return Buffer.concat([h, Buffer.of(OPT.MessageType, 1, Msg4.Ack, OPT.ServerId, 4, 192, 168, 1, 1), ...chunks, Buffer.of(OPT.End)]);
  });
}

function dhcp4PayloadArb(): fc.Arbitrary<Buffer> {
  const recorded = seeds('dhcp4-').map((s) => parseUdpPacket(s.bytes, { verifyChecksum: false })?.payload ?? s.bytes);
  const mutated = (base: fc.Arbitrary<Buffer>) => fc.tuple(base, optionEditsArb).map(([b, edits]) => applyEdits(b, optionFields4(b), edits));
  // a reply's fixed part and cookie, then the repeats (and no End)
  const head = bootReplyArb.map((b) => b.subarray(0, 240));
  const big = repeatsArb(head, (code, data) => Buffer.concat([Buffer.of(code, data.length), data]), fc.oneof(fc.constantFrom(3, 6, 12, 15, 119, 121, 53, 54), fc.integer({ min: 1, max: 254 })));
  return fc.oneof(
    { weight: 1, arbitrary: big },
    { weight: 1, arbitrary: pointerChainsArb(head) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)) },
    { weight: 3, arbitrary: bootReplyArb },
    { weight: 4, arbitrary: mutated(bootReplyArb) },
    ...(recorded.length > 0 ? [{ weight: 3, arbitrary: mutated(fc.constantFrom(...recorded)) }] : []),
  );
}

const isDhcp4Error = (e: unknown) => e instanceof Dhcp4DecodeError;

/** The decode path of a received payload: message, typed options, the lease of an ACK, its specs. */
function decodeDhcp4(payload: Buffer): void {
  const m = expectTyped('decodeMessage (dhcp4)', () => decode4(payload), isDhcp4Error);
  if (!m) return;
  expectTyped('readOptions (dhcp4)', () => readOptions(m.options), isDhcp4Error);
  const reported: unknown[] = [];
  const lease = expectTyped('leaseFromAck', () => leaseFromAck(m, { now: 0, hostnameRequested: true, serverId: SERVER4, onError: (e) => reported.push(e) }), () => false);
  for (const e of reported) if (!(e instanceof Dhcp4DecodeError)) throw new ContractViolation(`leaseFromAck reported ${String(e)}`);
  if (lease) checkLease4(lease);
}

function checkLease4(lease: Dhcp4Lease): void {
  expectTyped('leaseSpecs (dhcp4)', () => leaseSpecs4(lease, { linkName: 'eth0', routeMetric: 0, skipHostnameRequest: false }), () => false);
}

/** A client in `phase` (0 selecting, 1 requesting, 2 renewing) gets the payload (xid and chaddr made its own), then a clean exchange. */
function runClient4(phase: number, raw: Buffer): void {
  const clock = new FakeClock();
  let handler: ((p: Buffer) => void) | undefined;
  const sent: Buffer[] = [];
  const leases: Array<Dhcp4Lease | undefined> = [];
  const errors: unknown[] = [];
  const client = new Dhcp4Client(
    { mac: MAC, requestHostname: true, onLease: (l) => leases.push(l), onError: (e) => errors.push(e) },
    {
      transport: {
        broadcast: async (p) => void sent.push(p),
        unicast: async (p) => void sent.push(p),
        listen: (h) => ((handler = h), () => (handler = undefined)),
      },
      clock,
      random: () => 0.5,
    },
  );
  const xid = () => decode4(sent.at(-1)!).xid;
  const reply = (type: number, opts: Dhcp4OptionValues = {}) =>
    encode4(newMessage({ op: BOOTREPLY, xid: xid(), chaddr: CHADDR, yiaddr: '192.168.1.50', options: writeOptions({ messageType: type, serverId: SERVER4, leaseTime: 3600, subnetMask: '255.255.255.0', routers: [SERVER4], ...opts }) }));
  const state = (): Dhcp4State => client.currentState;
  const deliver = (p: Buffer, what: string) => fromSocket(`the DHCPv4 client (${state()}, ${what})`, () => handler?.(p));
  fromSocket('start', () => client.start());
  if (phase >= 1) deliver(reply(Msg4.Offer), 'offer');
  if (phase >= 2) {
    deliver(reply(Msg4.Ack), 'ack');
    fromSocket('the renewal timer', () => clock.advance(1800_000 + 1));
  }
  const payload = Buffer.from(raw);
  if (payload.length >= 34) {
    payload.writeUInt32BE(xid(), 4);
    CHADDR.copy(payload, 28);
  }
  let bad = false;
  try {
    decode4(payload);
  } catch {
    bad = true;
  }
  const before = { state: state(), errors: errors.length, leases: leases.length };
  deliver(payload, 'fuzzed packet');
  if (bad) {
    // dropped: one report, nothing changed, and the client goes on
    if (errors.length !== before.errors + 1) throw new ContractViolation(`a malformed packet was reported ${errors.length - before.errors} times`);
    if (state() !== before.state || leases.length !== before.leases) throw new ContractViolation(`a malformed packet moved the client from ${before.state} to ${state()}`);
    if (state() === 'selecting') deliver(reply(Msg4.Offer), 'offer after the bad packet');
    deliver(reply(Msg4.Ack), 'ack after the bad packet');
    if (state() !== 'bound') throw new ContractViolation(`after a malformed packet a clean exchange ended in ${state()}`);
  }
  for (const l of leases) if (l) checkLease4(l);
  fromSocket('timers', () => clock.advance(200_000));
  client.stop();
}

/** IPv4/UDP packets around a DHCP payload, with their header fields mutated. */
function framesArb(): fc.Arbitrary<Buffer> {
  const recorded = seeds('dhcp4-').map((s) => s.bytes);
  const built = fc
    .record({ payload: fc.uint8Array({ maxLength: 300 }), src: ip4, dst: ip4, srcPort: fc.oneof(fc.constant(67), fc.nat(0xffff)), dstPort: fc.oneof(fc.constant(68), fc.nat(0xffff)) })
    .map((f) => udpPacket({ ...f, payload: Buffer.from(f.payload) }));
  const headerEdits = fc.array(fc.record({ at: fc.oneof(fc.nat(27), fc.nat()), value: fc.nat(255) }), { maxLength: 4 });
  const edited = (base: fc.Arbitrary<Buffer>) =>
    fc.tuple(base, headerEdits, fc.option(fc.nat(), { nil: undefined }), fc.uint8Array({ maxLength: 16 })).map(([b0, edits, cut, tail]) => {
      let b = Buffer.from(b0);
      for (const e of edits) if (b.length > 0) b[e.at % Math.min(b.length, e.at < 28 ? 28 : b.length)] = e.value;
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      return Buffer.concat([b, tail]);
    });
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)) },
    { weight: 3, arbitrary: edited(built) },
    ...(recorded.length > 0 ? [{ weight: 3, arbitrary: edited(fc.constantFrom(...recorded)) }] : []),
  );
}

// ---------------------------------------------------------------------------
// DHCPv6

const MAC6 = Buffer.from('525400123456', 'hex');
const CLIENT_DUID = duidLL(MAC6);
const IAID = MAC6.readUInt32BE(2);
const SERVER_DUID = duidLL(Buffer.from('525400abcdef', 'hex'));

function opt(code: number, ...parts: Uint8Array[]): Dhcp6Option {
  return { code, data: Buffer.concat(parts) };
}
const be32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const be16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
};
function tlvs(options: readonly Dhcp6Option[]): Buffer {
  return Buffer.concat(options.flatMap((o) => [be16(o.code), be16(o.data.length), o.data]));
}
/** RFC 1035 labels, sometimes with a compression pointer or a bad label. */
const wireName = fc.oneof(
  fc.constantFrom(...NAMES).map((n) => Buffer.concat([...n.split('.').map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])), Buffer.of(0)])),
  fc.constantFrom(Buffer.from([0xc0, 0x00]), Buffer.from([3, 0x61, 0x20, 0x62, 0]), Buffer.from([64, 0x61]), Buffer.from([1, 0x61])),
  fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
);
const lifetime = fc.oneof(fc.constantFrom(0, 1, 3600, 0xffffffff, 0xfffffffe), fc.nat());
const ip6 = fc.oneof(fc.constant(Buffer.from('20010db8000000000000000000000100', 'hex')), fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)));
const status = fc.tuple(fc.oneof(fc.nat(6), fc.nat(0xffff)), fc.string({ maxLength: 12 })).map(([code, msg]) => opt(OptionCode.StatusCode, be16(code), Buffer.from(msg)));
const iaAddr = fc
  .tuple(ip6, lifetime, lifetime, fc.option(status, { nil: undefined }))
  .map(([a, p, v, s]) => opt(OptionCode.IaAddr, a, be32(Math.min(p, v)), be32(v), s ? tlvs([s]) : Buffer.alloc(0)));
const iaNa = fc
  .tuple(fc.oneof({ weight: 5, arbitrary: fc.constant(IAID) }, { weight: 1, arbitrary: fc.nat() }), lifetime, lifetime, fc.array(fc.oneof(iaAddr, status), { maxLength: 3 }))
  .map(([iaid, t1, t2, inner]) => opt(OptionCode.IaNa, be32(iaid), be32(Math.min(t1, t2)), be32(t2), tlvs(inner)));
const ntp = fc
  .array(fc.oneof(ip6.map((a) => opt(1, a)), ip6.map((a) => opt(2, a)), wireName.map((n) => opt(3, n)), fc.uint8Array({ maxLength: 10 }).map((b) => opt(9, b))), { maxLength: 3 })
  .map((subs) => opt(OptionCode.NtpServer, tlvs(subs)));
const option6 = fc.oneof(
  iaNa,
  iaNa,
  status,
  fc.nat(255).map((p) => opt(OptionCode.Preference, Buffer.of(p))),
  fc.constant(opt(OptionCode.RapidCommit)),
  fc.array(ip6, { maxLength: 3 }).map((a) => opt(OptionCode.DnsServers, ...a)),
  fc.array(wireName, { maxLength: 3 }).map((n) => opt(OptionCode.DomainList, ...n)),
  fc.tuple(fc.nat(7), wireName).map(([f, n]) => opt(OptionCode.ClientFqdn, Buffer.of(f), n)),
  ntp,
  fc.record({ code: fc.nat(0xffff), data: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)) }),
);

/** An Advertise or Reply to our client (xid patched later), with server and client IDs mostly right. */
const dhcp6MessageArb: fc.Arbitrary<Buffer> = fc
  .record({
    type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(Msg6.Advertise, Msg6.Reply) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 11 }) }),
    server: fc.oneof({ weight: 5, arbitrary: fc.constant(SERVER_DUID) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 140 }).map((b) => Buffer.from(b)) }),
    client: fc.oneof({ weight: 6, arbitrary: fc.constant(CLIENT_DUID) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)) }),
    ia: fc.option(iaNa, { freq: 8, nil: undefined }),
    options: fc.array(option6, { maxLength: 6 }),
  })
  .map((m) => encode6({ type: m.type, transactionId: 0, options: [opt(OptionCode.ServerId, m.server), opt(OptionCode.ClientId, m.client), ...(m.ia ? [m.ia] : []), ...m.options] }));

/** Option codes and lengths, descending into IA_NA, IAADDR and NTP suboptions. */
function optionFields6(b: Buffer): { len: Array<[number, 2]>; code: Array<[number, 2]> } {
  const len: Array<[number, 2]> = [];
  const code: Array<[number, 2]> = [];
  const walk = (start: number, end: number, depth: number) => {
    for (let pos = start; pos + 4 <= end; ) {
      const c = b.readUInt16BE(pos);
      const l = b.readUInt16BE(pos + 2);
      if (pos + 4 + l > end) return;
      code.push([pos, 2]);
      len.push([pos + 2, 2]);
      if (depth < 3) {
        if (c === OptionCode.IaNa) walk(pos + 16, pos + 4 + l, depth + 1);
        else if (c === OptionCode.IaAddr) walk(pos + 28, pos + 4 + l, depth + 1);
        else if (c === OptionCode.NtpServer) walk(pos + 4, pos + 4 + l, depth + 1);
      }
      pos += 4 + l;
    }
  };
  walk(4, b.length, 0);
  return { len, code };
}

function dhcp6PayloadArb(): fc.Arbitrary<Buffer> {
  const recorded = seeds('dhcp6-').map((s) => s.bytes);
  const mutated = (base: fc.Arbitrary<Buffer>) => fc.tuple(base, optionEditsArb).map(([b, edits]) => applyEdits(b, optionFields6(b), edits));
  const big = repeatsArb(dhcp6MessageArb, (code, data) => tlvs([{ code, data: Buffer.from(data) }]), fc.oneof(fc.constantFrom(3, 5, 13, 23, 24, 39, 56), fc.nat(0xffff)));
  return fc.oneof(
    { weight: 1, arbitrary: big },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 3, arbitrary: dhcp6MessageArb },
    { weight: 4, arbitrary: mutated(dhcp6MessageArb) },
    ...(recorded.length > 0 ? [{ weight: 3, arbitrary: mutated(fc.constantFrom(...recorded)) }] : []),
  );
}

const isDhcp6Error = (e: unknown) => e instanceof Dhcp6DecodeError;

/** The decode path of a received payload: message, offer, lease, specs; and every option decoder on every option. */
function decodeDhcp6(payload: Buffer): void {
  const m = expectTyped('decodeMessage (dhcp6)', () => decode6(payload), isDhcp6Error);
  if (!m) return;
  const decoders: Record<number, (d: Buffer) => unknown> = {
    [OptionCode.ClientId]: decodeDuid,
    [OptionCode.ServerId]: decodeDuid,
    [OptionCode.IaNa]: decodeIaNa,
    [OptionCode.IaAddr]: decodeIaAddress,
    [OptionCode.Oro]: decodeOro,
    [OptionCode.Preference]: decodePreference,
    [OptionCode.ElapsedTime]: decodeElapsedTime,
    [OptionCode.StatusCode]: decodeStatusCode,
    [OptionCode.DnsServers]: decodeDnsServers,
    [OptionCode.DomainList]: decodeDomainList,
    [OptionCode.ClientFqdn]: decodeFqdn,
    [OptionCode.NtpServer]: decodeNtpServer,
  };
  for (const o of m.options) {
    const d = decoders[o.code];
    if (d) expectTyped(`option ${o.code} decoder`, () => d(o.data), isDhcp6Error);
  }
  isForClient(m, CLIENT_DUID);
  const offer = expectTyped('examineOffer', () => examineOffer(m, IAID), isDhcp6Error);
  if (offer?.ok) {
    const built = expectTyped('buildLease', () => buildLease(m, offer, 0), () => false);
    if (built) checkLease6(built.lease);
  }
}

function checkLease6(lease: Dhcp6Lease): void {
  expectTyped('leaseSpecs (dhcp6)', () => leaseSpecs6(lease, { linkName: 'eth0', skipHostnameRequest: false }), () => false);
}

/** A client in `phase` (0 soliciting, 1 requesting after an Advertise, 2 renewing) gets the payload, then a clean exchange. */
function runClient6(phase: number, raw: Buffer): void {
  const clock = new FakeClock();
  let handler: ((p: Buffer, from: string) => void) | undefined;
  const sent: Dhcp6Message[] = [];
  const leases: Array<Dhcp6Lease | undefined> = [];
  let debug = 0;
  let xid = 0;
  const client = new Dhcp6Client({
    linkName: 'eth0',
    hardwareAddr: MAC,
    transport: { send: async (p) => void sent.push(decode6(p)), listen: (h) => ((handler = h), () => (handler = undefined)) },
    onLease: (l) => leases.push(l),
    clock,
    random: () => 0.5,
    transactionId: () => ++xid,
    log: { debug: () => void debug++, info() {}, warn() {} },
  });
  const answer = (type: number) =>
    encode6({
      type,
      transactionId: sent.at(-1)!.transactionId,
      options: [
        opt(OptionCode.ServerId, SERVER_DUID),
        opt(OptionCode.ClientId, CLIENT_DUID),
        opt(OptionCode.IaNa, be32(IAID), be32(1800), be32(2880), tlvs([opt(OptionCode.IaAddr, Buffer.from('20010db8000000000000000000000100', 'hex'), be32(3600), be32(3600))])),
      ],
    });
  const deliver = (p: Buffer, what: string) => fromSocket(`the DHCPv6 client (${what})`, () => handler?.(p, 'fe80::1'));
  fromSocket('start', () => {
    client.start();
    clock.advance(1000);
  });
  if (phase >= 1) deliver(answer(Msg6.Advertise), 'advertise');
  if (phase >= 2) {
    deliver(answer(Msg6.Reply), 'reply');
    fromSocket('the renewal timer', () => clock.advance(1800_000 + 1));
  }
  const payload = Buffer.from(raw);
  if (payload.length >= 4 && sent.length > 0) payload.writeUIntBE(sent.at(-1)!.transactionId, 1, 3);
  // is it one the client must drop (and log once)?
  let bad = false;
  try {
    const m = decode6(payload);
    // the client examines a Reply, and while soliciting an Advertise too
    const examined = phase === 1 ? [Msg6.Reply] : [Msg6.Advertise, Msg6.Reply];
    if (sent.length > 0 && m.transactionId === sent.at(-1)!.transactionId && isForClient(m, CLIENT_DUID) && (examined as number[]).includes(m.type)) examineOffer(m, IAID);
  } catch {
    bad = true;
  }
  const before = { debug, leases: leases.length, lease: client.lease };
  deliver(payload, 'fuzzed packet');
  if (bad) {
    if (debug !== before.debug + 1) throw new ContractViolation(`a malformed packet gave ${debug - before.debug} debug lines`);
    if (leases.length !== before.leases || client.lease !== before.lease) throw new ContractViolation('a malformed packet changed the lease');
    const lease = client.lease;
    if (phase === 0) deliver(answer(Msg6.Advertise), 'advertise after the bad packet');
    deliver(answer(Msg6.Reply), 'reply after the bad packet');
    if (!client.lease || client.lease === lease) throw new ContractViolation('after a malformed packet a clean exchange gave no lease');
  }
  for (const l of leases) if (l) checkLease6(l);
  fromSocket('timers', () => clock.advance(200_000));
  client.stop();
}

// ---------------------------------------------------------------------------
// targets

function bytesTarget(name: string, about: string, arbitrary: () => fc.Arbitrary<Buffer>, run: (b: Buffer) => void): FuzzTarget<Buffer> {
  let arb: fc.Arbitrary<Buffer> | undefined;
  return {
    name,
    about,
    get arbitrary() {
      return (arb ??= arbitrary());
    },
    run,
    hex: bufferHex,
    fromHex: hexBuffer,
  };
}

function clientTarget(name: string, about: string, payload: () => fc.Arbitrary<Buffer>, run: (phase: number, b: Buffer) => void): FuzzTarget<Buffer[]> {
  let arb: fc.Arbitrary<Buffer[]> | undefined;
  return {
    name,
    about,
    get arbitrary() {
      return (arb ??= fc.tuple(fc.nat(2), payload()).map(([phase, p]) => [Buffer.of(phase), p]));
    },
    // async: the clients' sends are promises; run synchronously case after case,
    // their settlements would pile up in the microtask queue (1 GiB by 112k cases)
    run: async ([phase, payload]) => run((phase?.[0] ?? 0) % 3, payload ?? Buffer.alloc(0)),
    async: true,
    hex: chunksHex,
    fromHex: hexChunks,
  };
}

export const dhcpTargets: Array<FuzzTarget<Buffer> | FuzzTarget<Buffer[]>> = [
  bytesTarget('dhcp4-frame', 'IPv4/UDP around a DHCP payload: a datagram or undefined, never a throw', framesArb, (b) => {
    for (const verifyChecksum of [true, false]) {
      const d = expectTyped('parseUdpPacket', () => parseUdpPacket(b, { verifyChecksum }), () => false);
      if (d && d.payload.length > b.length) throw new ContractViolation('a payload longer than the packet');
    }
  }),
  bytesTarget('dhcp4-message', 'BOOTP message, options (overload, 119, 121), the lease of an ACK and its specs', dhcp4PayloadArb, decodeDhcp4),
  clientTarget('dhcp4-client', 'the client in selecting/requesting/renewing gets the packet: nothing thrown; a bad one is reported once and the next exchange binds', dhcp4PayloadArb, runClient4),
  bytesTarget('dhcp6-message', 'message, every option decoder, DUIDs, the offer, the lease and its specs', dhcp6PayloadArb, decodeDhcp6),
  clientTarget('dhcp6-client', 'the client soliciting/requesting/renewing gets the packet: nothing thrown; a bad one is logged once and the next exchange binds', dhcp6PayloadArb, runClient6),
];

/** For regression tests: the checks the targets make, by name. */
export const dhcpChecks = { decodeDhcp4, decodeDhcp6, runClient4, runClient6, findOption };
