// LinkConfig: a physical link (talos-multidoc.md §3.1).
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';

export const LinkConfigSchema = documentSchema('LinkConfig', 'Configures a physical link (named by its name, alias or altname): up, MTU, addresses, routes.', () => ({
  name: nameField('The link: its name, alias or altname.'),
  ...commonLinkFields(),
}));

export type LinkConfigSpec = z.infer<typeof LinkConfigSchema>;

export const linkConfig = defineKind<LinkConfigSpec>({
  kind: 'LinkConfig',
  schema: LinkConfigSchema,
  validate: (d) => [...requireName(d.name), ...validateCommon(d)],
  use: { applied: true },
});
