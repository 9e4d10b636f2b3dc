// VRFConfig: a VRF device netcfg creates, bound to a routing table, with its members (talos-multidoc.md §3.8).
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { hwaddr, list, routingTable, routingTableName, text, type Problem } from '../fields.js';

export const VRFConfigSchema = documentSchema('VRFConfig', 'Creates a VRF device bound to a routing table and enslaves its members.', () => ({
  name: nameField('Name of the VRF device to create.'),
  hardwareAddr: hwaddr().optional(),
  links: list(text('a link name'), 'a list of link names').optional().describe('Members (names, aliases or altnames; veth ends too).'),
  table: routingTable().optional().describe('Routing table, 1 to 252 (required).'),
  ...commonLinkFields(),
}));

export type VRFConfigSpec = z.infer<typeof VRFConfigSchema>;

const RESERVED = [0, 253, 254, 255];

export const vrfConfig = defineKind<VRFConfigSpec>({
  kind: 'VRFConfig',
  schema: VRFConfigSchema,
  validate(d) {
    const out: Problem[] = [...requireName(d.name)];
    const table = d.table ?? 0;
    if (RESERVED.includes(table)) out.push({ path: d.table === undefined ? [] : ['table'], message: `cannot create vrf with reserved table ${routingTableName(table)}` });
    return [...out, ...validateCommon(d)];
  },
  use: { applied: true },
});
