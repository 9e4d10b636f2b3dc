// Link documents that need kernel modules this host lacks (bonding, 8021q,
// wireguard, dummy, vrf, bridge VLAN filtering), on a real kernel in the test
// VM, each in its own namespace: the spec's example documents apply exactly
// (checked with ip -j), a second apply makes no netlink write, and removing a
// document removes exactly what it created.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { netcfgIn } from '../helpers/inproc.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = (kind: string, body: string) => `apiVersion: v1alpha1\nkind: ${kind}\n${body}`;

/** A namespace with veth pairs named as given (the other ends in the router namespace). */
function withLinks(...names: string[]): TestNet {
  const net = createTestNet({ interfaces: 0 });
  names.forEach((n, i) => execFileSync('ip', ['-n', net.ns, 'link', 'add', n, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', net.router]));
  return net;
}

async function apply(net: TestNet, yaml: string) {
  const r = await netcfgIn(['apply', '--netns', net.ns, '--state-dir', net.stateDir, '--etc-dir', `${net.dir}/etc`, '-o', 'json', net.file(`c${Date.now()}${Math.random()}.yaml`, yaml)]);
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  const report = JSON.parse(r.stdout) as { changes: unknown[]; pending: string[]; errors: string[]; summary: { netlinkWrites: number } };
  expect(report.errors).toEqual([]);
  return report;
}

const link = (net: TestNet, name: string): Json | undefined => net.json<Json[]>('-d', 'addr', 'show').find((l) => l.ifname === name);
const globals = (l: Json | undefined): string[] => ((l?.addr_info ?? []) as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);

/** Applies, checks, re-applies with no write, then removes the documents and checks the namespace is as before. */
async function roundTrip(net: TestNet, yaml: string, check: () => void): Promise<void> {
  await apply(net, 'machine: {}\n');
  const before = net.dump();
  const first = await apply(net, yaml);
  expect(first.pending).toEqual([]);
  check();
  const again = await apply(net, yaml);
  expect(again.changes).toEqual([]);
  expect(again.summary.netlinkWrites).toBe(0);
  await apply(net, 'machine: {}\n');
  expect(net.dump()).toBe(before);
}

describe('link documents on a real kernel', () => {
  it('BondConfig (the spec example): an 802.3ad bond with its options and members', async () => {
    const net = withLinks('eth0', 'eth1');
    const yaml = doc(
      'BondConfig',
      'name: agg.0\nlinks: [eth0, eth1]\nbondMode: 802.3ad\nmiimon: 100\nupdelay: 200\ndowndelay: 200\nxmitHashPolicy: layer3+4\nlacpRate: slow\nfailOverMac: follow\nadActorSysPrio: 65535\nresendIGMP: 1\npacketsPerSlave: 1\nup: true\naddresses:\n  - address: 1.2.3.4/24\n',
    );
    await roundTrip(net, yaml, () => {
      const b = link(net, 'agg.0')!;
      expect(b.linkinfo.info_kind).toBe('bond');
      expect(b.linkinfo.info_data).toMatchObject({ mode: '802.3ad', miimon: 100, updelay: 200, downdelay: 200, xmit_hash_policy: 'layer3+4', ad_lacp_rate: 'slow', ad_actor_sys_prio: 65535, resend_igmp: 1 });
      expect(b.linkinfo.info_data.fail_over_mac).toMatch(/follow|2/);
      expect(globals(b)).toEqual(['1.2.3.4/24']);
      expect([link(net, 'eth0')!.master, link(net, 'eth1')!.master]).toEqual(['agg.0', 'agg.0']);
    });
  });

  it('VLANConfig (the spec example): an 802.1Q VLAN named as written on its parent; 802.1ad too', async () => {
    const net = withLinks('enp0s3');
    // a VLAN is always up, which needs its parent up: a LinkConfig brings it up
    const yaml = [
      doc('LinkConfig', 'name: enp0s3\n'),
      doc('VLANConfig', 'name: enp0s3.2\nvlanID: 2\nvlanMode: 802.1q\nparent: enp0s3\nup: true\naddresses:\n  - address: 192.168.1.100/32\n'),
      doc('VLANConfig', 'name: qinq\nvlanID: 100\nvlanMode: 802.1ad\nparent: enp0s3\n'),
    ].join('---\n');
    await roundTrip(net, yaml, () => {
      const v = link(net, 'enp0s3.2')!;
      expect(v).toMatchObject({ link: 'enp0s3', linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 2 } } });
      expect(v.flags).toContain('UP');
      expect(globals(v)).toEqual(['192.168.1.100/32']);
      expect(link(net, 'qinq')).toMatchObject({ linkinfo: { info_data: { protocol: '802.1ad', id: 100 } } });
    });
  });

  it('BridgeConfig (the spec example, with STP): a bridge with its ports', async () => {
    const net = withLinks('eno1', 'eno5');
    const yaml = doc('BridgeConfig', 'name: bridge.1\nlinks: [eno1, eno5]\nstp:\n  enabled: true\nvlan:\n  filtering: false\nup: true\naddresses:\n  - address: 1.2.3.5/32\n');
    await roundTrip(net, yaml, () => {
      const b = link(net, 'bridge.1')!;
      expect(b.linkinfo).toMatchObject({ info_kind: 'bridge', info_data: { stp_state: 1, vlan_filtering: 0 } });
      expect(globals(b)).toEqual(['1.2.3.5/32']);
      expect([link(net, 'eno1')!.master, link(net, 'eno5')!.master]).toEqual(['bridge.1', 'bridge.1']);
    });
  });

  it('DummyLinkConfig (the spec example): a dummy link with its MAC', async () => {
    const net = withLinks();
    const yaml = doc('DummyLinkConfig', 'name: dummy1\nhardwareAddr: 2e:3c:4d:5e:6f:70\nup: true\naddresses:\n  - address: 192.168.1.100/32\n');
    await roundTrip(net, yaml, () => {
      const d = link(net, 'dummy1')!;
      expect(d).toMatchObject({ address: '2e:3c:4d:5e:6f:70', linkinfo: { info_kind: 'dummy' } });
      expect(globals(d)).toEqual(['192.168.1.100/32']);
    });
  });

  it('VRFConfig (the spec example) with a veth end as member, and a route into the VRF table', async () => {
    const net = withLinks('eno1', 'eno5');
    const yaml = [
      doc('VRFConfig', 'name: vrf-blue\nlinks: [eno1, eno5, veth-r]\ntable: "123"\nup: true\naddresses:\n  - address: 1.2.3.5/32\n'),
      doc('VethConfig', 'name: veth-h\npeer:\n  name: veth-r\n'),
      doc('LinkConfig', 'name: eno1\naddresses:\n  - address: 10.7.0.2/24\nroutes:\n  - destination: 10.8.0.0/16\n    gateway: 10.7.0.1\n    table: "123"\n'),
    ].join('---\n');
    await roundTrip(net, yaml, () => {
      const v = link(net, 'vrf-blue')!;
      expect(v.linkinfo).toMatchObject({ info_kind: 'vrf', info_data: { table: 123 } });
      expect([link(net, 'eno1')!.master, link(net, 'eno5')!.master, link(net, 'veth-r')!.master]).toEqual(['vrf-blue', 'vrf-blue', 'vrf-blue']);
      expect(net.json('route', 'show', 'table', '123')).toContainEqual(expect.objectContaining({ dst: '10.8.0.0/16', gateway: '10.7.0.1', dev: 'eno1' }));
    });
  });

  it('WireguardConfig (the spec example): the device, its keys (public only shown) and peers', async () => {
    const net = withLinks();
    const yaml = doc(
      'WireguardConfig',
      'name: wg.int\nprivateKey: GA1E1VB+g41Dl0+UH2TMW9C5953y+moVg6JIIqkJbmw=\nlistenPort: 5042\nfirewallMark: 176\npeers:\n  - publicKey: 735jkJdcVDninU5PzLJ/S+bfN6Q3QOk6svWrVLMJQAk=\n    allowedIPs:\n      - 192.168.1.0/24\n  - publicKey: uvdlJNva1X8/OCOZM+0gGT4Yu9x20odd3AWbbQUF7nM=\n    presharedKey: 6j4UMxwszrHVZZUjY8/SFsZMjgaHkxV7yp9Tz05btho=\n    endpoint: 10.3.4.3:2222\nup: true\naddresses:\n  - address: 192.168.1.100/32\n',
    );
    await roundTrip(net, yaml, () => {
      expect(link(net, 'wg.int')?.linkinfo?.info_kind).toBe('wireguard');
      const dump = execFileSync('ip', ['netns', 'exec', net.ns, 'wg', 'show', 'wg.int', 'dump'], { encoding: 'utf8' }).trim().split('\n');
      const [, , port, mark] = dump[0]!.split('\t');
      expect([port, mark]).toEqual(['5042', '0xb0']);
      const peers = new Map(dump.slice(1).map((l) => l.split('\t')).map((f) => [f[0], f]));
      expect(peers.get('735jkJdcVDninU5PzLJ/S+bfN6Q3QOk6svWrVLMJQAk=')?.[3]).toBe('192.168.1.0/24');
      expect(peers.get('uvdlJNva1X8/OCOZM+0gGT4Yu9x20odd3AWbbQUF7nM=')?.[1]).toBe('6j4UMxwszrHVZZUjY8/SFsZMjgaHkxV7yp9Tz05btho=');
      expect(peers.get('uvdlJNva1X8/OCOZM+0gGT4Yu9x20odd3AWbbQUF7nM=')?.[2]).toBe('10.3.4.3:2222');
      expect(globals(link(net, 'wg.int'))).toEqual(['192.168.1.100/32']);
    });
  });
});
