// RoutingRuleStatusController: one RoutingRuleStatus per kernel rule, both
// families. IDs are Talos's <family>/<priority>; the kernel may hold several
// rules at one priority (Talos shows the last), so the second and later ones
// get "/2", "/3"… in kernel order. The rules it listed are kept whole for the
// rule spec controller (an exact delete needs every attribute), which reads
// the kernel's rules here and never lists them itself.
import type { RuleMessage } from '../../netlink/rtnetlink/rule.js';
import { NS } from '../../resources/resource.js';
import { routingRuleId } from '../../resources/network/ids.js';
import { T, type RoutingRuleStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { ruleRecord, type RuleListing } from '../spec/rule-spec.js';
import { syncOutputs } from '../sync.js';

export class RoutingRuleStatusController implements Controller, RuleListing {
  readonly name = 'RoutingRuleStatusController';
  readonly inputs;
  readonly outputs = [{ namespace: NS.network, type: T.RoutingRuleStatus, kind: 'exclusive' as const }];
  /** Not while the rule spec controller writes: a listing in the middle would miss what it just wrote. */
  readonly waitsOut: readonly string[];
  rules: readonly RuleMessage[] = [];
  generation = 0;

  /**
   * `onlyWhenManaged` (one-shot runs): list only while netcfg has rules to apply
   * or undo; its own writes are the only changes there, so it lists once. Else
   * (the daemon, `netcfg get`) always, and again on each rule event.
   */
  constructor(
    private readonly kernel: Kernel,
    private readonly options: { onlyWhenManaged: boolean } = { onlyWhenManaged: false },
  ) {
    this.inputs = options.onlyWhenManaged
      ? [
          { namespace: NS.network, type: T.RoutingRuleSpec },
          { namespace: NS.state, type: T.AppliedRoutingRule, passive: true },
        ]
      : [];
    this.waitsOut = options.onlyWhenManaged ? [] : ['RoutingRuleSpecController'];
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    if (this.options.onlyWhenManaged) {
      if (this.generation > 0) return;
      if (ctx.count(NS.network, T.RoutingRuleSpec) === 0 && ctx.count(NS.state, T.AppliedRoutingRule) === 0) return;
    }
    const rules = await this.kernel.listRules();
    const desired = new Map<string, RoutingRuleStatus>();
    const seen = new Map<string, number>();
    for (const rule of rules) {
      const status = ruleRecord(rule);
      const id = routingRuleId(status);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      desired.set(n === 1 ? id : `${id}/${n}`, status);
    }
    this.rules = rules;
    syncOutputs(ctx, this.name, NS.network, T.RoutingRuleStatus, desired);
    this.generation++;
  }
}
