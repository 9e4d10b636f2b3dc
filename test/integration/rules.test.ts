// Routing rules on a real kernel, in a namespace of the test's own: what the
// rtnetlink client adds, lists and deletes is what `ip -j rule` shows.
import { execFileSync } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FR_ACT_BLACKHOLE, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE, FIB_RULE_INVERT, RTPROT_BOOT, RTPROT_STATIC } from '../../src/netlink/rtnetlink/constants.js';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import { RULE_ACTIONS, effectiveFwmask, type RuleMessage } from '../../src/netlink/rtnetlink/rule.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';
import { MemoryState } from '../helpers/memory-state.js';
import { kubespanRules, ruleSpec, runRules } from '../helpers/rules.js';
import { netcfgIn } from '../helpers/inproc.js';
import { parseJsonStream } from '../helpers/json-stream.js';

type IpRule = Record<string, unknown>;

const TABLES: Record<number, string> = { 253: 'default', 254: 'main', 255: 'local' };
const PROTOCOLS: Record<number, string> = { 0: 'unspec', 2: 'kernel', 3: 'boot', 4: 'static' };

/** A rule as `ip -j -d rule` prints it (iproute2 6.x). */
function asIp(r: RuleMessage): IpRule {
  const out: IpRule = { priority: r.priority };
  if ((r.flags ?? 0) & FIB_RULE_INVERT) out.not = null;
  out.src = r.src !== undefined && r.srcLen > 0 ? r.src : 'all';
  if (r.src !== undefined && r.srcLen > 0 && r.srcLen !== (r.family === 'inet4' ? 32 : 128)) out.srclen = r.srcLen;
  if (r.dst !== undefined && r.dstLen > 0) {
    out.dst = r.dst;
    if (r.dstLen !== (r.family === 'inet4' ? 32 : 128)) out.dstlen = r.dstLen;
  }
  if (r.fwmark) {
    out.fwmark = `0x${r.fwmark.toString(16)}`;
    if (effectiveFwmask(r) !== 0xffffffff) out.fwmask = `0x${effectiveFwmask(r).toString(16)}`;
  }
  if (r.iifName) out.iif = r.iifName;
  if (r.oifName) out.oif = r.oifName;
  if (r.action === FR_ACT_TO_TBL) out.table = TABLES[r.table] ?? String(r.table);
  else out.action = RULE_ACTIONS.find(([n]) => n === r.action)?.[1];
  if (r.suppressPrefixLength !== undefined) out.suppress_prefixlen = r.suppressPrefixLength;
  out.protocol = PROTOCOLS[r.protocol ?? 0] ?? String(r.protocol);
  return out;
}

function ipRules(net: TestNet, family: '-4' | '-6'): IpRule[] {
  const rules = JSON.parse(execFileSync('ip', ['-j', '-d', family, '-n', net.ns, 'rule'], { encoding: 'utf8' }) || '[]') as IpRule[];
  // iproute2 marks a rule whose interface does not exist yet; the kernel flag is not what this compares
  return rules.map(({ iif_detached: _i, oif_detached: _o, ...rest }) => rest);
}

async function client(net: TestNet): Promise<RtnlClient> {
  const c = RtnlClient.open({ netns: net.ns });
  onTestFinished(() => c.close());
  return c;
}

const base = { srcLen: 0, dstLen: 0 };

describe('routing rules (rtnetlink, real kernel)', () => {
  it('adds rules of every shape; listing them matches ip -j rule for both families', async () => {
    const net = createTestNet({ interfaces: 0 });
    const c = await client(net);
    const wanted: RuleMessage[] = [
      { ...base, family: 'inet4', priority: 100, action: FR_ACT_TO_TBL, table: 100, src: '10.0.0.0', srcLen: 8, protocol: RTPROT_STATIC },
      { ...base, family: 'inet4', priority: 200, action: FR_ACT_TO_TBL, table: 1000, dst: '192.168.0.0', dstLen: 16, fwmark: 0x40, fwmask: 0x60 },
      { ...base, family: 'inet4', priority: 300, action: FR_ACT_BLACKHOLE, table: 0, iifName: 'eth7', oifName: 'lo' },
      { ...base, family: 'inet4', priority: 400, action: FR_ACT_UNREACHABLE, table: 0, src: '198.51.100.7', srcLen: 32 },
      { ...base, family: 'inet4', priority: 500, action: FR_ACT_PROHIBIT, table: 0 },
      { ...base, family: 'inet4', priority: 600, action: FR_ACT_TO_TBL, table: 254, suppressPrefixLength: 0 },
      { ...base, family: 'inet4', priority: 700, action: FR_ACT_TO_TBL, table: 180, fwmark: 0x20 },
      { ...base, family: 'inet4', priority: 900, action: FR_ACT_TO_TBL, table: 100, src: '10.1.0.0', srcLen: 16, flags: FIB_RULE_INVERT },
      { ...base, family: 'inet6', priority: 800, action: FR_ACT_TO_TBL, table: 200, src: 'fd00::', srcLen: 8, dst: '2001:db8::', dstLen: 32 },
      { ...base, family: 'inet6', priority: 32500, action: FR_ACT_TO_TBL, table: 180, fwmark: 0x40, fwmask: 0x60, protocol: RTPROT_STATIC },
    ];
    for (const r of wanted) await c.addRule(r);
    for (const family of ['inet4', 'inet6'] as const) {
      const listed = await c.listRules(family);
      expect(listed.every((r) => r.family === family)).toBe(true);
      expect(listed.map(asIp)).toEqual(ipRules(net, family === 'inet4' ? '-4' : '-6'));
      // every rule added is there, as added
      for (const w of wanted.filter((x) => x.family === family)) {
        const found = listed.find((r) => r.priority === w.priority)!;
        expect(found, `priority ${w.priority}`).toBeDefined();
        expect(asIp(found)).toEqual(asIp({ ...w, protocol: w.protocol ?? 0 }));
      }
    }
    // both families at once: IPv4 then IPv6
    const all = await c.listRules();
    expect(all.map((r) => r.family)).toEqual([...Array(11).fill('inet4'), ...Array(4).fill('inet6')]);
  });

  it('an identical rule is refused (EEXIST); deleting with a listed rule removes exactly that one', async () => {
    const net = createTestNet({ interfaces: 0 });
    const c = await client(net);
    const mine: RuleMessage = { ...base, family: 'inet4', priority: 32500, action: FR_ACT_TO_TBL, table: 180, fwmark: 0x40, fwmask: 0x60, protocol: RTPROT_STATIC };
    await c.addRule(mine);
    await expect(c.addRule(mine)).rejects.toMatchObject({ code: 'EEXIST' });
    // someone else's rule at the same priority, differing only in the table
    execFileSync('ip', ['-n', net.ns, 'rule', 'add', 'priority', '32500', 'fwmark', '0x40/0x60', 'lookup', '181', 'proto', 'boot']);
    const before = ipRules(net, '-4');
    const listed = (await c.listRules('inet4')).find((r) => r.priority === 32500 && r.table === 180)!;
    await c.deleteRule(listed);
    const after = ipRules(net, '-4');
    expect(after).toEqual(before.filter((r) => !(r.priority === 32500 && r.table === '180')));
    expect(after.find((r) => r.priority === 32500)).toMatchObject({ table: '181', protocol: 'boot' });
    // deleting again: nothing matches, which is not an error
    await c.deleteRule(listed);
    expect(ipRules(net, '-4')).toEqual(after);
    expect((await c.listRules('inet4')).find((r) => r.priority === 32500)?.protocol).toBe(RTPROT_BOOT);
  });
});

describe('routing rules as resources (real kernel)', () => {
  it("adds KubeSpan's rules beside others' at the same priority, writes nothing the second time, and removes exactly its own", async () => {
    const net = createTestNet({ interfaces: 0 });
    const c = await client(net);
    execFileSync('ip', ['-n', net.ns, 'rule', 'add', 'priority', '32500', 'fwmark', '0x40/0x60', 'lookup', '181', 'proto', 'boot']);
    execFileSync('ip', ['-n', net.ns, '-6', 'rule', 'add', 'priority', '100', 'from', 'fd00::/8', 'lookup', '100']);
    const before = { v4: ipRules(net, '-4'), v6: ipRules(net, '-6') };
    const state = new MemoryState();

    const first = await runRules(c, state, kubespanRules());
    expect(first.failures).toEqual([]);
    const ours = { priority: 32500, src: 'all', fwmark: '0x40', fwmask: '0x60', table: '180', protocol: 'static' };
    expect(ipRules(net, '-4')).toEqual([...before.v4.slice(0, 1), { priority: 32500, src: 'all', fwmark: '0x40', fwmask: '0x60', table: '181', protocol: 'boot' }, ours, ...before.v4.slice(2)]);
    expect(ipRules(net, '-6').filter((r) => r.priority === 32500)).toEqual([ours]);

    const writes = c.stats.writes;
    const second = await runRules(c, state, kubespanRules());
    expect(second.changes).toEqual([]);
    expect(c.stats.writes).toBe(writes);

    // the status view as talosctl shows it: SRC, DST, TABLE, PRIORITY
    const table = await netcfgIn(['get', 'routingrules', '--netns', net.ns]);
    expect(table.exitCode, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', 'SRC', 'DST', 'TABLE', 'PRIORITY']);
    expect(rows.filter((r) => /RoutingRuleStatus\s+inet[46]\/32500\S*\s+\d+\s+180\s+32500$/.test(r))).toHaveLength(2);
    const json = parseJsonStream<{ metadata: { id: string }; spec: Record<string, unknown> }>((await netcfgIn(['get', 'routingrules', '--netns', net.ns, '-o', 'json'])).stdout);
    expect(json.find((r) => r.metadata.id === 'inet6/00100')?.spec).toMatchObject({ family: 'inet6', src: 'fd00::/8', table: '100', priority: 100, action: 'unicast' });
    // two rules share inet4/32500: the second one gets its own ID
    expect(json.filter((r) => r.metadata.id.startsWith('inet4/32500')).map((r) => [r.metadata.id, r.spec.table])).toEqual([
      ['inet4/32500', '181'],
      ['inet4/32500/2', '180'],
    ]);

    const gone = await runRules(c, state, []);
    expect(gone.failures).toEqual([]);
    expect(gone.changes.map((x) => `${x.action} ${x.id}`)).toEqual(['remove inet4/32500', 'remove inet6/32500']);
    expect({ v4: ipRules(net, '-4'), v6: ipRules(net, '-6') }).toEqual(before);
  });

  it('a rule the kernel refuses, or a lookup without a table, is reported and nothing is recorded as netcfg’s', async () => {
    const net = createTestNet({ interfaces: 0 });
    const c = await client(net);
    const state = new MemoryState();
    const before = ipRules(net, '-4');
    const r = await runRules(c, state, [
      // the kernel would make up an empty table for this one (a new one on every apply)
      ruleSpec({ family: 'inet4', priority: 1234, table: 'unspec' }),
      // an IPv6 source in an IPv4 rule: refused
      ruleSpec({ family: 'inet4', priority: 1235, src: '10.0.0.0/8', table: '100', iifName: 'x'.repeat(16) }),
    ]);
    const message = r.failures.map((f) => f.error.message).join('\n');
    expect(message).toMatch(/routing rule inet4\/01234: a unicast rule needs a table to look up/);
    expect(message).toMatch(/add inet4 rule priority 1235 from 10.0.0.0\/8 iif x{16} lookup 100: .*\[(EINVAL|ERANGE)\]/);
    expect(ipRules(net, '-4')).toEqual(before);
    expect(state.items('AppliedRoutingRule')).toEqual([]);
  });
});
