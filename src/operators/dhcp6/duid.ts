// DHCP Unique Identifiers (RFC 8415 §11): DUID-LLT (1), DUID-EN (2), DUID-LL (3)
// and DUID-UUID (4); other types are kept as opaque bytes.
import { Dhcp6DecodeError, Dhcp6EncodeError, Reader } from './wire.js';

export const DuidType = { LLT: 1, EN: 2, LL: 3, UUID: 4 } as const;

/** ARP hardware type of Ethernet (IANA), the one a DUID built from a MAC carries. */
export const HWTYPE_ETHERNET = 1;

/** RFC 8415 §11.1: a DUID is at most 128 octets, not counting its 2-octet type. */
const MAX_DUID_OCTETS = 130;

/** DUID-LLT times count seconds from 2000-01-01T00:00:00Z, modulo 2^32. */
const DUID_EPOCH_MS = Date.UTC(2000, 0, 1);

export type Duid =
  | { type: 'llt'; hwType: number; time: number; linkLayerAddress: Buffer }
  | { type: 'en'; enterpriseNumber: number; identifier: Buffer }
  | { type: 'll'; hwType: number; linkLayerAddress: Buffer }
  | { type: 'uuid'; uuid: Buffer }
  | { type: 'other'; code: number; data: Buffer };

function u16(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new Dhcp6EncodeError(`DUID: ${n} does not fit 16 bits`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Dhcp6EncodeError(`DUID: ${n} does not fit 32 bits`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function encodeDuid(duid: Duid): Buffer {
  let out: Buffer;
  switch (duid.type) {
    case 'llt':
      out = Buffer.concat([u16(DuidType.LLT), u16(duid.hwType), u32(duid.time), duid.linkLayerAddress]);
      break;
    case 'en':
      out = Buffer.concat([u16(DuidType.EN), u32(duid.enterpriseNumber), duid.identifier]);
      break;
    case 'll':
      out = Buffer.concat([u16(DuidType.LL), u16(duid.hwType), duid.linkLayerAddress]);
      break;
    case 'uuid':
      if (duid.uuid.length !== 16) throw new Dhcp6EncodeError(`DUID-UUID: ${duid.uuid.length} bytes, want 16`);
      out = Buffer.concat([u16(DuidType.UUID), duid.uuid]);
      break;
    case 'other':
      out = Buffer.concat([u16(duid.code), duid.data]);
      break;
  }
  if (out.length > MAX_DUID_OCTETS) throw new Dhcp6EncodeError(`DUID: ${out.length} bytes, at most ${MAX_DUID_OCTETS}`);
  return out;
}

export function decodeDuid(buf: Buffer): Duid {
  if (buf.length < 3) throw new Dhcp6DecodeError(`DUID: ${buf.length} bytes, need a type and at least one byte`);
  if (buf.length > MAX_DUID_OCTETS) throw new Dhcp6DecodeError(`DUID: ${buf.length} bytes, at most ${MAX_DUID_OCTETS}`);
  const r = new Reader(buf, 0, buf.length, 'DUID');
  const code = r.u16();
  switch (code) {
    case DuidType.LLT:
      return { type: 'llt', hwType: r.u16(), time: r.u32(), linkLayerAddress: r.rest() };
    case DuidType.EN:
      return { type: 'en', enterpriseNumber: r.u32(), identifier: r.rest() };
    case DuidType.LL:
      return { type: 'll', hwType: r.u16(), linkLayerAddress: r.rest() };
    case DuidType.UUID:
      if (r.remaining !== 16) throw new Dhcp6DecodeError(`DUID-UUID: ${r.remaining} bytes, want 16`);
      return { type: 'uuid', uuid: r.rest() };
    default:
      return { type: 'other', code, data: r.rest() };
  }
}

/** DUID-LL of an Ethernet MAC. */
export function duidLL(mac: Buffer): Buffer {
  return encodeDuid({ type: 'll', hwType: HWTYPE_ETHERNET, linkLayerAddress: mac });
}

/** DUID-LLT of an Ethernet MAC at `nowMs` (Unix milliseconds). */
export function duidLLT(mac: Buffer, nowMs: number): Buffer {
  const seconds = Math.floor((nowMs - DUID_EPOCH_MS) / 1000);
  const time = ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return encodeDuid({ type: 'llt', hwType: HWTYPE_ETHERNET, time, linkLayerAddress: mac });
}

/**
 * A configured raw DUID ("0003000152540012...", ':' and '-' separators allowed,
 * as the config schema allows them). Throws Dhcp6DecodeError when it is not
 * hex or not a well-formed DUID.
 */
export function parseDuidHex(text: string): Buffer {
  const hex = text.replace(/[:-]/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new Dhcp6DecodeError(`DUID ${JSON.stringify(text)}: not an even number of hexadecimal digits`);
  }
  const bytes = Buffer.from(hex, 'hex');
  decodeDuid(bytes);
  return bytes;
}

/** "aa:bb:cc:dd:ee:ff" (or '-' separated) → bytes; undefined when malformed. */
export function parseMac(text: string): Buffer | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length < 4 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Buffer.from(parts.join(''), 'hex');
}
