// DummyLinkConfig: a dummy link netcfg creates (talos-multidoc.md §3.3).
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { hwaddr } from '../fields.js';

export const DummyLinkConfigSchema = documentSchema('DummyLinkConfig', 'Creates a dummy link.', () => ({
  name: nameField('Name of the dummy link to create.'),
  hardwareAddr: hwaddr().optional().describe('MAC address (default: random).'),
  ...commonLinkFields(),
}));

export type DummyLinkConfigSpec = z.infer<typeof DummyLinkConfigSchema>;

export const dummyLinkConfig = defineKind<DummyLinkConfigSpec>({
  kind: 'DummyLinkConfig',
  schema: DummyLinkConfigSchema,
  validate: (d) => [...requireName(d.name), ...validateCommon(d)],
  use: { applied: true },
});
