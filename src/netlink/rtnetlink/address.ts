// Addresses: struct ifaddrmsg + IFA_* attributes (RTM_NEWADDR/DELADDR/GETADDR).
import { AttrReader, NlWriter, readU32 } from '../codec.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../constants.js';
import type { Request } from '../connection.js';
import { NetlinkDecodeError } from '../errors.js';
import type { NlMessage } from '../message.js';
import { AF_INET, AF_INET6, broadcastOf, familyOfAf, parseIP, type Family } from '../../net/ip.js';
import {
  ADDRESS_ATTR_NAMES,
  IFADDRMSG_LEN,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFA_RT_PRIORITY,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from './constants.js';

export interface AddressMessage {
  family: Family;
  prefixLen: number;
  /** Full flags: IFA_FLAGS when present, else the 8-bit header field. */
  flags: number;
  scope: number;
  index: number;
  /** IFA_ADDRESS: the peer for point-to-point links, else the address itself. */
  address?: string;
  /** IFA_LOCAL (IPv4): the local address. */
  local?: string;
  broadcast?: string;
  label?: string;
  priority?: number;
  validLifetime?: number;
  preferredLifetime?: number;
}

export function decodeAddress(m: NlMessage): AddressMessage | undefined {
  if (m.length < IFADDRMSG_LEN) throw new NetlinkDecodeError(`ifaddrmsg of ${m.length} bytes`, m.offset);
  const b = m.buf;
  const family = familyOfAf(b[m.offset] ?? 0);
  if (!family) return undefined;
  const a: AddressMessage = {
    family,
    prefixLen: b[m.offset + 1] ?? 0,
    flags: b[m.offset + 2] ?? 0,
    scope: b[m.offset + 3] ?? 0,
    index: readU32(b, m.offset + 4),
  };
  const r = new AttrReader(b, m.offset + IFADDRMSG_LEN, m.offset + m.length);
  while (r.next()) {
    switch (r.type) {
      case IFA_ADDRESS:
        a.address = r.ip();
        break;
      case IFA_LOCAL:
        a.local = r.ip();
        break;
      case IFA_BROADCAST:
        a.broadcast = r.ip();
        break;
      case IFA_LABEL:
        a.label = r.string();
        break;
      case IFA_FLAGS:
        a.flags = r.u32();
        break;
      case IFA_RT_PRIORITY:
        a.priority = r.u32();
        break;
      case IFA_CACHEINFO:
        if (r.length >= 8) {
          a.preferredLifetime = readU32(b, r.offset);
          a.validLifetime = readU32(b, r.offset + 4);
        }
        break;
      default:
        break;
    }
  }
  return a;
}

/** The interface's own address: IFA_LOCAL for IPv4 (peer in IFA_ADDRESS), IFA_ADDRESS for IPv6. */
export function addressOf(a: AddressMessage): string | undefined {
  return a.local ?? a.address;
}

export function dumpAddressesRequest(family?: Family): Request {
  return {
    type: RTM_GETADDR,
    write: false,
    headerLength: IFADDRMSG_LEN,
    encode(w) {
      w.u8(family === undefined ? 0 : family === 'inet4' ? AF_INET : AF_INET6).u8(0).u8(0).u8(0).u32(0);
    },
    describe: () => 'list addresses',
    attributeName: (t) => ADDRESS_ATTR_NAMES[t],
  };
}

export interface AddressParams {
  family: Family;
  /** The address without the prefix length. */
  address: string;
  prefixLen: number;
  index: number;
  linkName: string;
  scope: number;
  flags: number;
  priority?: number;
  /** IPv4 broadcast; computed from the prefix when omitted and the prefix is shorter than /31. */
  broadcast?: string | null;
}

function ifaddrmsg(w: NlWriter, p: AddressParams): void {
  w.u8(p.family === 'inet4' ? AF_INET : AF_INET6)
    .u8(p.prefixLen)
    .u8(p.flags & 0xff)
    .u8(p.scope)
    .u32(p.index);
}

function ipBytes(text: string): Uint8Array {
  const ip = parseIP(text);
  if (!ip) throw new Error(`invalid IP address "${text}"`);
  return ip.bytes;
}

export function addAddressRequest(p: AddressParams, replace = false): Request {
  return {
    type: RTM_NEWADDR,
    flags: NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL),
    write: true,
    headerLength: IFADDRMSG_LEN,
    encode(w) {
      ifaddrmsg(w, p);
      const bytes = ipBytes(p.address);
      w.attrBytes(IFA_LOCAL, bytes);
      w.attrBytes(IFA_ADDRESS, bytes);
      if (p.family === 'inet4') {
        if (p.broadcast) w.attrBytes(IFA_BROADCAST, ipBytes(p.broadcast));
        else if (p.broadcast === undefined && p.prefixLen < 31) {
          w.attrBytes(IFA_BROADCAST, broadcastOf({ family: 'inet4', bytes, bits: p.prefixLen }).bytes);
        }
      }
      w.attrU32(IFA_FLAGS, p.flags);
      if (p.priority !== undefined && p.priority !== 0) w.attrU32(IFA_RT_PRIORITY, p.priority);
    },
    describe: () => `add address ${p.address}/${p.prefixLen} to ${p.linkName}`,
    attributeName: (t) => ADDRESS_ATTR_NAMES[t],
  };
}

export function deleteAddressRequest(p: Pick<AddressParams, 'family' | 'address' | 'prefixLen' | 'index' | 'linkName'>): Request {
  return {
    type: RTM_DELADDR,
    write: true,
    okErrors: ['EADDRNOTAVAIL', 'ENOENT', 'ENODEV'],
    headerLength: IFADDRMSG_LEN,
    encode(w) {
      ifaddrmsg(w, { ...p, scope: 0, flags: 0 });
      const bytes = ipBytes(p.address);
      w.attrBytes(IFA_LOCAL, bytes);
      w.attrBytes(IFA_ADDRESS, bytes);
    },
    describe: () => `delete address ${p.address}/${p.prefixLen} from ${p.linkName}`,
    attributeName: (t) => ADDRESS_ATTR_NAMES[t],
  };
}
