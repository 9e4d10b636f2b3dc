// The accepted machine config: schema (zod) and the types inferred from it.
import { z } from 'zod';
import { TopSchema } from './schema/machine.js';
import { crossRules } from './schema/rules.js';
import { expected } from './fields.js';

export * from './schema/network.js';
export { tableNumber } from './defaults.js';
export { CA_BUNDLE_PATHS, ClusterSchema, DiscoverySchema, MachineSchema, MACHINE_TYPES, UNUSED_CLUSTER_KEYS, UNUSED_MACHINE_KEYS, DEFAULT_DISCOVERY_ENDPOINT } from './schema/machine.js';

// Type errors everywhere read "expected a mapping, got "x" (a string)" rather than zod's stock wording.
const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'an integer' };
// Whether zod compiles its validators is chosen per parse, by the config's size (parseConfig). A
// global `jitless` here would not do: zod reads it when a schema is made, and most are made by the
// modules this one imports, before this line runs.
z.config({
  customError: (iss) => (iss.code === 'invalid_type' ? expected(TYPE_NAMES[iss.expected] ?? iss.expected, iss.input) : undefined),
});

export const MachineConfigSchema = TopSchema.superRefine((c, ctx) => crossRules(c, ctx), { when: () => true });

export type MachineConfig = z.infer<typeof MachineConfigSchema>;
