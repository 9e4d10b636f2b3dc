// RoutingRuleConfig: a policy routing rule; the name is its priority (talos-multidoc.md §3.18).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { enumOf, prefix, routingTable, text, uint32, type Problem } from '../fields.js';
import { rulePriority } from '../values.js';

export { rulePriority };

export const RULE_ACTIONS = ['unspec', 'unicast', 'blackhole', 'unreachable', 'prohibit'] as const;

export const RoutingRuleConfigSchema = documentSchema('RoutingRuleConfig', 'A policy routing rule (ip rule); the name is its priority.', () => ({
  name: nameField('The rule priority, 1 to 32765 (a decimal string).'),
  src: prefix('source prefix').optional(),
  dst: prefix('destination prefix').optional(),
  table: routingTable().optional().describe('The table to look up.'),
  action: enumOf(RULE_ACTIONS, 'RoutingRuleAction').optional().describe('unicast (default), blackhole, unreachable or prohibit.'),
  iifName: text('an interface name').optional(),
  oifName: text('an interface name').optional(),
  fwMark: uint32('fwMark').optional(),
  fwMask: uint32('fwMask').optional(),
}));

export type RoutingRuleConfigSpec = z.infer<typeof RoutingRuleConfigSchema>;

const RESERVED = [0, 32500, 32766, 32767];

export const routingRuleConfig = defineKind<RoutingRuleConfigSpec>({
  kind: 'RoutingRuleConfig',
  schema: RoutingRuleConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    if (d.name === undefined || d.name === '') out.push({ path: ['name'], message: 'name must be specified' });
    else {
      const { priority, error } = rulePriority(d.name);
      if (error) out.push({ path: ['name'], message: `invalid name: must be priority parsable unsigned integer: ${error}` });
      if (RESERVED.includes(priority)) out.push({ path: ['name'], message: 'priority must be between 1 and 32765 (excluding reserved priorities [0 32500 32766 32767])' });
    }
    const action = d.action === undefined || d.action === 'unspec' ? 'unicast' : d.action;
    if ((d.table ?? 0) === 0 && action === 'unicast') out.push({ path: [], message: 'either table or a non-unicast action must be specified' });
    if ((d.fwMask ?? 0) !== 0 && (d.fwMark ?? 0) === 0) out.push({ path: ['fwMask'], message: 'fwMask requires fwMark to be set' });
    return out;
  },
  use: { applied: true },
});
