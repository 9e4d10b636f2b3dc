// Predictable names and hardware selectors on real virtio NICs (runs in the test
// VM, whose NICs test/vm/nics.ts defines). udev's own net_id builtin (`udevadm
// test-builtin net_id`, from the host root shared into the guest) is the oracle.
// The VM is disposable, so this file configures its root namespace; state and
// /etc go to a tmp directory, the hostname is never touched.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { netIdFor } from '../../src/hw/net-id.js';
import { netcfgIn } from '../helpers/inproc.js';
import { parseJsonStream } from '../helpers/json-stream.js';
import { LANE_NICS, type LaneNic } from '../vm/nics.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-names-'));
const stateDir = path.join(dir, 'state');
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const cmdline = file('cmdline', 'console=ttyS0 quiet\n');

const ip = <T = Json[]>(...args: string[]): T => JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]') as T;
const linkOf = (nic: LaneNic): Json => {
  const found = ip('-d', 'link', 'show').find((l) => l.address === nic.mac);
  if (!found) throw new Error(`no link with MAC ${nic.mac}`);
  return found;
};
const globals = (name: string): string[] =>
  ((ip('addr', 'show', 'dev', name)[0]?.addr_info ?? []) as Json[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort();

/** udev's names for a link: ID_NET_NAME_ONBOARD/_SLOT/_PATH/_MAC and ID_NET_LABEL_ONBOARD. */
function udevNames(dev: string): Record<string, string | undefined> {
  const out = execFileSync('udevadm', ['test-builtin', 'net_id', `/sys/class/net/${dev}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const props = new Map(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  expect(props.get('ID_NET_NAMING_SCHEME')).toBe('v252');
  return { onboard: props.get('ID_NET_NAME_ONBOARD'), onboardLabel: props.get('ID_NET_LABEL_ONBOARD'), slot: props.get('ID_NET_NAME_SLOT'), path: props.get('ID_NET_NAME_PATH'), mac: props.get('ID_NET_NAME_MAC') };
}

/** Talos' policy (onboard slot path mac): the first name, and the others as altnames. */
function policyNames(names: Record<string, string | undefined>): { name: string; altNames: string[] } {
  const all = [names.onboard, names.slot, names.path, names.mac].filter((n): n is string => n !== undefined);
  return { name: all[0]!, altNames: all.slice(1) };
}

async function apply(config: string, extra: string[] = [], cmdlineFile = cmdline) {
  const r = await netcfgIn(['apply', '--state-dir', stateDir, '--etc-dir', path.join(dir, 'etc'), '--cmdline', cmdlineFile, ...extra, file(`c${Date.now()}.yaml`, config)]);
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** Expected per NIC (by MAC), from udev; filled by the first test. */
const expected = new Map<string, { name: string; altNames: string[] }>();

describe('predictable names on virtio NICs', () => {
  it('netcfg computes the names udev computes, for every NIC (onboard, slot, multi-function, path, mac)', () => {
    for (const nic of LANE_NICS) {
      const dev = linkOf(nic).ifname as string;
      const udev = udevNames(dev);
      expect(netIdFor('/sys', dev), `${nic.id} (${dev})`).toEqual(Object.fromEntries(Object.entries(udev).filter(([, v]) => v !== undefined)));
      expected.set(nic.mac, policyNames(udev));
    }
    // the lane really has the variety it is meant to have
    expect([...expected.values()].map((e) => e.name)).toEqual(['ens5', 'ens6f0', 'ens6f1', 'eno7']);
    expect(expected.get('52:54:00:ab:cd:07')?.altNames).toEqual(['ens7', 'enp0s7', 'enx525400abcd07']);
  });

  it('dry run shows the renames (none with net.ifnames=0); apply renames down → rename → up, adds altnames; again: no writes', async () => {
    const first = linkOf(LANE_NICS[0]!).ifname as string;
    execFileSync('ip', ['link', 'set', first, 'up']);
    const kernelNames = LANE_NICS.map((n) => linkOf(n).ifname as string);
    expect(kernelNames.every((n) => /^eth[0-9]+$/.test(n))).toBe(true);

    const off = await apply('machine: {}\n', ['--dry-run'], file('ifnames0', 'quiet net.ifnames=0\n'));
    expect(off.stdout).not.toContain('rename');
    const dry = await apply('machine: {}\n', ['--dry-run']);
    for (const [i, nic] of LANE_NICS.entries()) {
      const e = expected.get(nic.mac)!;
      expect(dry.stdout).toContain(`~ link ${kernelNames[i]}: rename → ${e.name}; altnames ${e.altNames.join(', ')}`);
    }
    expect(LANE_NICS.map((n) => linkOf(n).ifname)).toEqual(kernelNames);

    const r = await apply('machine: {}\n', ['-o', 'json']);
    expect(JSON.parse(r.stdout).errors).toEqual([]);
    for (const nic of LANE_NICS) {
      const link = linkOf(nic);
      const e = expected.get(nic.mac)!;
      expect({ name: link.ifname, altNames: link.altnames ?? [] }, nic.id).toEqual(e);
    }
    expect(linkOf(LANE_NICS[0]!).flags).toContain('UP'); // its state was restored after the rename
    expect(linkOf(LANE_NICS[1]!).flags).not.toContain('UP');

    const again = await apply('machine: {}\n', ['-o', 'json']);
    expect(JSON.parse(again.stdout).summary.netlinkWrites).toBe(0);

    const got = await netcfgIn(['get', 'links', '-o', 'json']);
    const ens5 = parseJsonStream<Json>(got.stdout).find((x) => x.metadata.id === 'ens5')?.spec;
    expect(ens5).toMatchObject({ driver: 'virtio_net', pciID: '1AF4:1000', busPath: '0000:00:05.0', permanentAddr: '52:54:00:12:34:05', physical: true, altNames: ['enp0s5', 'enx525400123405'] });
    // Talos' vendor and product: the IDs from /sys/bus/pci/devices, the names from pci.ids (the host's, over 9p;
    // .ci/run installs Debian's pci.ids)
    expect(ens5).toMatchObject({ vendorID: '0x1af4', productID: '0x1000', vendor: 'Red Hat, Inc.', product: 'Virtio network device' });
    // five netcfg processes under TCG: ~85 s on an idle host, past the lane's 180 s twice in two days while the
    // rest of the suite shared the host's two cores with the emulator
  }, 360_000);

  it('selectors by driver, pciID, busPath, hardwareAddr glob and physical reach exactly the right NICs; a VLAN on an altname', async () => {
    const config = `machine:
  network:
    interfaces:
      - deviceSelector: {driver: virtio_net}
        addresses: [10.1.0.1/24]
      - deviceSelector: {pciID: "1AF4:1000"}
        addresses: [10.2.0.1/24]
      - deviceSelector: {busPath: "0000:00:05.0"}
        addresses: [10.3.0.1/24]
      - deviceSelector: {hardwareAddr: "52:54:00:12:34:0*"}
        addresses: [10.4.0.1/24]
      - deviceSelector: {physical: true}
        addresses: [10.5.0.1/24]
      - deviceSelector: {pciID: "1AF4:*", busPath: "0000:00:06.*"}
        addresses: [10.6.0.1/24]
      - interface: enp0s5
        vlans: [{vlanId: 10, addresses: [10.10.0.1/24]}]
`;
    const r = await apply(config, ['-o', 'json']);
    const report = JSON.parse(r.stdout) as { errors: string[]; pending: string[] };
    expect(report.errors).toEqual([]);
    expect(report.pending).toEqual([]);
    const want: Record<string, string[]> = {
      n5: ['10.1.0.1/24', '10.2.0.1/24', '10.3.0.1/24', '10.4.0.1/24', '10.5.0.1/24'],
      n6: ['10.1.0.1/24', '10.2.0.1/24', '10.4.0.1/24', '10.5.0.1/24', '10.6.0.1/24'],
      n61: ['10.1.0.1/24', '10.2.0.1/24', '10.4.0.1/24', '10.5.0.1/24', '10.6.0.1/24'],
      n7: ['10.1.0.1/24', '10.2.0.1/24', '10.5.0.1/24'],
    };
    for (const nic of LANE_NICS) expect(globals(linkOf(nic).ifname as string), nic.id).toEqual(want[nic.id]);
    expect(ip('-d', 'link', 'show', 'enp0s5.10')[0]).toMatchObject({ link: 'ens5', linkinfo: { info_kind: 'vlan', info_data: { id: 10 } } });
    // as in Talos, selectors match every link, and a VLAN carries its parent's MAC: the hardwareAddr glob reaches
    // enp0s5.10 too once it exists (the docs recommend permanentAddr for this reason)
    expect(globals('enp0s5.10').sort()).toEqual(['10.10.0.1/24', '10.4.0.1/24']);
    const settled = await apply(config, ['-o', 'json']);
    expect(JSON.parse(settled.stdout).summary.netlinkWrites).toBe(0);
    for (const other of ['lo', 'bond0', 'dummy0']) expect(globals(other), other).toEqual([]);

    // the config goes away: addresses and the VLAN are undone; the names stay (as with udev)
    await apply('machine: {}\n');
    for (const nic of LANE_NICS) expect(globals(linkOf(nic).ifname as string), nic.id).toEqual([]);
    expect(ip('link', 'show', 'type', 'vlan')).toEqual([]);
    expect(LANE_NICS.map((n) => linkOf(n).ifname)).toEqual(['ens5', 'ens6f0', 'ens6f1', 'eno7']);
  });
});

describe('LinkAliasConfig on the virtio NICs', () => {
  const doc = (kind: string, body: string) => `apiVersion: v1alpha1\nkind: ${kind}\n${body}`;
  const aliasOf = (nic: LaneNic) => linkOf(nic).ifalias as string | undefined;

  it('a CEL selector on the permanent MAC picks the right NIC, a %d pattern numbers the others in MAC order, and config names links by alias', async () => {
    const config = [
      doc('LinkAliasConfig', 'name: uplink\nselector:\n  match: mac(link.permanent_addr) == "52:54:00:ab:cd:07"\n'),
      doc('LinkAliasConfig', 'name: lan%d\nselector:\n  match: glob("52:54:00:12:34:*", mac(link.permanent_addr)) && link.driver == "virtio_net" && link.vendor_id == "0x1af4" && link.product == "Virtio network device"\n'),
      doc('LinkConfig', 'name: uplink\naddresses:\n  - address: 10.20.0.1/24\n'),
      doc('LinkConfig', 'name: lan1\naddresses:\n  - address: 10.21.0.1/24\n'),
    ].join('---\n');
    const r = await apply(config, ['-o', 'json']);
    const report = JSON.parse(r.stdout) as { errors: string[]; pending: string[] };
    expect(report.errors).toEqual([]);
    expect(report.pending).toEqual([]);
    const [n5, n6, n61, n7] = LANE_NICS as [LaneNic, LaneNic, LaneNic, LaneNic];
    expect([aliasOf(n5), aliasOf(n6), aliasOf(n61), aliasOf(n7)]).toEqual(['lan0', 'lan1', 'lan2', 'uplink']);
    expect(globals(linkOf(n7).ifname as string)).toEqual(['10.20.0.1/24']);
    expect(globals(linkOf(n6).ifname as string)).toEqual(['10.21.0.1/24']);
    for (const nic of [n5, n61]) expect(globals(linkOf(nic).ifname as string), nic.id).toEqual([]);

    const again = await apply(config, ['-o', 'json']);
    expect(JSON.parse(again.stdout).summary.netlinkWrites).toBe(0);

    // gone from the config: the aliases netcfg set are cleared, the addresses removed
    await apply('machine: {}\n');
    for (const nic of LANE_NICS) {
      expect(aliasOf(nic), nic.id).toBeUndefined();
      expect(globals(linkOf(nic).ifname as string), nic.id).toEqual([]);
    }
  });

  it('a selector that does not compile is refused before anything changes', async () => {
    const bad = file('bad-alias.yaml', doc('LinkAliasConfig', 'name: uplink\nselector:\n  match: link.mac == "52:54:00:ab:cd:07"\n'));
    const r = await netcfgIn(['apply', '--state-dir', stateDir, '--etc-dir', path.join(dir, 'etc'), '--cmdline', cmdline, bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("LinkAliasConfig/uplink: selector.match: link selector is invalid: ERROR: <input>:1:5: undefined field 'mac'");
  });

  it('get ethtool: a virtio NIC\'s ring sizes and channel counts with their maximums, port and duplex, as the ethtool tool reports them', async () => {
    const dev = linkOf(LANE_NICS[0]!).ifname as string;
    const r = await netcfgIn(['get', 'ethtool', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const status = parseJsonStream<Json>(r.stdout).find((x) => x.metadata.id === dev)?.spec as Json | undefined;
    expect(status, `${dev} in ${r.stdout.slice(0, 500)}`).toBeDefined();
    // ethtool -g: "Pre-set maximums:" then "Current hardware settings:", each with RX: and TX:
    const g = execFileSync('ethtool', ['-g', dev], { encoding: 'utf8' });
    const [maxima, current] = g.split('Current hardware settings:');
    const ring = (text: string, what: 'RX' | 'TX') => Number(new RegExp(`^${what}:\\s+(\\d+)`, 'm').exec(text)?.[1]);
    expect(status!.rings).toMatchObject({ 'rx-max': ring(maxima!, 'RX'), 'tx-max': ring(maxima!, 'TX'), rx: ring(current!, 'RX'), tx: ring(current!, 'TX') });
    expect(status!.rings.rx).toBeGreaterThan(0);
    // `ethtool DEV`: "Port: Other" and "Duplex: Unknown! (255)" on virtio unless told otherwise
    const settings = execFileSync('ethtool', [dev], { encoding: 'utf8' });
    const port = /Port: (.+)/.exec(settings)?.[1]?.trim();
    expect({ 'Twisted Pair': 'TwistedPair', Other: 'Other', None: 'None', FIBRE: 'Fibre', 'Direct Attach Copper': 'DirectAttach' }[port ?? '']).toBe(status!.port);
    expect(status!.duplex).toBe(/Duplex: Full/.test(settings) ? 'Full' : /Duplex: Half/.test(settings) ? 'Half' : 'Unknown');
    const speed = /Speed: (\d+)Mb\/s/.exec(settings)?.[1];
    expect(status!.speedMbit).toBe(speed === undefined ? undefined : Number(speed));
    // ethtool -l: virtio's queue pairs are "Combined" channels; each kind with a number, its maximum and its count
    const [chMax = '', chNow = ''] = execFileSync('ethtool', ['-l', dev], { encoding: 'utf8' }).split('Pre-set maximums:')[1]!.split('Current hardware settings:');
    const channels: Record<string, number> = {};
    for (const [text, suffix] of [[chMax, '-max'], [chNow, '']] as const) for (const m of text.matchAll(/^(RX|TX|Other|Combined):\s+(\d+)$/gm)) channels[`${m[1]!.toLowerCase()}${suffix}`] = Number(m[2]);
    expect(channels['combined-max']).toBeGreaterThan(0);
    expect(status!.channels).toEqual(channels);
  });
});
