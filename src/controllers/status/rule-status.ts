// RoutingRuleStatusController: one RoutingRuleStatus per kernel rule, both
// families. IDs are Talos's <family>/<priority>; the kernel may hold several
// rules at one priority (Talos shows the last), so the second and later ones
// get "/2", "/3"… in kernel order.
import { NS } from '../../resources/resource.js';
import { routingRuleId } from '../../resources/network/ids.js';
import { T, type RoutingRuleStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { ruleRecord } from '../spec/rule-spec.js';
import { syncOutputs } from '../sync.js';

export class RoutingRuleStatusController implements Controller {
  readonly name = 'RoutingRuleStatusController';
  readonly inputs = [];
  readonly outputs = [{ namespace: NS.network, type: T.RoutingRuleStatus, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, RoutingRuleStatus>();
    const seen = new Map<string, number>();
    for (const rule of await this.kernel.listRules()) {
      const status = ruleRecord(rule);
      const id = routingRuleId(status);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      desired.set(n === 1 ? id : `${id}/${n}`, status);
    }
    syncOutputs(ctx, this.name, NS.network, T.RoutingRuleStatus, desired);
  }
}
