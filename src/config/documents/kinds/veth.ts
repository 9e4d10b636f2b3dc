// VethConfig: a veth pair netcfg creates (talos-multidoc.md §3.4); both names are literal kernel names.
import { z } from 'zod';
import { commonLinkFields, nameField, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import type { Problem } from '../fields.js';

export const VethConfigSchema = documentSchema('VethConfig', 'Creates a veth pair: this end and its peer, both in this namespace.', () => ({
  name: nameField('This end (a literal interface name).'),
  peer: z
    .strictObject({ name: nameField('The other end (a literal interface name).'), ...commonLinkFields() })
    .optional()
    .describe('The peer end and its settings.'),
  ...commonLinkFields(),
}));

export type VethConfigSpec = z.infer<typeof VethConfigSchema>;

/** Talos' interface-name checks, with the field's label ("name" or "peer name") first. */
function nameProblem(label: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return `${label} must be specified`;
  if (Buffer.byteLength(v) > 15) return `${label} must not exceed 15 bytes`;
  if (v === '.' || v === '..') return `${label} must not be "${v}"`;
  if (/[/:]/.test(v)) return `${label} must not contain '/' or ':'`;
  if (/[\s\p{C}]/u.test(v)) return `${label} must not contain whitespace or non-printable characters`;
  return undefined;
}

export const vethConfig = defineKind<VethConfigSpec>({
  kind: 'VethConfig',
  schema: VethConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    const a = nameProblem('name', d.name);
    if (a) out.push({ path: ['name'], message: a });
    const b = nameProblem('peer name', d.peer?.name);
    if (b) out.push({ path: d.peer ? ['peer', 'name'] : [], message: b });
    if (!a && !b && d.name === d.peer?.name) out.push({ path: ['peer', 'name'], message: 'name and peer name must be different' });
    return [...out, ...validateCommon(d), ...(d.peer ? validateCommon(d.peer, ['peer']) : [])];
  },
  use: { applied: true },
});
