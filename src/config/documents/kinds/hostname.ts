// HostnameConfig: a static hostname, or a stable one derived from the node identity (talos-multidoc.md §3.12).
import { z } from 'zod';
import { defineKind, documentSchema, rawAt } from '../definition.js';
import { enumOf, text, type Problem } from '../fields.js';

export const HostnameConfigSchema = documentSchema('HostnameConfig', 'The hostname: static (hostname) or automatic (auto: stable).', () => ({
  auto: enumOf(['off', 'talos-addr', 'stable'] as const, 'AutoHostnameKind').optional().describe('stable: talos-XXX-YYY from the node identity; off: none.'),
  hostname: text('a hostname').optional().describe('Static hostname or FQDN (split at the first dot).'),
}));

export type HostnameConfigSpec = z.infer<typeof HostnameConfigSchema>;

export const hostnameConfig = defineKind<HostnameConfigSpec>({
  kind: 'HostnameConfig',
  schema: HostnameConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    const hostname = d.hostname ?? '';
    if (d.auto === undefined && hostname === '') return [{ path: [], message: "either 'auto' or 'hostname' must be set" }];
    if (hostname !== '' && d.auto !== undefined && d.auto !== 'off') out.push({ path: ['hostname'], message: "'auto' and 'hostname' cannot be set at the same time" });
    if (d.auto === 'talos-addr') out.push({ path: ['auto'], message: "invalid value for 'auto': talos-addr" });
    if (hostname !== '') {
      if (hostname.length > 253) out.push({ path: ['hostname'], message: `fqdn is too long: ${hostname.length}` });
      const label = hostname.split('.')[0]!;
      if (label.length === 0 || label.length > 63) out.push({ path: ['hostname'], message: `invalid hostname "${label}"` });
    }
    return out;
  },
  v1alpha1Conflicts(_d, machine) {
    const out: Problem[] = [];
    const hostname = rawAt(machine, 'machine', 'network', 'hostname');
    if (typeof hostname === 'string' && hostname !== '') out.push({ path: [], message: 'static hostname is already set in v1alpha1 config' });
    if (rawAt(machine, 'machine', 'features', 'stableHostname') === true) out.push({ path: [], message: 'stable hostname is already set in v1alpha1 config' });
    return out;
  },
  use: { applied: true },
});
