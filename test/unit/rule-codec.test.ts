// The rule codec against bytes a real kernel sent (test/fixtures/rules-dump.hex:
// an RTM_GETRULE dump of a fresh namespace after
//   ip rule add priority 100 from 10.0.0.0/8 lookup 100
//   ip rule add priority 200 to 192.168.0.0/16 fwmark 0x40/0x60 lookup 1000
//   ip rule add priority 300 iif eth0 oif lo blackhole
//   ip rule add priority 400 unreachable
//   ip rule add priority 500 prohibit
//   ip rule add priority 600 lookup main suppress_prefixlength 0 proto static
//   ip rule add priority 700 fwmark 0x20 lookup 180
//   ip rule add not priority 900 from 10.1.0.0/16 lookup 100
//   ip -6 rule add priority 800 from fd00::/8 to 2001:db8::/32 lookup 200
//   ip -6 rule add priority 32500 fwmark 0x40/0x60 lookup 180
// on Linux 6.18).
import { describe, expect, it } from 'vitest';
import { NlWriter } from '../../src/netlink/codec.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../src/netlink/constants.js';
import { parseMessages } from '../../src/netlink/message.js';
import { FIB_RULE_INVERT, FR_ACT_BLACKHOLE, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE, RTM_NEWRULE, RTPROT_BOOT, RTPROT_KERNEL, RTPROT_STATIC } from '../../src/netlink/rtnetlink/constants.js';
import { AddRuleRequest, DeleteRuleRequest, decodeRule, describeRule, dumpRulesRequest, effectiveFwmask, type RuleMessage } from '../../src/netlink/rtnetlink/rule.js';
import type { Request } from '../../src/netlink/connection.js';
import { fixture } from '../helpers/fixtures.js';

function rules(): RuleMessage[] {
  return parseMessages(fixture('rules-dump'))
    .filter((m) => m.type === RTM_NEWRULE)
    .map((m) => decodeRule(m))
    .filter((r): r is RuleMessage => r !== undefined);
}

const byPriority = (family: string, priority: number) => rules().find((r) => r.family === family && r.priority === priority)!;

/** Encodes a request the way the connection frames it, and decodes it back. */
function roundTrip(request: Request): { bytes: Buffer; rule: RuleMessage; flags: number } {
  const w = new NlWriter();
  const start = w.beginMessage(request.type, request.flags ?? 0, 1, 0);
  request.encode(w);
  w.endMessage(start);
  const [m] = parseMessages(w.toBuffer());
  return { bytes: w.toBuffer(), rule: decodeRule(m!)!, flags: m!.flags };
}

describe('rule codec (kernel bytes)', () => {
  it('decodes every rule of the dump, both families, in kernel order', () => {
    const all = rules();
    expect(all.map((r) => `${r.family}/${r.priority}`)).toEqual([
      'inet4/0',
      'inet4/100',
      'inet4/200',
      'inet4/300',
      'inet4/400',
      'inet4/500',
      'inet4/600',
      'inet4/700',
      'inet4/900',
      'inet4/32766',
      'inet4/32767',
      'inet6/0',
      'inet6/800',
      'inet6/32500',
      'inet6/32766',
    ]);
    // the kernel's own rules say so
    expect(byPriority('inet4', 32766)).toMatchObject({ table: 254, action: FR_ACT_TO_TBL, protocol: RTPROT_KERNEL, srcLen: 0 });
    expect(byPriority('inet4', 0).table).toBe(255);
  });

  it('source and destination prefixes, tables above 255, marks with and without a mask', () => {
    expect(byPriority('inet4', 100)).toMatchObject({ src: '10.0.0.0', srcLen: 8, table: 100, action: FR_ACT_TO_TBL });
    const marked = byPriority('inet4', 200);
    expect(marked).toMatchObject({ dst: '192.168.0.0', dstLen: 16, table: 1000, fwmark: 0x40, fwmask: 0x60 });
    expect(marked.src).toBeUndefined();
    // a mark without a mask compares all bits
    const plain = byPriority('inet4', 700);
    expect(plain).toMatchObject({ fwmark: 0x20, fwmask: 0xffffffff, table: 180 });
    expect(effectiveFwmask({ fwmark: 0x20 })).toBe(0xffffffff);
    // no mark at all: the kernel still sends FRA_FWMASK 0
    expect(effectiveFwmask(byPriority('inet4', 100))).toBe(0);
    expect(byPriority('inet6', 800)).toMatchObject({ src: 'fd00::', srcLen: 8, dst: '2001:db8::', dstLen: 32, table: 200 });
    expect(byPriority('inet6', 32500)).toMatchObject({ fwmark: 0x40, fwmask: 0x60, table: 180 });
  });

  it('actions, interface names, suppress_prefixlength, protocol and "not"', () => {
    expect(byPriority('inet4', 300)).toMatchObject({ action: FR_ACT_BLACKHOLE, iifName: 'eth0', oifName: 'lo', table: 0 });
    expect(byPriority('inet4', 400).action).toBe(FR_ACT_UNREACHABLE);
    expect(byPriority('inet4', 500).action).toBe(FR_ACT_PROHIBIT);
    const suppress = byPriority('inet4', 600);
    expect(suppress).toMatchObject({ table: 254, suppressPrefixLength: 0, protocol: RTPROT_STATIC });
    // unset suppress_prefixlength (-1 in the kernel) is left out
    expect(byPriority('inet4', 100).suppressPrefixLength).toBeUndefined();
    expect((byPriority('inet4', 900).flags ?? 0) & FIB_RULE_INVERT).toBe(FIB_RULE_INVERT);
    expect(describeRule(byPriority('inet4', 900))).toBe('inet4 rule priority 900 not from 10.1.0.0/16 lookup 100');
    expect(describeRule(byPriority('inet4', 200))).toBe('inet4 rule priority 200 from all to 192.168.0.0/16 fwmark 0x40/0x60 lookup 1000');
  });

  it('add and delete requests carry every field of a listed rule, so a delete matches exactly that rule', () => {
    for (const rule of rules()) {
      const added = roundTrip(new AddRuleRequest(rule));
      expect(added.flags & (NLM_F_CREATE | NLM_F_EXCL)).toBe(NLM_F_CREATE | NLM_F_EXCL);
      expect(added.rule).toEqual(rule);
      expect(roundTrip(new DeleteRuleRequest(rule)).rule).toEqual(rule);
    }
  });

  it('encodes fib_rule_hdr and FRA_* as the kernel expects them', () => {
    const rule: RuleMessage = { family: 'inet6', action: FR_ACT_TO_TBL, table: 180, priority: 32500, srcLen: 0, dstLen: 0, fwmark: 0x40, fwmask: 0x60, protocol: RTPROT_BOOT };
    const { bytes } = roundTrip(new AddRuleRequest(rule));
    // nlmsghdr(16) + fib_rule_hdr(12): AF_INET6, no lengths, tos 0, table 180, action 1, flags 0
    expect(bytes.subarray(16, 28).toString('hex')).toBe('0a000000b4000001' + '00000000');
    // then FRA_PRIORITY 32500, FRA_TABLE 180, FRA_FWMARK 0x40, FRA_FWMASK 0x60, FRA_PROTOCOL 3
    expect(bytes.subarray(28).toString('hex')).toBe(
      ['08000600f47e0000', '08000f00b4000000', '08000a0040000000', '0800100060000000', '0500150003000000'].join(''),
    );
    // table 1000 does not fit the header byte: 0 there, FRA_TABLE carries it
    const big = roundTrip(new AddRuleRequest({ ...rule, table: 1000 }));
    expect(big.bytes[16 + 4]).toBe(0);
    expect(big.rule.table).toBe(1000);
  });

  it('dump requests name the family and nothing else (strict checking)', () => {
    const w = new NlWriter();
    dumpRulesRequest('inet6').encode(w);
    expect(w.toBuffer().toString('hex')).toBe('0a0000000000000000000000');
  });
});
