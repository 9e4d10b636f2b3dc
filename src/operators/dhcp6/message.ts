// DHCPv6 client/server messages (RFC 8415 §8): msg-type, a 3-byte transaction
// id, then options as code(2) length(2) data TLVs. Options are kept raw in the
// message; the typed helpers below build and read the ones the client uses.
// Relay messages (12, 13) have another header and are refused.
import { formatIPv6, parseIPv6 } from '../../net/ip.js';
import { Dhcp6DecodeError, Dhcp6EncodeError, Reader, encodeName, readName } from './wire.js';

export const MessageType = {
  Solicit: 1,
  Advertise: 2,
  Request: 3,
  Confirm: 4,
  Renew: 5,
  Rebind: 6,
  Reply: 7,
  Release: 8,
  Decline: 9,
  Reconfigure: 10,
  InformationRequest: 11,
  RelayForw: 12,
  RelayRepl: 13,
} as const;

export const OptionCode = {
  ClientId: 1,
  ServerId: 2,
  IaNa: 3,
  IaAddr: 5,
  Oro: 6,
  Preference: 7,
  ElapsedTime: 8,
  StatusCode: 13,
  RapidCommit: 14,
  DnsServers: 23,
  DomainList: 24,
  ClientFqdn: 39,
  NtpServer: 56,
} as const;

export const StatusCode = {
  Success: 0,
  UnspecFail: 1,
  NoAddrsAvail: 2,
  NoBinding: 3,
  NotOnLink: 4,
  UseMulticast: 5,
  NoPrefixAvail: 6,
} as const;

/** RFC 5908 §4: suboptions of the NTP server option. */
export const NtpSuboption = { ServerAddress: 1, MulticastAddress: 2, ServerFqdn: 3 } as const;

/** Lifetimes and T1/T2 of 0xffffffff mean infinity (RFC 8415 §7.7). */
export const INFINITY = 0xffffffff;

export interface Dhcp6Option {
  code: number;
  data: Buffer;
}

export interface Dhcp6Message {
  type: number;
  /** 24-bit transaction id. */
  transactionId: number;
  options: Dhcp6Option[];
}

export interface Status {
  code: number;
  message: string;
}

export interface IaAddress {
  address: string;
  /** Seconds. */
  preferredLifetime: number;
  /** Seconds. */
  validLifetime: number;
  status?: Status;
}

export interface IaNa {
  iaid: number;
  /** Seconds. */
  t1: number;
  /** Seconds. */
  t2: number;
  addresses: IaAddress[];
  status?: Status;
}

export interface Fqdn {
  /** RFC 4704 §4.1: S (0x1), O (0x2), N (0x4). */
  flags: number;
  /** Without a trailing dot. */
  name: string;
  /** A partial name: the server or client is to complete it. */
  partial: boolean;
}

export type NtpServer =
  | { kind: 'address'; address: string }
  | { kind: 'multicast'; address: string }
  | { kind: 'fqdn'; name: string };

// ---- framing ----

const HEADER = 4;
const RELAY_TYPES: ReadonlySet<number> = new Set([MessageType.RelayForw, MessageType.RelayRepl]);

export function decodeOptions(buf: Buffer, what = 'options'): Dhcp6Option[] {
  const out: Dhcp6Option[] = [];
  const r = new Reader(buf, 0, buf.length, what);
  while (r.remaining > 0) {
    if (r.remaining < HEADER) throw new Dhcp6DecodeError(`${what}: ${r.remaining} trailing bytes, too short for an option header`);
    const code = r.u16();
    const len = r.u16();
    if (len > r.remaining) throw new Dhcp6DecodeError(`${what}: option ${code} claims ${len} bytes, ${r.remaining} left`);
    out.push({ code, data: r.bytes(len) });
  }
  return out;
}

export function encodeOptions(options: readonly Dhcp6Option[]): Buffer {
  const parts: Buffer[] = [];
  for (const o of options) {
    if (o.data.length > 0xffff) throw new Dhcp6EncodeError(`option ${o.code}: ${o.data.length} bytes, at most 65535`);
    const head = Buffer.alloc(HEADER);
    head.writeUInt16BE(o.code, 0);
    head.writeUInt16BE(o.data.length, 2);
    parts.push(head, o.data);
  }
  return Buffer.concat(parts);
}

export function decodeMessage(buf: Buffer): Dhcp6Message {
  if (buf.length < 4) throw new Dhcp6DecodeError(`message: ${buf.length} bytes, shorter than the 4-byte header`);
  const r = new Reader(buf, 0, buf.length, 'message');
  const type = r.u8();
  if (type === 0 || RELAY_TYPES.has(type)) throw new Dhcp6DecodeError(`message: type ${type} is not a client/server message`);
  const transactionId = r.u24();
  return { type, transactionId, options: decodeOptions(r.rest()) };
}

export function encodeMessage(m: Dhcp6Message): Buffer {
  if (!Number.isInteger(m.type) || m.type < 1 || m.type > 0xff || RELAY_TYPES.has(m.type)) throw new Dhcp6EncodeError(`message type ${m.type}`);
  if (!Number.isInteger(m.transactionId) || m.transactionId < 0 || m.transactionId > 0xffffff) throw new Dhcp6EncodeError(`transaction id ${m.transactionId}`);
  const head = Buffer.alloc(4);
  head.writeUInt8(m.type, 0);
  head.writeUIntBE(m.transactionId, 1, 3);
  return Buffer.concat([head, encodeOptions(m.options)]);
}

export function findOption(options: readonly Dhcp6Option[], code: number): Dhcp6Option | undefined {
  return options.find((o) => o.code === code);
}

export function findOptions(options: readonly Dhcp6Option[], code: number): Dhcp6Option[] {
  return options.filter((o) => o.code === code);
}

// ---- small encoders ----

function u16(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new Dhcp6EncodeError(`${n} does not fit 16 bits`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Dhcp6EncodeError(`${n} does not fit 32 bits`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function ipv6(text: string): Buffer {
  const bytes = parseIPv6(text);
  if (!bytes) throw new Dhcp6EncodeError(`${JSON.stringify(text)} is not an IPv6 address`);
  return Buffer.from(bytes);
}

function readIPv6(r: Reader): string {
  return formatIPv6(r.bytes(16));
}

// ---- typed options ----

export function clientIdOption(duid: Buffer): Dhcp6Option {
  return { code: OptionCode.ClientId, data: duid };
}

export function serverIdOption(duid: Buffer): Dhcp6Option {
  return { code: OptionCode.ServerId, data: duid };
}

export function statusCodeOption(status: Status): Dhcp6Option {
  return { code: OptionCode.StatusCode, data: Buffer.concat([u16(status.code), Buffer.from(status.message, 'utf8')]) };
}

export function decodeStatusCode(data: Buffer): Status {
  const r = new Reader(data, 0, data.length, 'status code');
  return { code: r.u16(), message: r.rest().toString('utf8') };
}

export function iaAddressOption(a: IaAddress): Dhcp6Option {
  const inner = a.status ? encodeOptions([statusCodeOption(a.status)]) : Buffer.alloc(0);
  return { code: OptionCode.IaAddr, data: Buffer.concat([ipv6(a.address), u32(a.preferredLifetime), u32(a.validLifetime), inner]) };
}

export function decodeIaAddress(data: Buffer): IaAddress {
  const r = new Reader(data, 0, data.length, 'IAADDR');
  const address = readIPv6(r);
  const preferredLifetime = r.u32();
  const validLifetime = r.u32();
  const status = findOption(decodeOptions(r.rest(), 'IAADDR options'), OptionCode.StatusCode);
  return { address, preferredLifetime, validLifetime, ...(status ? { status: decodeStatusCode(status.data) } : {}) };
}

export function iaNaOption(ia: IaNa): Dhcp6Option {
  const inner = ia.addresses.map(iaAddressOption);
  if (ia.status) inner.push(statusCodeOption(ia.status));
  return { code: OptionCode.IaNa, data: Buffer.concat([u32(ia.iaid), u32(ia.t1), u32(ia.t2), encodeOptions(inner)]) };
}

export function decodeIaNa(data: Buffer): IaNa {
  const r = new Reader(data, 0, data.length, 'IA_NA');
  const iaid = r.u32();
  const t1 = r.u32();
  const t2 = r.u32();
  const inner = decodeOptions(r.rest(), 'IA_NA options');
  const status = findOption(inner, OptionCode.StatusCode);
  return {
    iaid,
    t1,
    t2,
    addresses: findOptions(inner, OptionCode.IaAddr).map((o) => decodeIaAddress(o.data)),
    ...(status ? { status: decodeStatusCode(status.data) } : {}),
  };
}

export function oroOption(codes: readonly number[]): Dhcp6Option {
  return { code: OptionCode.Oro, data: Buffer.concat(codes.map(u16)) };
}

export function decodeOro(data: Buffer): number[] {
  if (data.length % 2 !== 0) throw new Dhcp6DecodeError(`ORO: odd length ${data.length}`);
  const r = new Reader(data, 0, data.length, 'ORO');
  const out: number[] = [];
  while (r.remaining > 0) out.push(r.u16());
  return out;
}

export function preferenceOption(preference: number): Dhcp6Option {
  if (!Number.isInteger(preference) || preference < 0 || preference > 255) throw new Dhcp6EncodeError(`preference ${preference}`);
  return { code: OptionCode.Preference, data: Buffer.from([preference]) };
}

export function decodePreference(data: Buffer): number {
  if (data.length !== 1) throw new Dhcp6DecodeError(`preference: ${data.length} bytes, want 1`);
  return new Reader(data, 0, 1, 'preference').u8();
}

/** Elapsed time in hundredths of a second, capped at 0xffff (RFC 8415 §21.9). */
export function elapsedTimeOption(hundredths: number): Dhcp6Option {
  return { code: OptionCode.ElapsedTime, data: u16(Math.min(0xffff, Math.max(0, Math.floor(hundredths)))) };
}

export function decodeElapsedTime(data: Buffer): number {
  if (data.length !== 2) throw new Dhcp6DecodeError(`elapsed time: ${data.length} bytes, want 2`);
  return new Reader(data, 0, 2, 'elapsed time').u16();
}

export function rapidCommitOption(): Dhcp6Option {
  return { code: OptionCode.RapidCommit, data: Buffer.alloc(0) };
}

export function dnsServersOption(addresses: readonly string[]): Dhcp6Option {
  return { code: OptionCode.DnsServers, data: Buffer.concat(addresses.map(ipv6)) };
}

export function decodeDnsServers(data: Buffer): string[] {
  if (data.length % 16 !== 0) throw new Dhcp6DecodeError(`DNS servers: length ${data.length} is not a multiple of 16`);
  const r = new Reader(data, 0, data.length, 'DNS servers');
  const out: string[] = [];
  while (r.remaining > 0) out.push(readIPv6(r));
  return out;
}

export function domainListOption(names: readonly string[]): Dhcp6Option {
  return { code: OptionCode.DomainList, data: Buffer.concat(names.map((n) => encodeName(n))) };
}

export function decodeDomainList(data: Buffer): string[] {
  const r = new Reader(data, 0, data.length, 'domain list');
  const out: string[] = [];
  // each readName consumes at least one octet, so this ends
  while (r.remaining > 0) out.push(readName(r, false).name);
  return out;
}

export function fqdnOption(fqdn: Fqdn): Dhcp6Option {
  if (!Number.isInteger(fqdn.flags) || fqdn.flags < 0 || fqdn.flags > 7) throw new Dhcp6EncodeError(`FQDN flags ${fqdn.flags}`);
  const name = fqdn.name === '' ? Buffer.alloc(0) : encodeName(fqdn.name, fqdn.partial);
  return { code: OptionCode.ClientFqdn, data: Buffer.concat([Buffer.from([fqdn.flags]), name]) };
}

/** An empty name (flags only, or a lone root label) decodes as "". */
export function decodeFqdn(data: Buffer): Fqdn {
  const r = new Reader(data, 0, data.length, 'client FQDN');
  const flags = r.u8();
  if (r.remaining === 0) return { flags, name: '', partial: true };
  const { name, partial } = readName(r, true);
  if (r.remaining > 0) throw new Dhcp6DecodeError(`client FQDN: ${r.remaining} bytes after the name`);
  return { flags, name, partial };
}

export function ntpServerOption(servers: readonly NtpServer[]): Dhcp6Option {
  const subs: Dhcp6Option[] = servers.map((s) => {
    switch (s.kind) {
      case 'address':
        return { code: NtpSuboption.ServerAddress, data: ipv6(s.address) };
      case 'multicast':
        return { code: NtpSuboption.MulticastAddress, data: ipv6(s.address) };
      case 'fqdn':
        return { code: NtpSuboption.ServerFqdn, data: encodeName(s.name) };
    }
  });
  return { code: OptionCode.NtpServer, data: encodeOptions(subs) };
}

/** Unknown suboptions are skipped (RFC 5908 leaves room for new ones). */
export function decodeNtpServer(data: Buffer): NtpServer[] {
  const out: NtpServer[] = [];
  for (const sub of decodeOptions(data, 'NTP server suboptions')) {
    const what = `NTP suboption ${sub.code}`;
    switch (sub.code) {
      case NtpSuboption.ServerAddress:
      case NtpSuboption.MulticastAddress: {
        if (sub.data.length !== 16) throw new Dhcp6DecodeError(`${what}: ${sub.data.length} bytes, want 16`);
        const address = formatIPv6(sub.data);
        out.push(sub.code === NtpSuboption.ServerAddress ? { kind: 'address', address } : { kind: 'multicast', address });
        break;
      }
      case NtpSuboption.ServerFqdn: {
        const r = new Reader(sub.data, 0, sub.data.length, what);
        out.push({ kind: 'fqdn', name: readName(r, true).name });
        if (r.remaining > 0) throw new Dhcp6DecodeError(`${what}: ${r.remaining} bytes after the name`);
        break;
      }
    }
  }
  return out;
}
