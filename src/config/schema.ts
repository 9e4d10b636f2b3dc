// The accepted machine config: schema (zod) and the types inferred from it.
import { z } from 'zod';
import { routeTableNumber } from '../resources/network/enums.js';
import { TopSchema } from './schema/machine.js';
import { crossRules } from './schema/rules.js';
import type { RouteConfig } from './schema/network.js';
import { expected } from './fields.js';

export * from './schema/network.js';
export { CA_BUNDLE_PATHS, ClusterSchema, DiscoverySchema, MachineSchema, MACHINE_TYPES, UNUSED_CLUSTER_KEYS, UNUSED_MACHINE_KEYS, DEFAULT_DISCOVERY_ENDPOINT } from './schema/machine.js';

// Type errors everywhere read "expected a mapping, got "x" (a string)" rather than zod's stock wording.
const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'an integer' };
// jitless: zod compiles a fast path for each object schema (new Function) on its first parse; a config
// is parsed once per apply, and compiling cost more than it saved even at 100k routes (measured:
// netcfg validate 162.1 -> 153.0 ms for a small file, 0.90 -> 0.81 s for 100k routes)
z.config({
  jitless: true,
  customError: (iss) => (iss.code === 'invalid_type' ? expected(TYPE_NAMES[iss.expected] ?? iss.expected, iss.input) : undefined),
});

export const MachineConfigSchema = TopSchema.superRefine((c, ctx) => crossRules(c, ctx), { when: () => true });

export type MachineConfig = z.infer<typeof MachineConfigSchema>;

/** Route table as a kernel number. */
export function tableNumber(table: RouteConfig['table']): number {
  return typeof table === 'number' ? table : routeTableNumber(table);
}
