// VLANConfig: a VLAN link netcfg creates on a parent (talos-multidoc.md §3.5).
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { enumOf, uint16, type Problem } from '../fields.js';

export const VLAN_MODES = ['802.1q', '802.1ad'] as const;

export const VLANConfigSchema = documentSchema('VLANConfig', 'Creates a VLAN link on a parent link (name used as written).', () => ({
  name: nameField('Name of the VLAN link to create.'),
  vlanID: uint16('vlanID').optional().describe('VLAN ID, 1 to 4094.'),
  vlanMode: enumOf(VLAN_MODES, 'VLANProtocol').optional().describe('802.1q (default) or 802.1ad.'),
  parent: nameField('The parent link (name, alias or altname).'),
  ...commonLinkFields(),
}));

export type VLANConfigSpec = z.infer<typeof VLANConfigSchema>;

export const vlanConfig = defineKind<VLANConfigSpec>({
  kind: 'VLANConfig',
  schema: VLANConfigSchema,
  validate(d) {
    const out: Problem[] = [...requireName(d.name)];
    if (d.vlanID === undefined || d.vlanID < 1 || d.vlanID > 4094) out.push({ path: d.vlanID === undefined ? [] : ['vlanID'], message: 'vlanID must be specified and between 1 and 4094' });
    if (d.parent === undefined || d.parent === '') out.push({ path: [], message: 'parent must be specified' });
    return [...out, ...validateCommon(d)];
  },
  use: { applied: true },
});
