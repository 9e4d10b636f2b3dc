// NetworkRuleConfig and NetworkDefaultActionConfig: the ingress firewall (talos-multidoc.md §3.19;
// applied by controllers/config/firewall-config.ts).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { enumOf, list, prefix, type Problem } from '../fields.js';
import { expected } from '../../fields.js';

/** A port (53) or an inclusive range ("8000-9000"). */
const portRange = () =>
  z.union([z.number(), z.string()], { error: (iss) => expected('a port or a port range "lo-hi"', iss.input) }).transform((v, ctx): [number, number] => {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(String(v));
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo > 65535 || hi > 65535) {
      ctx.addIssue({ code: 'custom', message: `invalid port range: ${JSON.stringify(String(v))}`, input: v });
      return z.NEVER;
    }
    return [lo, hi];
  });

export const NetworkRuleConfigSchema = documentSchema('NetworkRuleConfig', 'An ingress firewall rule: which sources may reach which ports.', () => ({
  name: nameField('Rule name.'),
  portSelector: z
    .strictObject({
      ports: list(portRange(), 'a list of ports and port ranges').optional(),
      protocol: enumOf(['tcp', 'udp', 'icmp', 'icmpv6'] as const, 'Protocol').optional(),
    })
    .optional(),
  ingress: list(z.strictObject({ subnet: prefix('subnet').optional(), except: prefix('except').optional() }), 'a list of ingress rules').optional(),
}));

export const NetworkDefaultActionConfigSchema = documentSchema('NetworkDefaultActionConfig', 'The ingress firewall default action.', () => ({
  ingress: enumOf(['accept', 'block'] as const, 'DefaultAction').optional().describe('accept (default) or block.'),
}));

export type NetworkRuleConfigSpec = z.infer<typeof NetworkRuleConfigSchema>;
export type NetworkDefaultActionConfigSpec = z.infer<typeof NetworkDefaultActionConfigSchema>;

export const networkRuleConfig = defineKind<NetworkRuleConfigSpec>({
  kind: 'NetworkRuleConfig',
  schema: NetworkRuleConfigSchema,
  validate(d): Problem[] {
    // Talos reports the first problem only
    if (d.name === undefined || d.name === '') return [{ path: ['name'], message: 'name is required' }];
    const ports = d.portSelector?.ports ?? [];
    if (ports.length === 0) return [{ path: d.portSelector ? ['portSelector'] : [], message: 'portSelector.ports is required' }];
    for (const [i, [lo, hi]] of ports.entries()) if (lo > hi) return [{ path: ['portSelector', 'ports', i], message: `invalid port range: ${lo}-${hi}` }];
    const sorted = ports.map((p, i) => ({ p, i })).sort((a, b) => a.p[0] - b.p[0]);
    for (let k = 1; k < sorted.length; k++) {
      const [a, b] = [sorted[k - 1]!, sorted[k]!];
      if (b.p[0] <= a.p[1]) {
        const show = (r: [number, number]) => (r[0] === r[1] ? `${r[0]}` : `${r[0]}-${r[1]}`);
        return [{ path: ['portSelector', 'ports', b.i], message: `invalid port range: ${show(a.p)}, overlaps with ${show(b.p)}` }];
      }
    }
    for (const [i, rule] of (d.ingress ?? []).entries()) {
      if (rule.subnet === undefined || rule.subnet === '') return [{ path: ['ingress', i], message: `invalid subnet: ${rule.subnet ?? ''}` }];
    }
    return [];
  },
  use: { applied: true },
});

export const networkDefaultActionConfig = defineKind<NetworkDefaultActionConfigSpec>({ kind: 'NetworkDefaultActionConfig', schema: NetworkDefaultActionConfigSchema, use: { applied: true } });
