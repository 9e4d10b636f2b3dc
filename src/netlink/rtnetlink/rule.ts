// Routing policy rules: struct fib_rule_hdr + FRA_* attributes
// (RTM_NEWRULE/DELRULE/GETRULE, include/uapi/linux/fib_rules.h).
import { AttrReader, readU32, type NlWriter } from '../codec.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../constants.js';
import type { Request } from '../connection.js';
import { NetlinkDecodeError } from '../errors.js';
import type { NlMessage } from '../message.js';
import { AF_INET, AF_INET6, familyOfAf, parseIP, type Family } from '../../net/ip.js';
import {
  FIB_RULE_HDR_LEN,
  FIB_RULE_INVERT,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_GOTO,
  FRA_IIFNAME,
  FRA_OIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SRC,
  FRA_SUPPRESS_PREFIXLEN,
  FRA_TABLE,
  FR_ACT_BLACKHOLE,
  FR_ACT_GOTO,
  FR_ACT_NOP,
  FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  FR_ACT_UNSPEC,
  RTM_DELRULE,
  RTM_GETRULE,
  RTM_NEWRULE,
  RULE_ATTR_NAMES,
  RT_TABLE_UNSPEC,
} from './constants.js';

/**
 * One rule as the kernel reports it, and what an add or delete request carries
 * (undefined fields are not sent). A delete matches on every field it sends, so
 * deleting with a rule as listed removes exactly that rule.
 */
export interface RuleMessage {
  family: Family;
  /** FR_ACT_*: 1 to table (Talos "unicast"), 6 blackhole, 7 unreachable, 8 prohibit. */
  action: number;
  /** FRA_TABLE when present, else the 8-bit header field (0: none). */
  table: number;
  /** FRA_PRIORITY (the kernel leaves it out of a dump for 0); always sent. */
  priority: number;
  /** Source address without the length (FRA_SRC + src_len). */
  src?: string;
  srcLen: number;
  dst?: string;
  dstLen: number;
  tos?: number;
  /** FIB_RULE_* flags (e.g. FIB_RULE_INVERT: "not"). */
  flags?: number;
  iifName?: string;
  oifName?: string;
  fwmark?: number;
  /** FRA_FWMASK; absent with a non-zero fwmark means all bits (0xffffffff). */
  fwmask?: number;
  /** FRA_SUPPRESS_PREFIXLEN; absent when unset. */
  suppressPrefixLength?: number;
  /** RTPROT_* of whoever added the rule (FRA_PROTOCOL, Linux 4.17+). */
  protocol?: number;
  /** Target priority of a goto rule. */
  goto?: number;
}

export const RULE_ACTIONS: ReadonlyArray<readonly [number, string]> = [
  [FR_ACT_UNSPEC, 'unspec'],
  [FR_ACT_TO_TBL, 'unicast'],
  [FR_ACT_GOTO, 'goto'],
  [FR_ACT_NOP, 'nop'],
  [FR_ACT_BLACKHOLE, 'blackhole'],
  [FR_ACT_UNREACHABLE, 'unreachable'],
  [FR_ACT_PROHIBIT, 'prohibit'],
];

/** The mark bits a rule compares (the kernel's default mask: all bits for a non-zero mark). */
export function effectiveFwmask(r: Pick<RuleMessage, 'fwmark' | 'fwmask'>): number {
  if (r.fwmask !== undefined) return r.fwmask >>> 0;
  return r.fwmark ? 0xffffffff : 0;
}

const reader = new AttrReader(Buffer.alloc(0), 0, 0);

export function decodeRule(m: NlMessage): RuleMessage | undefined {
  if (m.length < FIB_RULE_HDR_LEN) throw new NetlinkDecodeError(`fib_rule_hdr of ${m.length} bytes`, m.offset);
  const b = m.buf;
  const o = m.offset;
  const family = familyOfAf(b[o] ?? 0);
  if (!family) return undefined; // IPMR/IP6MR and DECnet rules
  const rule: RuleMessage = {
    family,
    dstLen: b[o + 1] ?? 0,
    srcLen: b[o + 2] ?? 0,
    tos: b[o + 3] ?? 0,
    table: b[o + 4] ?? 0,
    action: b[o + 7] ?? 0,
    flags: readU32(b, o + 8),
    priority: 0,
  };
  const r = reader.reset(b, o + FIB_RULE_HDR_LEN, o + m.length);
  while (r.next()) {
    switch (r.type) {
      case FRA_DST:
        rule.dst = r.ip();
        break;
      case FRA_SRC:
        rule.src = r.ip();
        break;
      case FRA_IIFNAME:
        rule.iifName = r.string();
        break;
      case FRA_OIFNAME:
        rule.oifName = r.string();
        break;
      case FRA_PRIORITY:
        rule.priority = r.u32();
        break;
      case FRA_TABLE:
        rule.table = r.u32();
        break;
      case FRA_FWMARK:
        rule.fwmark = r.u32();
        break;
      case FRA_FWMASK:
        rule.fwmask = r.u32();
        break;
      case FRA_SUPPRESS_PREFIXLEN: {
        const v = r.u32();
        if (v !== 0xffffffff) rule.suppressPrefixLength = v;
        break;
      }
      case FRA_PROTOCOL:
        rule.protocol = r.u8();
        break;
      case FRA_GOTO:
        rule.goto = r.u32();
        break;
      default:
        break;
    }
  }
  return rule;
}

/** "from 10.0.0.0/8 fwmark 0x40/0x60 lookup 180 priority 32500", as `ip rule` words it. */
export function describeRule(r: RuleMessage): string {
  const parts: string[] = [];
  parts.push(`priority ${r.priority}`);
  if ((r.flags ?? 0) & FIB_RULE_INVERT) parts.push('not');
  parts.push(`from ${r.src !== undefined && r.srcLen > 0 ? `${r.src}/${r.srcLen}` : 'all'}`);
  if (r.dst !== undefined && r.dstLen > 0) parts.push(`to ${r.dst}/${r.dstLen}`);
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    const mask = effectiveFwmask(r);
    parts.push(`fwmark 0x${(r.fwmark ?? 0).toString(16)}${mask !== 0xffffffff ? `/0x${mask.toString(16)}` : ''}`);
  }
  if (r.iifName) parts.push(`iif ${r.iifName}`);
  if (r.oifName) parts.push(`oif ${r.oifName}`);
  if (r.action === FR_ACT_TO_TBL) parts.push(`lookup ${r.table}`);
  else parts.push(RULE_ACTIONS.find(([n]) => n === r.action)?.[1] ?? `action ${r.action}`);
  if (r.suppressPrefixLength !== undefined) parts.push(`suppress_prefixlength ${r.suppressPrefixLength}`);
  return `${r.family} rule ${parts.join(' ')}`;
}

function addressBytes(text: string, family: Family): Uint8Array {
  const ip = parseIP(text);
  if (!ip) throw new Error(`invalid IP address "${text}"`);
  if (ip.family !== family) throw new Error(`address ${text} is not ${family}`);
  return ip.bytes;
}

function encodeRule(w: NlWriter, r: RuleMessage): void {
  w.u8(r.family === 'inet4' ? AF_INET : AF_INET6)
    .u8(r.dst !== undefined ? r.dstLen : 0)
    .u8(r.src !== undefined ? r.srcLen : 0)
    .u8(r.tos ?? 0)
    // a table above 255 goes in FRA_TABLE alone (as iproute2 sends it)
    .u8(r.table < 256 ? r.table : RT_TABLE_UNSPEC)
    .u8(0)
    .u8(0)
    .u8(r.action)
    .u32(r.flags ?? 0);
  w.attrU32(FRA_PRIORITY, r.priority);
  if (r.table !== 0) w.attrU32(FRA_TABLE, r.table);
  if (r.src !== undefined && r.srcLen > 0) w.attrBytes(FRA_SRC, addressBytes(r.src, r.family));
  if (r.dst !== undefined && r.dstLen > 0) w.attrBytes(FRA_DST, addressBytes(r.dst, r.family));
  if (r.iifName !== undefined && r.iifName !== '') w.attrString(FRA_IIFNAME, r.iifName);
  if (r.oifName !== undefined && r.oifName !== '') w.attrString(FRA_OIFNAME, r.oifName);
  if (r.fwmark !== undefined) w.attrU32(FRA_FWMARK, r.fwmark >>> 0);
  if (r.fwmask !== undefined) w.attrU32(FRA_FWMASK, r.fwmask >>> 0);
  if (r.suppressPrefixLength !== undefined) w.attrU32(FRA_SUPPRESS_PREFIXLEN, r.suppressPrefixLength);
  if (r.protocol !== undefined) w.attrU8(FRA_PROTOCOL, r.protocol);
  if (r.goto !== undefined) w.attrU32(FRA_GOTO, r.goto);
}

/** Lists the rules of one family, or of both (the kernel also dumps multicast-routing rules then; they are skipped). */
export function dumpRulesRequest(family?: Family): Request {
  return {
    type: RTM_GETRULE,
    write: false,
    headerLength: FIB_RULE_HDR_LEN,
    encode(w) {
      // strict dump checking: everything but the family must be zero
      w.u8(family === undefined ? 0 : family === 'inet4' ? AF_INET : AF_INET6).zeros(7).u32(0);
    },
    describe: () => (family === undefined ? 'list rules' : `list ${family} rules`),
    attributeName: (t) => RULE_ATTR_NAMES[t],
  };
}

/** RTM_NEWRULE, exclusive: an identical rule already there is EEXIST. */
export class AddRuleRequest implements Request {
  readonly type = RTM_NEWRULE;
  readonly write = true;
  readonly headerLength = FIB_RULE_HDR_LEN;
  readonly flags = NLM_F_CREATE | NLM_F_EXCL;
  okErrors?: readonly string[];

  constructor(readonly rule: RuleMessage) {}

  encode(w: NlWriter): void {
    encodeRule(w, this.rule);
  }

  describe(): string {
    return `add ${describeRule(this.rule)}`;
  }

  attributeName(t: number): string | undefined {
    return RULE_ATTR_NAMES[t];
  }
}

/** RTM_DELRULE: the kernel deletes the first rule matching every field sent; ENOENT when none does. */
export class DeleteRuleRequest implements Request {
  readonly type = RTM_DELRULE;
  readonly write = true;
  readonly headerLength = FIB_RULE_HDR_LEN;
  okErrors: readonly string[] = ['ENOENT'];

  constructor(readonly rule: RuleMessage) {}

  encode(w: NlWriter): void {
    encodeRule(w, this.rule);
  }

  describe(): string {
    return `delete ${describeRule(this.rule)}`;
  }

  attributeName(t: number): string | undefined {
    return RULE_ATTR_NAMES[t];
  }
}
