// RoutingRuleSpecController: makes the kernel's routing rules match the merged
// RoutingRuleSpecs, with the ownership rules of routes. netcfg's rules carry
// protocol "static"; a kernel rule equal to the spec in every field (protocol
// included) is "the" rule. netcfg adds a rule when there is none, records what
// it added in the state namespace, and deletes exactly that rule (every field
// sent) when the spec goes or changes. It never deletes or replaces a rule it
// did not create: one that already matched is recorded as found and left in
// place, and others' rules at the same priority stay beside netcfg's (Talos
// deletes those; the kernel keeps several rules at one priority in order).
import type { Request } from '../../netlink/connection.js';
import { FR_ACT_BLACKHOLE, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE, RTPROT_STATIC, RT_TABLE_UNSPEC } from '../../netlink/rtnetlink/constants.js';
import { AddRuleRequest, DeleteRuleRequest, describeRule, effectiveFwmask, type RuleMessage } from '../../netlink/rtnetlink/rule.js';
import { parsePrefix, formatIP, networkOf } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { RuleAction, RoutingTable, routeTableNumber } from '../../resources/network/enums.js';
import { T, type AppliedRoutingRule, type RoutingRuleRecord, type RoutingRuleSpec } from '../../resources/network/types.js';
import type { ChangeAction } from '../../runtime/changes.js';
import { ReconcileErrors, TerminalError, type Controller, type ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { runOperations, type Operation } from '../outcomes.js';
import { finishUndo, forget, hold, keep, partition } from './applied.js';
import { OwnWrites } from './own-writes.js';

const RULE_SPEC_ACTIONS = [FR_ACT_TO_TBL, FR_ACT_BLACKHOLE, FR_ACT_UNREACHABLE, FR_ACT_PROHIBIT];

function prefixParts(text: string): { addr?: string; len: number } {
  if (text === '') return { len: 0 };
  const p = parsePrefix(text);
  if (!p) throw new Error(`invalid prefix "${text}" in a routing rule`);
  return p.bits === 0 ? { len: 0 } : { addr: formatIP(networkOf(p)), len: p.bits };
}

/** The kernel rule a record stands for (netcfg's rules are protocol static). */
export function ruleMessage(r: RoutingRuleRecord): RuleMessage {
  const action = r.action === '' ? FR_ACT_TO_TBL : RuleAction.number(r.action);
  if (action === undefined || !RULE_SPEC_ACTIONS.includes(action)) throw new Error(`action "${r.action}" is not one of unicast, blackhole, unreachable, prohibit`);
  const table = r.table === '' ? (action === FR_ACT_TO_TBL ? routeTableNumber(undefined) : RT_TABLE_UNSPEC) : RoutingTable.number(r.table);
  if (table === undefined) throw new Error(`table "${r.table}" is not a table name or number`);
  // the kernel would pick an empty table of its own for a lookup in table 0 (every time)
  if (action === FR_ACT_TO_TBL && table === RT_TABLE_UNSPEC) throw new Error('a unicast rule needs a table to look up');
  const src = prefixParts(r.src);
  const dst = prefixParts(r.dst);
  const m: RuleMessage = { family: r.family, priority: r.priority, action, table, srcLen: src.len, dstLen: dst.len, protocol: RTPROT_STATIC };
  if (src.addr !== undefined) m.src = src.addr;
  if (dst.addr !== undefined) m.dst = dst.addr;
  if (r.iifName !== '') m.iifName = r.iifName;
  if (r.oifName !== '') m.oifName = r.oifName;
  if (r.fwMark !== 0 || r.fwMask !== 0) {
    m.fwmark = r.fwMark >>> 0;
    if (r.fwMask !== 0) m.fwmask = r.fwMask >>> 0;
  }
  return m;
}

/** A kernel rule in resource form (statuses). */
export function ruleRecord(m: RuleMessage): RoutingRuleRecord {
  const mask = effectiveFwmask(m);
  return {
    family: m.family,
    src: m.src !== undefined && m.srcLen > 0 ? `${m.src}/${m.srcLen}` : '',
    dst: m.dst !== undefined && m.dstLen > 0 ? `${m.dst}/${m.dstLen}` : '',
    table: RoutingTable.name(m.table),
    priority: m.priority,
    action: RuleAction.name(m.action),
    iifName: m.iifName ?? '',
    oifName: m.oifName ?? '',
    fwMark: m.fwmark ?? 0,
    fwMask: m.fwmark && mask === 0xffffffff ? 0 : mask,
  };
}

/** Whether the kernel rule is exactly the one wanted (netcfg's own, or one equal to it in every field). */
function matches(k: RuleMessage, w: RuleMessage): boolean {
  return (
    k.family === w.family &&
    k.priority === w.priority &&
    k.action === w.action &&
    k.table === w.table &&
    k.srcLen === w.srcLen &&
    (k.srcLen === 0 || k.src === w.src) &&
    k.dstLen === w.dstLen &&
    (k.dstLen === 0 || k.dst === w.dst) &&
    (k.iifName ?? '') === (w.iifName ?? '') &&
    (k.oifName ?? '') === (w.oifName ?? '') &&
    (k.fwmark ?? 0) === (w.fwmark ?? 0) &&
    effectiveFwmask(k) === effectiveFwmask(w) &&
    k.suppressPrefixLength === undefined &&
    (k.tos ?? 0) === 0 &&
    (k.flags ?? 0) === 0 &&
    k.goto === undefined &&
    // kernels before 4.17 report no protocol
    (k.protocol === undefined || k.protocol === w.protocol)
  );
}

function sameRecord(a: RoutingRuleRecord, b: RoutingRuleRecord): boolean {
  return (
    a.family === b.family &&
    a.src === b.src &&
    a.dst === b.dst &&
    a.table === b.table &&
    a.priority === b.priority &&
    a.action === b.action &&
    a.iifName === b.iifName &&
    a.oifName === b.oifName &&
    a.fwMark === b.fwMark &&
    a.fwMask === b.fwMask
  );
}

function recordOf(s: RoutingRuleSpec): RoutingRuleRecord {
  return {
    family: s.family,
    src: s.src,
    dst: s.dst,
    table: s.table,
    priority: s.priority,
    action: s.action,
    iifName: s.iifName,
    oifName: s.oifName,
    fwMark: s.fwMark,
    fwMask: s.fwMask,
  };
}

/** What the rule spec controller reads of the rule statuses: the rules of their last listing, and how many listings completed. */
export interface RuleListing {
  readonly generation: number;
  readonly rules: readonly RuleMessage[];
}

/** A rule write: the rule added, or the (listed) rule deleted. */
interface RuleWrite {
  add: boolean;
  rule: RuleMessage;
}

/** The rules this controller wrote since the rule statuses last listed them (see OwnWrites). */
class WrittenRules extends OwnWrites<RuleWrite> {
  /** The kernel rule matching `want`: the latest write of one, else the listed one (unless deleted since). */
  find(listed: readonly RuleMessage[], want: RuleMessage): RuleMessage | undefined {
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i]!;
      if (matches(w.rule, want)) return w.add ? w.rule : undefined;
    }
    return listed.find((k) => matches(k, want));
  }
}

class RuleOp implements Operation {
  readonly requests: Request[];

  constructor(
    readonly pass: Pass,
    readonly action: ChangeAction,
    readonly id: string,
    readonly writes: RuleWrite[],
    readonly detail: string,
    readonly next: AppliedRoutingRule | undefined,
    readonly previous: AppliedRoutingRule | undefined,
    readonly tearingDown = false,
  ) {
    this.requests = writes.map((w) => (w.add ? new AddRuleRequest(w.rule) : new DeleteRuleRequest(w.rule)));
  }

  ok(): void {
    this.pass.ok(this);
  }

  failed(error: Error): void {
    this.pass.failed(this, error);
  }
}

class Pass {
  readonly ops: RuleOp[] = [];
  readonly errors: Error[] = [];
  readonly terminal: Error[] = [];

  constructor(
    readonly ctx: ReconcileContext,
    private readonly written: WrittenRules,
  ) {}

  ok(op: RuleOp): void {
    this.written.record(...op.writes);
    this.ctx.changes.record({ action: op.action, kind: 'rule', id: op.id, detail: op.detail });
    if (op.action === 'remove') finishUndo(this.ctx, T.RoutingRuleSpec, T.AppliedRoutingRule, op.id, op.tearingDown);
  }

  throwErrors(): void {
    if (this.errors.length > 0) throw new ReconcileErrors([...this.errors, ...this.terminal]);
    if (this.terminal.length > 0) throw new TerminalError(this.terminal.map((e) => e.message).join('; '), this.terminal);
  }

  failed(op: RuleOp, error: Error): void {
    this.errors.push(error);
    if (op.action === 'remove') return;
    if (op.previous) keep(this.ctx, T.AppliedRoutingRule, op.id, op.previous);
    else forget(this.ctx, T.AppliedRoutingRule, op.id);
  }
}

export class RoutingRuleSpecController implements Controller {
  readonly name = 'RoutingRuleSpecController';
  readonly bootPath = true;
  // the kernel's rules through the rule statuses (woken when they change: drift, a rule event in the daemon)
  readonly inputs = [
    { namespace: NS.network, type: T.RoutingRuleSpec },
    { namespace: NS.network, type: T.RoutingRuleStatus },
  ];
  readonly outputs = [{ namespace: NS.state, type: T.AppliedRoutingRule, kind: 'exclusive' as const }];
  readonly after = ['RoutingRuleStatusController'];
  private readonly written = new WrittenRules();

  /** `statuses`: the rule status controller (the rules it listed, and its listing count). */
  constructor(
    private readonly kernel: Kernel,
    private readonly statuses: RuleListing,
  ) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const { running, undo, record } = partition<RoutingRuleSpec, AppliedRoutingRule>(ctx, T.RoutingRuleSpec, T.AppliedRoutingRule);
    if (running.length === 0 && undo.length === 0) return;
    // never against rules not listed yet (a failed listing is retried by the statuses; this pass, by the runtime)
    if (this.statuses.generation === 0) throw new Error('the routing rules have not been listed yet');
    this.written.sync(this.statuses.generation);
    const listed = this.statuses.rules;
    const find = (w: RuleMessage) => this.written.find(listed, w);
    const pass = new Pass(ctx, this.written);

    for (const { id, record: rec, tearingDown } of undo) {
      const current = rec?.created ? find(ruleMessage(rec)) : undefined;
      if (!rec || !current) finishUndo(ctx, T.RoutingRuleSpec, T.AppliedRoutingRule, id, tearingDown);
      else pass.ops.push(new RuleOp(pass, 'remove', id, [{ add: false, rule: current }], describeRule(current), undefined, rec, tearingDown));
    }

    for (const r of running) {
      const id = r.metadata.id;
      hold(ctx, this.name, T.RoutingRuleSpec, r);
      let want: RuleMessage;
      try {
        want = ruleMessage(r.spec);
      } catch (err) {
        // bad input does not fix itself: reported, not retried
        pass.terminal.push(new Error(`routing rule ${id}: ${(err as Error).message}`));
        continue;
      }
      const previous = record(id);
      const next: AppliedRoutingRule = { ...recordOf(r.spec), created: false };
      const current = find(want);
      if (previous && sameRecord(previous, next)) {
        if (current) continue; // in place (netcfg's, or found there and left alone)
        pass.ops.push(new RuleOp(pass, 'add', id, [{ add: true, rule: want }], describeRule(want), { ...next, created: true }, previous));
        continue;
      }
      // new, or changed: netcfg's previous rule goes (exactly that rule), the wanted one comes unless it is there
      const writes: RuleWrite[] = [];
      const stale = previous?.created ? find(ruleMessage(previous)) : undefined;
      if (stale) writes.push({ add: false, rule: stale });
      if (!current) writes.push({ add: true, rule: want });
      if (writes.length === 0) {
        keep(ctx, T.AppliedRoutingRule, id, next); // someone else's identical rule: left alone on removal
        continue;
      }
      const action: ChangeAction = previous ? 'change' : 'add';
      const detail = stale && current ? `${describeRule(stale)} (an identical rule was already there)` : describeRule(want);
      pass.ops.push(new RuleOp(pass, action, id, writes, detail, { ...next, created: !current }, previous));
    }

    if (ctx.dryRun) {
      for (const op of pass.ops) op.ok();
      pass.throwErrors();
      return;
    }
    // record intent first: a crash after the kernel change still leaves netcfg knowing the rule is its own
    for (const op of pass.ops) if (op.next) keep(ctx, T.AppliedRoutingRule, op.id, op.next);
    if (pass.ops.length > 0) await ctx.flushState();
    // removals first, in one batch with the additions
    const ordered = [...pass.ops.filter((o) => o.action === 'remove'), ...pass.ops.filter((o) => o.action !== 'remove')];
    await runOperations(this.kernel, ordered);
    pass.throwErrors();
  }
}
