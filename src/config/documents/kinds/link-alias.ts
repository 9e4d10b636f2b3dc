// LinkAliasConfig: gives the physical link(s) a CEL selector matches an alias (talos-multidoc.md §3.2).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { text, type Problem } from '../fields.js';
import { compileLinkSelector } from '../../cel/link-selector.js';
import { aliasPattern } from '../values.js';

export { aliasPattern };

export const LinkAliasConfigSchema = documentSchema('LinkAliasConfig', 'Gives an alias to the physical link a CEL selector matches (net%d: to every match, numbered).', () => ({
  name: nameField('The alias; may end in %d to alias several links (net0, net1…).'),
  selector: z
    .strictObject({
      match: text('a CEL expression').optional().describe('CEL expression over `link` (e.g. mac(link.permanent_addr) == "00:1a:2b:3c:4d:5e"); mac() and glob() are available.'),
    })
    .optional(),
}));

export type LinkAliasConfigSpec = z.infer<typeof LinkAliasConfigSchema>;

export const linkAliasConfig = defineKind<LinkAliasConfigSpec>({
  kind: 'LinkAliasConfig',
  schema: LinkAliasConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    const name = d.name ?? '';
    if (name === '') out.push({ path: ['name'], message: 'name must be specified' });
    const i = name.indexOf('%');
    if (i >= 0 && (name.slice(i + 1) !== 'd' || i === 0)) out.push({ path: ['name'], message: `name "${name}" contains an invalid format verb, use %d suffix` });
    const match = d.selector?.match ?? '';
    if (match === '') out.push({ path: d.selector ? ['selector'] : [], message: 'link selector is required' });
    else {
      const compiled = compileLinkSelector(match);
      if (!compiled.ok) out.push({ path: ['selector', 'match'], message: `link selector is invalid: ${compiled.error}` });
    }
    return out;
  },
  use: { applied: true },
});
