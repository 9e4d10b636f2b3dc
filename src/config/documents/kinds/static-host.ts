// StaticHostConfig: /etc/hosts entries for one IP (talos-multidoc.md §3.14).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { list, text, type Problem } from '../fields.js';
import { ipFamily } from '../../../net/ip.js';

export const StaticHostConfigSchema = documentSchema('StaticHostConfig', '/etc/hosts names for one IP address.', () => ({
  name: nameField('The IP address.'),
  hostnames: list(text('a host name'), 'a list of host names').optional(),
}));

export type StaticHostConfigSpec = z.infer<typeof StaticHostConfigSchema>;

export const staticHostConfig = defineKind<StaticHostConfigSpec>({
  kind: 'StaticHostConfig',
  schema: StaticHostConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    if (d.name === undefined || d.name === '') out.push({ path: ['name'], message: 'name is required' });
    else if (!ipFamily(d.name)) out.push({ path: ['name'], message: 'name must be a valid IP address' });
    if (!d.hostnames || d.hostnames.length === 0) out.push({ path: d.hostnames ? ['hostnames'] : [], message: 'at least one hostname is required' });
    return out;
  },
  use: { applied: true },
});
