// BridgeConfig: a bridge netcfg creates, with its ports (talos-multidoc.md §3.7).
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { bool, hwaddr, list, text } from '../fields.js';

export const BridgeConfigSchema = documentSchema('BridgeConfig', 'Creates a bridge and enslaves its ports.', () => ({
  name: nameField('Name of the bridge to create.'),
  hardwareAddr: hwaddr().optional().describe('MAC address (default: the lowest port MAC).'),
  links: list(text('a link name'), 'a list of link names').optional().describe('Ports (names, aliases or altnames).'),
  stp: z.strictObject({ enabled: bool().optional().describe('Spanning tree (default false).') }).optional(),
  vlan: z.strictObject({ filtering: bool().optional().describe('VLAN filtering (default false).') }).optional(),
  ...commonLinkFields(),
}));

export type BridgeConfigSpec = z.infer<typeof BridgeConfigSchema>;

export const bridgeConfig = defineKind<BridgeConfigSpec>({
  kind: 'BridgeConfig',
  schema: BridgeConfigSchema,
  validate: (d) => [...requireName(d.name), ...validateCommon(d)],
  use: { applied: true },
});
