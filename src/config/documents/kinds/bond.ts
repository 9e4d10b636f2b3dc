// BondConfig: a bond netcfg creates, with its members and options (talos-multidoc.md §3.6).
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { addr, bool, enumOf, hwaddr, list, text, uint16, uint32, uint8, type Problem } from '../fields.js';
import { expected } from '../../fields.js';

export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export const XMIT_HASH_POLICIES = ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4'] as const;
export const ARP_VALIDATE = ['none', 'active', 'backup', 'all', 'filter', 'filter-active', 'filter-backup'] as const;
export const FAIL_OVER_MAC = ['none', 'active', 'follow'] as const;

/** failOverMac has its own parser: the exact lower-case names, or 0-2. */
const failOverMac = () =>
  z.union([z.string(), z.number(), z.boolean()], { error: (iss) => expected('none, active or follow', iss.input) }).transform((v, ctx): (typeof FAIL_OVER_MAC)[number] => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2) return FAIL_OVER_MAC[v]!;
    if (typeof v === 'string' && (FAIL_OVER_MAC as readonly string[]).includes(v)) return v as (typeof FAIL_OVER_MAC)[number];
    ctx.addIssue({ code: 'custom', message: `invalid fail_over_mac value ${String(v)}: expected none, active or follow (or 0, 1, 2)`, input: v });
    return z.NEVER;
  });

export const BondConfigSchema = documentSchema('BondConfig', 'Creates a bond and enslaves its members.', () => ({
  name: nameField('Name of the bond to create.'),
  hardwareAddr: hwaddr().optional(),
  links: list(text('a link name'), 'a list of link names').optional().describe('Members (names, aliases or altnames); the position is the slave index.'),
  bondMode: enumOf(BOND_MODES, 'BondMode').optional().describe('Bond mode (required).'),
  miimon: uint32('miimon').optional(),
  updelay: uint32('updelay').optional(),
  downdelay: uint32('downdelay').optional(),
  useCarrier: bool().optional().describe('Accepted; the kernel (6.18+) always uses the carrier.'),
  xmitHashPolicy: enumOf(XMIT_HASH_POLICIES, 'BondXmitHashPolicy').optional(),
  arpInterval: uint32('arpInterval').optional(),
  arpIpTargets: list(addr('ARP target'), 'a list of IPv4 addresses').optional(),
  nsIp6Targets: list(addr('NS target'), 'a list of IPv6 addresses').optional(),
  arpValidate: enumOf(ARP_VALIDATE, 'ARPValidate').optional(),
  arpAllTargets: enumOf(['any', 'all'] as const, 'ARPAllTargets').optional(),
  lacpRate: enumOf(['slow', 'fast'] as const, 'LACPRate').optional(),
  failOverMac: failOverMac().optional(),
  adSelect: enumOf(['stable', 'bandwidth', 'count'] as const, 'ADSelect').optional(),
  adActorSysPrio: uint16('adActorSysPrio').optional(),
  adUserPortKey: uint16('adUserPortKey').optional(),
  adLACPActive: enumOf(['on', 'off'] as const, 'ADLACPActive').optional(),
  primary: text('a link name').optional(),
  primaryReselect: enumOf(['always', 'better', 'failure'] as const, 'PrimaryReselect').optional(),
  resendIGMP: uint32('resendIGMP').optional(),
  minLinks: uint32('minLinks').optional(),
  lpInterval: uint32('lpInterval').optional(),
  packetsPerSlave: uint32('packetsPerSlave').optional(),
  numPeerNotif: uint8('numPeerNotif').optional(),
  tlbLogicalLb: uint8('tlbLogicalLb').optional(),
  allSlavesActive: uint8('allSlavesActive').optional(),
  peerNotifDelay: uint32('peerNotifDelay').optional(),
  missedMax: uint8('missedMax').optional(),
  ...commonLinkFields(),
}));

export type BondConfigSpec = z.infer<typeof BondConfigSchema>;

const PRIMARY_MODES = ['active-backup', 'balance-tlb', 'balance-alb'];

export const bondConfig = defineKind<BondConfigSpec>({
  kind: 'BondConfig',
  schema: BondConfigSchema,
  validate(d) {
    const out: Problem[] = [...requireName(d.name)];
    if (!d.links || d.links.length === 0) out.push({ path: d.links ? ['links'] : [], message: 'at least one link must be specified' });
    if (d.bondMode === undefined) out.push({ path: [], message: 'bond mode must be specified' });
    if (d.primary !== undefined) {
      if (d.primary === '') out.push({ path: ['primary'], message: "primary link name can't be empty" });
      else if (!(d.links ?? []).includes(d.primary)) out.push({ path: ['primary'], message: `primary link "${d.primary}" is not in the list of bonded links` });
      if (d.bondMode !== undefined && !PRIMARY_MODES.includes(d.bondMode)) out.push({ path: ['primary'], message: `primary link is not supported in "${d.bondMode}" bond mode` });
    }
    if (d.bondMode === '802.3ad') {
      for (const f of ['miimon', 'updelay', 'downdelay'] as const) if (d[f] === undefined) out.push({ path: [], message: `${f} was not specified for 802.3ad bond`, warning: true });
    }
    if (d.primaryReselect !== undefined && d.primary === undefined && d.bondMode !== undefined && PRIMARY_MODES.includes(d.bondMode)) {
      out.push({ path: ['primaryReselect'], message: 'primaryReselect has no effect unless primary is specified', warning: true });
    }
    return [...out, ...validateCommon(d)];
  },
  use: { applied: true },
});
