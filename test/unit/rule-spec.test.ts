// Routing rules as resources, against the in-memory kernel: layered specs merge
// by <family>/<priority> with the higher layer winning, and the spec controller
// keeps the route ownership rules (adds, records, deletes only its own, and a
// second run writes nothing).
import { describe, expect, it } from 'vitest';
import { FR_ACT_TO_TBL, RTPROT_BOOT, RTPROT_STATIC } from '../../src/netlink/rtnetlink/constants.js';
import type { RuleMessage } from '../../src/netlink/rtnetlink/rule.js';
import { NS } from '../../src/resources/resource.js';
import { T, type AppliedRoutingRule, type RoutingRuleSpec } from '../../src/resources/network/types.js';
import { layeredId, routingRuleId } from '../../src/resources/network/ids.js';
import { RoutingRuleSpecController, ruleMessage, ruleRecord } from '../../src/controllers/spec/rule-spec.js';
import { RoutingRuleStatusController } from '../../src/controllers/status/rule-status.js';
import { MergeController } from '../../src/controllers/merge/merge.js';
import { routingRuleRule } from '../../src/controllers/merge/rules.js';
import { silentLogger } from '../../src/log.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { MemoryState } from '../helpers/memory-state.js';
import { kubespanRules, ruleSpec, runRules } from '../helpers/rules.js';

const kernelRule = (k: FakeKernel, family: string, priority: number) => k.rules.filter((r) => r.family === family && r.priority === priority);

function foreign(extra: Partial<RuleMessage>): RuleMessage {
  return { family: 'inet4', priority: 32500, action: FR_ACT_TO_TBL, table: 181, srcLen: 0, dstLen: 0, fwmark: 0x40, fwmask: 0x60, protocol: RTPROT_BOOT, ...extra };
}

describe('routing rule IDs and merge', () => {
  it('IDs are <family>/<priority, five digits> as Talos forms them', () => {
    expect(routingRuleId({ family: 'inet4', priority: 32500 })).toBe('inet4/32500');
    expect(routingRuleId({ family: 'inet6', priority: 100 })).toBe('inet6/00100');
  });

  it('union of layers; on the same family and priority the higher layer wins', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const r = await runRules(k, state, [
      ruleSpec({ family: 'inet4', priority: 1000, src: '10.0.0.0/8', table: '100', layer: 'cmdline' }),
      ruleSpec({ family: 'inet4', priority: 1000, src: '10.0.0.0/8', table: '200', layer: 'configuration' }),
      ruleSpec({ family: 'inet4', priority: 2000, dst: '192.168.0.0/16', table: '123', layer: 'platform' }),
      ...kubespanRules('operator'),
    ]);
    expect(r.failures).toEqual([]);
    const merged = r.runtime.store.list<RoutingRuleSpec>(NS.network, T.RoutingRuleSpec);
    expect(merged.map((m) => m.metadata.id).sort()).toEqual(['inet4/01000', 'inet4/02000', 'inet4/32500', 'inet6/32500']);
    expect(merged.find((m) => m.metadata.id === 'inet4/01000')!.spec).toMatchObject({ table: '200', layer: 'configuration' });
    expect(kernelRule(k, 'inet4', 1000)).toMatchObject([{ table: 200, src: '10.0.0.0', srcLen: 8, protocol: RTPROT_STATIC }]);
    expect(kernelRule(k, 'inet4', 2000)).toMatchObject([{ table: 123, dst: '192.168.0.0', dstLen: 16 }]);
  });
});

describe('RoutingRuleSpecController (in-memory kernel)', () => {
  it("adds KubeSpan's rules with protocol static and records them; a second run writes nothing", async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const first = await runRules(k, state, kubespanRules());
    expect(first.failures).toEqual([]);
    expect(first.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(['add rule inet4/32500', 'add rule inet6/32500']);
    expect(first.changes[0]!.detail).toBe('inet4 rule priority 32500 from all fwmark 0x40/0x60 lookup 180');
    for (const family of ['inet4', 'inet6']) {
      expect(kernelRule(k, family, 32500)).toEqual([{ family, priority: 32500, action: FR_ACT_TO_TBL, table: 180, srcLen: 0, dstLen: 0, tos: 0, flags: 0, fwmark: 0x40, fwmask: 0x60, protocol: RTPROT_STATIC }]);
    }
    expect(state.items<AppliedRoutingRule>(T.AppliedRoutingRule).map((i) => [i.id, i.spec.created])).toEqual([
      ['inet4/32500', true],
      ['inet6/32500', true],
    ]);
    const writes = k.writes;
    const second = await runRules(k, state, kubespanRules());
    expect(second.changes).toEqual([]);
    expect(k.writes).toBe(writes);
  });

  it("never touches others' rules at the same priority, and removes only its own when the spec goes", async () => {
    const k = new FakeKernel();
    k.rules.push(foreign({}), foreign({ family: 'inet6', table: 254, fwmark: undefined, fwmask: undefined }));
    const before = structuredClone(k.rules);
    const state = new MemoryState();
    await runRules(k, state, kubespanRules());
    expect(k.rules).toHaveLength(4);
    expect(k.rules.slice(0, 2)).toEqual(before);
    const gone = await runRules(k, state, []);
    expect(gone.failures).toEqual([]);
    expect(gone.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(['remove rule inet4/32500', 'remove rule inet6/32500']);
    expect(k.rules).toEqual(before);
    expect(state.items(T.AppliedRoutingRule)).toEqual([]);
  });

  it('a rule that was already there (identical, protocol static) is left in place when the spec goes', async () => {
    const k = new FakeKernel();
    const [spec] = kubespanRules();
    const theirs = ruleMessage(spec!);
    k.rules.push(theirs);
    const state = new MemoryState();
    const r = await runRules(k, state, [spec!]);
    expect(r.changes).toEqual([]);
    expect(k.writes).toBe(0);
    expect(state.items<AppliedRoutingRule>(T.AppliedRoutingRule)).toMatchObject([{ id: 'inet4/32500', spec: { created: false } }]);
    await runRules(k, state, []);
    expect(k.rules).toEqual([theirs]);
    expect(k.writes).toBe(0);
    expect(state.items(T.AppliedRoutingRule)).toEqual([]);
  });

  it('a changed spec replaces exactly netcfg’s rule; a rule deleted by hand comes back', async () => {
    const k = new FakeKernel();
    k.rules.push(foreign({}));
    const state = new MemoryState();
    await runRules(k, state, [ruleSpec({ family: 'inet4', priority: 32500, table: '180', fwMark: 0x40, fwMask: 0x60 })]);
    const changed = await runRules(k, state, [ruleSpec({ family: 'inet4', priority: 32500, table: '190', fwMark: 0x40, fwMask: 0x60 })]);
    expect(changed.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(['change rule inet4/32500']);
    expect(k.rules.map((r) => `${r.table}/${r.protocol}`)).toEqual(['181/3', '190/4']);
    k.rules.pop(); // deleted by hand
    const back = await runRules(k, state, [ruleSpec({ family: 'inet4', priority: 32500, table: '190', fwMark: 0x40, fwMask: 0x60 })]);
    expect(back.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(['add rule inet4/32500']);
    expect(k.rules.map((r) => `${r.table}/${r.protocol}`)).toEqual(['181/3', '190/4']);
  });

  it('dry run reports the change and touches neither the kernel nor the records', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const r = await runRules(k, state, kubespanRules(), { dryRun: true });
    expect(r.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual(['add rule inet4/32500', 'add rule inet6/32500']);
    expect(k.rules).toEqual([]);
    expect(k.writes).toBe(0);
    expect(state.items(T.AppliedRoutingRule)).toEqual([]);
  });

  it('a mark without a mask, actions without a table, and status records read back as specs', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const specs = [
      ruleSpec({ family: 'inet4', priority: 700, table: '180', fwMark: 0x20 }),
      ruleSpec({ family: 'inet4', priority: 800, action: 'blackhole', table: 'unspec', iifName: 'eth0' }),
      ruleSpec({ family: 'inet6', priority: 900, action: 'unreachable', table: 'unspec', src: 'fd00::/8' }),
    ];
    await runRules(k, state, specs);
    expect(k.rules.map(ruleRecord)).toEqual(specs.map(({ layer: _l, ...rest }) => rest));
    const writes = k.writes;
    await runRules(k, state, specs);
    expect(k.writes).toBe(writes);
  });
});

describe('routing rule specs that cannot be applied', () => {
  it('are reported once (not retried), and nothing is written', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const r = await runRules(k, state, [
      ruleSpec({ family: 'inet4', priority: 10, table: 'unspec' }),
      ruleSpec({ family: 'inet4', priority: 11, action: 'goto' }),
      ruleSpec({ family: 'inet4', priority: 12, table: 'nosuchtable' }),
      ruleSpec({ family: 'inet4', priority: 13, src: '10.0.0.0/33' }),
    ]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.error.name).toBe('TerminalError');
    expect(r.failures[0]!.error.message.split('; ')).toEqual([
      'routing rule inet4/00010: a unicast rule needs a table to look up',
      'routing rule inet4/00011: action "goto" is not one of unicast, blackhole, unreachable, prohibit',
      'routing rule inet4/00012: table "nosuchtable" is not a table name or number',
      'routing rule inet4/00013: invalid prefix "10.0.0.0/33" in a routing rule',
    ]);
    expect(k.writes).toBe(0);
  });
});

describe('the kernel rules through the rule statuses', () => {
  /** Counts the rule listings asked of `k` from now on. */
  function countListings(k: FakeKernel): { n: number } {
    const count = { n: 0 };
    const list = k.listRules.bind(k);
    k.listRules = (family) => {
      count.n++;
      return list(family);
    };
    return count;
  }

  it('a one-shot run lists the rules once (the statuses), and not at all with no rule to apply or undo', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const listings = countListings(k);
    expect((await runRules(k, state, [])).failures).toEqual([]);
    expect(listings.n).toBe(0);
    expect((await runRules(k, state, kubespanRules())).failures).toEqual([]);
    expect(listings.n).toBe(1);
    const writes = k.writes;
    await runRules(k, state, kubespanRules());
    expect([listings.n, k.writes]).toEqual([2, writes]);
    // the specs gone: the records say what to undo
    const undo = await runRules(k, state, []);
    expect(undo.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['remove inet4/32500', 'remove inet6/32500']);
    expect([listings.n, k.rules.length]).toEqual([3, 0]);
  });

  it('a later pass of the same run takes its own writes as done (not listed since): nothing is added twice', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    const listings = countListings(k);
    const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot', persist: (r) => state.save(r) });
    const statuses = new RoutingRuleStatusController(k, { onlyWhenManaged: true });
    runtime.register(new MergeController(routingRuleRule));
    runtime.register(statuses);
    runtime.register(new RoutingRuleSpecController(k, statuses));
    const put = (s: RoutingRuleSpec) => runtime.store.put(NS.networkConfig, T.RoutingRuleSpec, layeredId(s.layer, routingRuleId(s)), s, 'test');
    put(ruleSpec({ family: 'inet4', priority: 1000, table: '100' }));
    await runtime.start();
    await runtime.settle();
    put(ruleSpec({ family: 'inet4', priority: 2000, table: '200' }));
    await runtime.settle();
    await runtime.stop();
    expect(runtime.failures()).toEqual([]);
    expect(k.rules.map((r) => `${r.priority} ${r.table}`)).toEqual(['1000 100', '2000 200']);
    expect(listings.n).toBe(1);
    expect(runtime.changes.changes.map((c) => `${c.action} ${c.id}`)).toEqual(['add inet4/01000', 'add inet4/02000']);
  });

  it('rules never listed are never acted on: after a failed listing, a re-apply waits for the statuses and writes nothing', async () => {
    const k = new FakeKernel();
    const state = new MemoryState();
    await runRules(k, state, kubespanRules());
    const writes = k.writes;
    const list = k.listRules.bind(k);
    let calls = 0;
    k.listRules = (family) => (++calls === 1 ? Promise.reject(new Error('dump interrupted once too often')) : list(family));
    const r = await runRules(k, state, kubespanRules());
    expect(r.failures).toEqual([]);
    expect(calls).toBe(2);
    // on an empty listing, netcfg's own rules would have looked gone, and been added again
    expect(r.changes).toEqual([]);
    expect(k.writes).toBe(writes);
    expect(k.rules.map((x) => `${x.family} ${x.priority}`)).toEqual(['inet4 32500', 'inet6 32500']);
  });
});
