// EthernetConfig: ethtool settings of a link: rings, features, channels, Wake-on-LAN (talos-multidoc.md §3.16;
// applied by controllers/spec/ethernet-spec.ts).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { bool, enumOf, list, uint32 } from '../fields.js';
import { expected } from '../../fields.js';

export const WOL_MODES = ['phy', 'unicast', 'multicast', 'broadcast', 'magic', 'magicsecure', 'filter'] as const;

export const EthernetConfigSchema = documentSchema('EthernetConfig', 'ethtool settings of a link (name used literally).', () => ({
  name: nameField('The link (its kernel name).'),
  features: z
    .record(z.string(), bool(), { error: (iss) => expected('a mapping of ethtool feature names to true or false', iss.input) })
    .optional()
    .describe('ethtool features, e.g. tx-checksum-ipv4: true.'),
  rings: z
    .strictObject({
      rx: uint32('rx').optional(),
      tx: uint32('tx').optional(),
      'rx-mini': uint32('rx-mini').optional(),
      'rx-jumbo': uint32('rx-jumbo').optional(),
      'rx-buf-len': uint32('rx-buf-len').optional(),
      'cqe-size': uint32('cqe-size').optional(),
      'tx-push': bool().optional(),
      'rx-push': bool().optional(),
      'tx-push-buf-len': uint32('tx-push-buf-len').optional(),
      'tcp-data-split': bool().optional(),
    })
    .optional()
    .describe('Ring sizes, like ethtool -G.'),
  channels: z
    .strictObject({ rx: uint32('rx').optional(), tx: uint32('tx').optional(), other: uint32('other').optional(), combined: uint32('combined').optional() })
    .optional()
    .describe('Channel counts, like ethtool -L.'),
  wakeOnLan: list(enumOf(WOL_MODES, 'WOLMode'), 'a list of Wake-on-LAN modes').optional().describe('Absent: unchanged; []: Wake-on-LAN off.'),
}));

export type EthernetConfigSpec = z.infer<typeof EthernetConfigSchema>;

export const ethernetConfig = defineKind<EthernetConfigSpec>({
  kind: 'EthernetConfig',
  schema: EthernetConfigSchema,
  validate: (d) => (d.name === undefined || d.name === '' ? [{ path: ['name'], message: 'name is required' }] : []),
  use: { applied: true },
});
