// BlackholeRouteConfig: a blackhole route; the name is the destination prefix (talos-multidoc.md §3.17).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { uint32, type Problem } from '../fields.js';
import { hostBitsCleared, parsePrefix } from '../../../net/ip.js';

export const BlackholeRouteConfigSchema = documentSchema('BlackholeRouteConfig', 'A blackhole route to a destination prefix (the name).', () => ({
  name: nameField('The destination prefix, e.g. 169.254.1.1/32.'),
  metric: uint32('metric').optional().describe('Route priority (default 1024).'),
}));

export type BlackholeRouteConfigSpec = z.infer<typeof BlackholeRouteConfigSchema>;

export const blackholeRouteConfig = defineKind<BlackholeRouteConfigSpec>({
  kind: 'BlackholeRouteConfig',
  schema: BlackholeRouteConfigSchema,
  validate(d): Problem[] {
    if (d.name === undefined || d.name === '') return [{ path: ['name'], message: 'name must be specified' }];
    if (!parsePrefix(d.name)) {
      const why = d.name.includes('/') ? 'bad prefix' : "no '/'";
      return [{ path: ['name'], message: `name must be a valid address prefix: netip.ParsePrefix(${JSON.stringify(d.name)}): ${why}` }];
    }
    const masked = hostBitsCleared(d.name);
    if (masked !== undefined) return [{ path: ['name'], message: `${d.name} has host bits set: the route is to ${masked}`, warning: true }];
    return [];
  },
  use: { applied: true },
});
