// Runs the routing rule merge, status and spec controllers once over layered
// specs, as a one-shot apply does (KubeSpan writes its own layer).
import type { Kernel } from '../../src/controllers/kernel.js';
import { MergeController } from '../../src/controllers/merge/merge.js';
import { routingRuleRule } from '../../src/controllers/merge/rules.js';
import { RoutingRuleSpecController } from '../../src/controllers/spec/rule-spec.js';
import { RoutingRuleStatusController } from '../../src/controllers/status/rule-status.js';
import { silentLogger } from '../../src/log.js';
import { layeredId, routingRuleId } from '../../src/resources/network/ids.js';
import { T, type RoutingRuleSpec } from '../../src/resources/network/types.js';
import { NS } from '../../src/resources/resource.js';
import type { Change } from '../../src/runtime/changes.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { MemoryState } from './memory-state.js';

export const ruleSpec = (s: Partial<RoutingRuleSpec> & Pick<RoutingRuleSpec, 'family' | 'priority'>): RoutingRuleSpec => ({
  src: '',
  dst: '',
  table: 'main',
  action: 'unicast',
  iifName: '',
  oifName: '',
  fwMark: 0,
  fwMask: 0,
  layer: 'configuration',
  ...s,
});

/** KubeSpan's rules (spec §7.5 step 7): fwmark 0x40/0x60 lookup 180, priority 32500, both families. */
export const kubespanRules = (layer: RoutingRuleSpec['layer'] = 'operator'): RoutingRuleSpec[] =>
  (['inet4', 'inet6'] as const).map((family) => ruleSpec({ family, priority: 32500, table: '180', fwMark: 0x40, fwMask: 0x60, layer }));

export interface RuleRun {
  changes: Change[];
  failures: Array<{ controller: string; error: Error }>;
  runtime: Runtime;
}

export async function runRules(kernel: Kernel, state: MemoryState, specs: readonly RoutingRuleSpec[], options: { dryRun?: boolean } = {}): Promise<RuleRun> {
  const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot', dryRun: options.dryRun ?? false, persist: (r) => state.save(r) });
  runtime.register(new MergeController(routingRuleRule));
  const statuses = new RoutingRuleStatusController(kernel, { onlyWhenManaged: true });
  runtime.register(statuses);
  runtime.register(new RoutingRuleSpecController(kernel, statuses));
  for (const kind of state.load()) for (const item of kind.items) runtime.store.put(NS.state, kind.type, item.id, item.spec, kind.owner);
  for (const s of specs) runtime.store.put(NS.networkConfig, T.RoutingRuleSpec, layeredId(s.layer, routingRuleId(s)), s, 'test');
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  return { changes: runtime.changes.changes.map((c) => ({ action: c.action, kind: c.kind, id: c.id, detail: c.detail })), failures: runtime.failures(), runtime };
}
