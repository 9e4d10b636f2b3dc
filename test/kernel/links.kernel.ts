// Bonds, VLANs, bridges and dummy links on a real kernel (runs in the test VM).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { netcfgIn } from '../helpers/inproc.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A namespace with veth pairs named a0..aN (the other ends in the router namespace). */
function withMembers(count: number): TestNet {
  const net = createTestNet({ interfaces: 0 });
  for (let i = 0; i < count; i++) execFileSync('ip', ['-n', net.ns, 'link', 'add', `a${i}`, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', net.router]);
  return net;
}

async function apply(net: TestNet, yaml: string, expectCode = 0) {
  const r = await netcfgIn(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, '-o', 'json', net.file(`c${Date.now()}.yaml`, yaml)]);
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(expectCode);
  return JSON.parse(r.stdout) as { changes: Array<{ action: string; kind: string; id: string; detail?: string }>; pending: string[]; errors: string[]; summary: { netlinkWrites: number } };
}

/** Global-scope addresses of a link (not the kernel's IPv6 link-local ones). */
const globals = (net: TestNet, name: string): string[] =>
  (net.json<Json[]>('addr', 'show', name)[0]!.addr_info as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);

const link = (net: TestNet, name: string): Json => net.json<Json[]>('-d', 'link', 'show', name)[0]!;
const procBonding = (net: TestNet, name: string) => execFileSync('ip', ['netns', 'exec', net.ns, 'cat', `/proc/net/bonding/${name}`], { encoding: 'utf8' });
const masterOf = (net: TestNet, name: string) => link(net, name).master as string | undefined;

const bond = (mode: string, extra = '') => `machine:
  network:
    interfaces:
      - interface: bond0
        addresses: [192.0.2.10/24]
        bond:
          mode: ${mode}
          interfaces: [a0, a1]
${extra}`;

describe('bonds', () => {
  it('active-backup: the bond, its members and /proc/net/bonding agree with the config', async () => {
    const net = withMembers(2);
    const r = await apply(net, bond('active-backup', '          miimon: 100\n          updelay: 200\n          primary: a1\n'));
    expect(r.errors).toEqual([]);
    const b = link(net, 'bond0');
    expect(b.linkinfo.info_kind).toBe('bond');
    expect(b.linkinfo.info_data).toMatchObject({ mode: 'active-backup', miimon: 100, updelay: 200, primary: 'a1', use_carrier: 1 });
    expect(b.flags).toContain('UP');
    expect(masterOf(net, 'a0')).toBe('bond0');
    expect(masterOf(net, 'a1')).toBe('bond0');
    const proc = procBonding(net, 'bond0');
    expect(proc).toContain('Bonding Mode: fault-tolerance (active-backup)');
    expect(proc).toContain('Primary Slave: a1');
    expect(proc).toContain('MII Polling Interval (ms): 100');
    expect(proc).toContain('Up Delay (ms): 200');
    expect(proc.match(/^Slave Interface: /gm)).toHaveLength(2);
    expect((net.json<Json[]>('addr', 'show', 'bond0')[0]!.addr_info as Json[]).map((a) => a.local)).toContain('192.0.2.10');
    const again = await apply(net, bond('active-backup', '          miimon: 100\n          updelay: 200\n          primary: a1\n'));
    expect(again.changes).toEqual([]);
    expect(again.summary.netlinkWrites).toBe(0);
  });

  it('every bond mode is created as configured, and `get links` shows it', async () => {
    const modes = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'];
    for (const mode of modes) {
      const net = withMembers(2);
      const r = await apply(net, bond(mode, '          miimon: 100\n'));
      expect(r.errors, mode).toEqual([]);
      expect(link(net, 'bond0').linkinfo.info_data, mode).toMatchObject({ mode, miimon: 100 });
      expect(masterOf(net, 'a0'), mode).toBe('bond0');
      expect(masterOf(net, 'a1'), mode).toBe('bond0');
      const got = await netcfgIn(['get', 'links', '-o', 'json', '--netns', net.ns]);
      const status = parseJsonStream<Json>(got.stdout).find((x) => x.metadata.id === 'bond0');
      expect(status?.spec, mode).toMatchObject({ kind: 'bond', bondMaster: { mode, miimon: 100 } });
    }
  });

  it("bond members picked by deviceSelectors (the guide's example): by hardware address, others untouched", async () => {
    const net = withMembers(3);
    net.ip('link', 'set', 'a0', 'address', '00:50:56:8e:8f:e4');
    net.ip('link', 'set', 'a2', 'address', '00:50:57:9c:2c:2d');
    const seed = path.resolve(import.meta.dirname, '../fixtures/seeds/bond-device-selectors.yaml');
    const r = await netcfgIn(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, seed]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(link(net, 'bond0').linkinfo.info_data).toMatchObject({ mode: 'balance-rr' });
    expect(masterOf(net, 'a0')).toBe('bond0');
    expect(masterOf(net, 'a2')).toBe('bond0');
    expect(masterOf(net, 'a1')).toBeUndefined();
  });

  it('802.3ad: LACP rate and actor priority as configured and defaulted', async () => {
    const net = withMembers(2);
    await apply(net, bond('802.3ad', '          lacpRate: fast\n          xmitHashPolicy: layer3+4\n          miimon: 100\n'));
    expect(link(net, 'bond0').linkinfo.info_data).toMatchObject({ mode: '802.3ad', ad_lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', ad_actor_sys_prio: 65535 });
    const proc = procBonding(net, 'bond0');
    expect(proc).toContain('Bonding Mode: IEEE 802.3ad Dynamic link aggregation');
    expect(proc).toContain('LACP rate: fast');
    expect(proc).toContain('Transmit Hash Policy: layer3+4 (1)');
    expect(proc.match(/^Slave Interface: /gm)).toHaveLength(2);
  });

  it('an option change takes the bond down, releases the members, sets the options and re-enslaves them', async () => {
    const net = withMembers(2);
    await apply(net, bond('active-backup', '          miimon: 100\n'));
    const r = await apply(net, bond('balance-xor', '          miimon: 200\n'));
    const change = r.changes.find((c) => c.id === 'bond0' && c.action === 'change');
    expect(change?.detail).toMatch(/mode 1 → 2.*miimon 100 → 200.*members a0, a1 released and re-added/);
    expect(link(net, 'bond0').linkinfo.info_data).toMatchObject({ mode: 'balance-xor', miimon: 200 });
    expect(masterOf(net, 'a0')).toBe('bond0');
    expect(masterOf(net, 'a1')).toBe('bond0');
    expect(link(net, 'bond0').flags).toContain('UP');
    expect(procBonding(net, 'bond0').match(/^Slave Interface: /gm)).toHaveLength(2);
  });

  it('a VLAN on the bond, with an address', async () => {
    const net = withMembers(2);
    await apply(net, `${bond('active-backup')}        vlans:\n          - vlanId: 100\n            addresses: [198.51.100.10/24]\n            mtu: 1400\n`);
    const v = link(net, 'bond0.100');
    expect(v.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 100 } });
    expect(v.link).toBe('bond0');
    expect(v.mtu).toBe(1400);
    expect(globals(net, 'bond0.100')).toEqual(['198.51.100.10/24']);
  });

  it('a VLAN on a long-named link gets the hashed name (15-byte limit)', async () => {
    const net = createTestNet({ interfaces: 0 });
    execFileSync('ip', ['-n', net.ns, 'link', 'add', 'uplink-to-tor1', 'type', 'veth', 'peer', 'name', 'p0', 'netns', net.router]);
    await apply(net, 'machine:\n  network:\n    interfaces:\n      - interface: uplink-to-tor1\n        vlans:\n          - vlanId: 3001\n            addresses: [198.51.100.10/24]\n');
    const name = `upli${createHash('sha256').update('uplink-to-tor1').digest('hex').slice(0, 6)}.3001`;
    expect(name).toHaveLength(15);
    const v = link(net, name);
    expect(v.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 3001 } });
    expect(v.link).toBe('uplink-to-tor1');
    expect(globals(net, name)).toEqual(['198.51.100.10/24']);
    const got = await netcfgIn(['get', 'links', '-o', 'json', '--netns', net.ns]);
    expect(parseJsonStream<Json>(got.stdout).find((x) => x.metadata.id === name)?.spec).toMatchObject({ kind: 'vlan', vlan: { vlanID: 3001, vlanProtocol: '802.1q' } });
  });

  it('a VLAN ID change recreates the VLAN link', async () => {
    const net = withMembers(1);
    const vlan = (id: number) => `machine:\n  network:\n    interfaces:\n      - interface: a0\n        vlans:\n          - vlanId: ${id}\n`;
    await apply(net, vlan(10));
    const r = await apply(net, vlan(20));
    expect(r.changes.map((c) => `${c.action} ${c.id}`)).toEqual(expect.arrayContaining(['remove a0.10', 'add a0.20']));
    expect(() => link(net, 'a0.10')).toThrow();
    expect(link(net, 'a0.20').linkinfo.info_data.id).toBe(20);
  });
});

describe('bridges and dummy links', () => {
  it('a bridge with STP and two ports, and bridgePort membership', async () => {
    const net = withMembers(3);
    await apply(
      net,
      `machine:
  network:
    interfaces:
      - interface: br0
        addresses: [192.0.2.20/24]
        bridge:
          stp: {enabled: true}
          vlan: {vlanFiltering: true}
          interfaces: [a0, a1]
      - interface: a2
        bridgePort: {master: br0}
`,
    );
    const br = link(net, 'br0');
    expect(br.linkinfo.info_kind).toBe('bridge');
    expect(br.linkinfo.info_data.stp_state).toBe(1);
    expect(br.linkinfo.info_data.vlan_filtering).toBe(1);
    for (const port of ['a0', 'a1', 'a2']) expect(masterOf(net, port)).toBe('br0');
    expect(globals(net, 'br0')).toEqual(['192.0.2.20/24']);
  });

  it('a dummy link with an address', async () => {
    const net = withMembers(0);
    await apply(net, 'machine:\n  network:\n    interfaces:\n      - interface: dummy0\n        dummy: true\n        addresses: [10.99.0.1/32]\n');
    expect(link(net, 'dummy0').linkinfo.info_kind).toBe('dummy');
    expect(globals(net, 'dummy0')).toEqual(['10.99.0.1/32']);
  });
});

describe('ownership of logical links', () => {
  it("removing a logical link deletes it, and only netcfg's; members are released", async () => {
    const net = withMembers(2);
    execFileSync('ip', ['-n', net.ns, 'link', 'add', 'foreign0', 'type', 'dummy']);
    await apply(net, `${bond('active-backup')}      - interface: dummy0\n        dummy: true\n`);
    const r = await apply(net, 'machine:\n  network:\n    interfaces: []\n');
    expect(r.changes.filter((c) => c.kind === 'link' && c.action === 'remove').map((c) => c.id).sort()).toEqual(expect.arrayContaining(['bond0', 'dummy0']));
    const names = net.json<Json[]>('link', 'show').map((l) => l.ifname as string);
    expect(names).not.toContain('bond0');
    expect(names).not.toContain('dummy0');
    expect(names).toContain('foreign0');
    expect(masterOf(net, 'a0')).toBeUndefined();
  });

  it('a link of the same name that netcfg did not create is never replaced or taken over', async () => {
    const net = withMembers(0);
    execFileSync('ip', ['-n', net.ns, 'link', 'add', 'bond7', 'type', 'dummy']);
    const r = await apply(net, 'machine:\n  network:\n    interfaces:\n      - interface: bond7\n        bond: {mode: active-backup}\n', 1);
    expect(r.errors.join('\n')).toContain('link bond7 exists (kind dummy → bond) and was not created by netcfg');
    expect(link(net, 'bond7').linkinfo.info_kind).toBe('dummy');
  });

  it('a kind change of its own link: netcfg deletes and recreates it', async () => {
    const net = withMembers(0);
    await apply(net, 'machine:\n  network:\n    interfaces:\n      - interface: link0\n        dummy: true\n');
    await apply(net, 'machine:\n  network:\n    interfaces:\n      - interface: link0\n        bond: {mode: balance-rr}\n');
    expect(link(net, 'link0').linkinfo.info_kind).toBe('bond');
  });
});
