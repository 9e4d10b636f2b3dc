// RoutingRuleConfig documents → RoutingRuleSpecs at the configuration layer
// (talos-multidoc.md §3.18): the document name is the priority; a rule with
// neither src nor dst is made for both families, as Talos does.
import { parsePrefix, formatPrefix } from '../../net/ip.js';
import type { Family } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { RoutingTable } from '../../resources/network/enums.js';
import { layeredId, routingRuleId } from '../../resources/network/ids.js';
import { T, type RoutingRuleSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { RoutingRuleConfigSpec } from '../../config/documents/kinds/routing-rule.js';
import { rulePriority } from '../../config/documents/values.js';
import { syncOutputs } from '../sync.js';
import { DocumentsInput, configContainer } from './documents.js';
import { MachineConfigInput } from './machine-config.js';

function prefixText(text: string | undefined): { family?: Family; text: string } {
  if (text === undefined || text === '') return { text: '' };
  const p = parsePrefix(text);
  if (!p) return { text: '' };
  return { family: p.family, text: p.bits === 0 ? '' : formatPrefix(p) };
}

/** The specs one document gives: one family from src/dst, both when neither is set. */
export function ruleSpecsFromDocument(name: string, d: RoutingRuleConfigSpec): RoutingRuleSpec[] {
  const { priority } = rulePriority(name);
  const src = prefixText(d.src);
  const dst = prefixText(d.dst);
  const families: Family[] = src.family === 'inet6' || dst.family === 'inet6' ? ['inet6'] : src.family || dst.family ? ['inet4'] : ['inet6', 'inet4'];
  const action = d.action === undefined || d.action === 'unspec' ? 'unicast' : d.action;
  return families.map((family) => ({
    family,
    src: src.text,
    dst: dst.text,
    table: d.table ? RoutingTable.name(d.table) : '',
    priority,
    action,
    iifName: d.iifName ?? '',
    oifName: d.oifName ?? '',
    fwMark: d.fwMark ?? 0,
    fwMask: d.fwMask ?? 0,
    layer: 'configuration',
  }));
}

export class RoutingRuleConfigController implements Controller {
  readonly name = 'RoutingRuleConfigController';
  readonly inputs = [MachineConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.RoutingRuleSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, RoutingRuleSpec>();
    for (const d of configContainer(ctx).ofKind('RoutingRuleConfig')) {
      for (const spec of ruleSpecsFromDocument(d.name, d.spec)) desired.set(layeredId('configuration', routingRuleId(spec)), spec);
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.RoutingRuleSpec, desired);
  }
}
