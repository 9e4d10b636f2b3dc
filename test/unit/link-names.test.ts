// Predictable names (LinkNameController, link-name-plan.ts) and hardware facts in
// LinkStatus (hw/hardware.ts), on fixture sysfs trees and the in-memory kernel.
import { describe, expect, it } from 'vitest';
import { parseCmdline } from '../../src/config/cmdline.js';
import { configSet, parseConfig } from '../../src/config/load.js';
import { planNames } from '../../src/controllers/spec/link-name-plan.js';
import { applyOnce, statusRuntime } from '../../src/engine.js';
import { readHardware, type Ethtool, type HardwareSource } from '../../src/hw/hardware.js';
import type { PciNames } from '../../src/hw/pci.js';
import { NET_NAME_ENUM, NET_NAME_USER } from '../../src/hw/net-id.js';
import { readLinkFacts, readPciSlots } from '../../src/hw/sysfs.js';
import { silentLogger } from '../../src/log.js';
import { IFF_UP } from '../../src/netlink/rtnetlink/constants.js';
import type { LinkMessage } from '../../src/netlink/rtnetlink/link.js';
import { NS } from '../../src/resources/resource.js';
import { T, type AppliedRename, type LinkStatus } from '../../src/resources/network/types.js';
import type { StateFile } from '../../src/runtime/state-file.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { LinkStatusController } from '../../src/controllers/status/link-status.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { FakeSysfs } from '../helpers/fake-sysfs.js';
import { MemoryState } from '../helpers/memory-state.js';

/**
 * A VM-like machine: virtio NICs at 00:05.0 (hotplug slot 5), 00:06.0 and 00:06.1
 * (one multi-function device, slot 6) and 00:07.0 with ACPI index 7; kernel names
 * eth0..eth3 with ifindex 2..5, plus lo (1). The fake kernel's renames move the sysfs entries.
 */
function machine(options: { up?: boolean; nameAssignType?: number } = {}) {
  const sys = new FakeSysfs();
  const kernel = new FakeKernel();
  kernel.onRename = (from, to) => sys.rename(from, to);
  kernel.addLink('lo', { type: 772, flags: IFF_UP });
  kernel.addresses.push({ family: 'inet4', prefixLen: 8, flags: 0x80, scope: 254, index: 1, address: '127.0.0.1', local: '127.0.0.1' });
  const host = sys.host();
  const nics: Array<[string, string, { multiFunction?: boolean; acpiIndex?: string }]> = [
    ['0000:00:05.0', '52:54:00:12:34:05', {}],
    ['0000:00:06.0', '52:54:00:12:34:06', { multiFunction: true }],
    ['0000:00:06.1', '52:54:00:12:34:07', { multiFunction: true }],
    ['0000:00:07.0', '52:54:00:ab:cd:07', { acpiIndex: '7' }],
  ];
  nics.forEach(([slotName, mac, o], i) => {
    const name = `eth${i}`;
    const pci = sys.pci(host, slotName, { id: '1AF4:1000', driver: 'virtio-pci', ...o });
    sys.net(sys.virtio(pci, `virtio${i}`), name, { ifindex: i + 2, address: mac, nameAssignType: options.nameAssignType ?? NET_NAME_ENUM });
    kernel.addLink(name, { hardwareAddr: mac, flags: options.up ? IFF_UP : 0 });
  });
  sys.slot('5', '0000:00:05');
  sys.slot('6', '0000:00:06');
  return { sys, kernel };
}

/** An empty string is "no config": nothing but the default layer. */
function config(yaml: string) {
  return configSet(parseConfig('test.yaml', yaml || 'machine: {}\n'));
}

const noEthtool: Ethtool = {
  permanentAddress: () => '',
  driverInfo: () => ({ driver: '', version: '', firmwareVersion: '', busInfo: '' }),
  linkSettings: () => {
    throw Object.assign(new Error('EOPNOTSUPP'), { errno: 95, code: 'EOPNOTSUPP', syscall: 'ioctl' });
  },
};

async function apply(m: ReturnType<typeof machine>, yaml: string, o: { state?: MemoryState; dryRun?: boolean; hardware?: HardwareSource; cmdline?: string } = {}) {
  const hardware = o.hardware ?? { sysfsRoot: m.sys.root, ethtool: noEthtool };
  const cmdline = o.cmdline === undefined ? undefined : parseCmdline(o.cmdline, m.kernel.links.map((l) => l.name));
  const state = o.state ?? new MemoryState();
  const result = await applyOnce(config(yaml), { kernel: m.kernel, log: silentLogger(), state: state as unknown as StateFile, dryRun: o.dryRun ?? false, hardware, cmdline });
  const lines = result.changes.changes.map((c) => `${c.action} ${c.kind} ${c.id}${c.detail ? `: ${c.detail}` : ''}`);
  return { result, lines, errors: result.failures.map((f) => f.error.message) };
}

const names = (k: FakeKernel) => k.links.map((l) => [l.name, l.altNames]);

describe('predictable names: planning (pure)', () => {
  it('onboard before slot before path; multi-function gets f<N>; the other candidates become altnames', () => {
    const { sys, kernel } = machine();
    const inputs = kernel.links.map((link) => ({ link, facts: link.name === 'lo' ? undefined : readLinkFacts(sys.root, link.name) }));
    expect(planNames(inputs, readPciSlots(sys.root))).toEqual([
      { action: 'rename', index: 2, from: 'eth0', to: 'ens5', altNames: ['enp0s5', 'enx525400123405'], up: false },
      { action: 'rename', index: 3, from: 'eth1', to: 'ens6f0', altNames: ['enp0s6f0', 'enx525400123406'], up: false },
      { action: 'rename', index: 4, from: 'eth2', to: 'ens6f1', altNames: ['enp0s6f1', 'enx525400123407'], up: false },
      { action: 'rename', index: 5, from: 'eth3', to: 'eno7', altNames: ['enp0s7', 'enx525400abcd07'], up: false },
    ]);
  });

  it('keeps names set by userspace, links without sysfs facts, and a name another link already has', () => {
    const { sys, kernel } = machine({ nameAssignType: NET_NAME_USER });
    const link = (name: string): LinkMessage => kernel.links.find((l) => l.name === name)!;
    const facts = (name: string) => readLinkFacts(sys.root, name);
    const veth: LinkMessage = { ...link('eth3'), index: 9, name: 'v0', info: { kind: 'veth' } };
    expect(
      planNames(
        [
          { link: link('eth0'), facts: facts('eth0') },
          { link: link('eth1'), facts: undefined },
          { link: veth, facts: undefined },
        ],
        readPciSlots(sys.root),
      ),
    ).toEqual([
      { action: 'keep', name: 'eth0', reason: 'name set by userspace (name_assign_type 3)' },
      { action: 'keep', name: 'eth1', reason: 'no sysfs facts for this link' },
    ]);

    // eth0 (kernel-named) wants ens5, which eth9 already carries as an altname
    const enum0 = { ...facts('eth0'), nameAssignType: NET_NAME_ENUM };
    const other: LinkMessage = { ...link('eth1'), index: 20, name: 'eth9', altNames: ['ens5'] };
    expect(planNames([{ link: link('eth0'), facts: enum0 }, { link: other, facts: undefined }], readPciSlots(sys.root))[0]).toEqual({
      action: 'keep',
      name: 'eth0',
      reason: 'its predictable name ens5 is used by another link',
      conflict: true,
    });
  });
});

describe('predictable names: LinkNameController', () => {
  it('renames down → rename → up, adds altnames, records the renames; a second apply changes nothing', async () => {
    const m = machine({ up: true });
    const state = new MemoryState();
    const first = await apply(m, '', { state });
    expect(first.errors).toEqual([]);
    expect(first.lines).toEqual([
      'change link eth0: rename → ens5; altnames enp0s5, enx525400123405',
      'change link eth1: rename → ens6f0; altnames enp0s6f0, enx525400123406',
      'change link eth2: rename → ens6f1; altnames enp0s6f1, enx525400123407',
      'change link eth3: rename → eno7; altnames enp0s7, enx525400abcd07',
    ]);
    expect(m.kernel.log.filter((l) => l.includes('eth0') || l.includes('ens5'))).toEqual([
      'ok set link eth0 down',
      'ok set link eth0 name ens5',
      'ok set link ens5 up',
      'ok add altname enp0s5 to link ens5',
      'ok add altname enx525400123405 to link ens5',
    ]);
    expect(names(m.kernel)).toEqual([
      ['lo', []],
      ['ens5', ['enp0s5', 'enx525400123405']],
      ['ens6f0', ['enp0s6f0', 'enx525400123406']],
      ['ens6f1', ['enp0s6f1', 'enx525400123407']],
      ['eno7', ['enp0s7', 'enx525400abcd07']],
    ]);
    expect(m.kernel.links.every((l) => (l.flags & IFF_UP) !== 0)).toBe(true);
    expect(state.items<AppliedRename>(T.AppliedRename).find((r) => r.id === 'ens5')?.spec).toEqual({ from: 'eth0', name: 'ens5', altNames: ['enp0s5', 'enx525400123405'] });

    const writes = m.kernel.writes;
    const again = await apply(m, '', { state });
    expect(again.lines).toEqual([]);
    expect(m.kernel.writes).toBe(writes);
  });

  it('removing the config does not rename back (as udev): the records stay', async () => {
    const m = machine();
    const state = new MemoryState();
    await apply(m, 'machine:\n  network:\n    interfaces:\n      - interface: ens5\n        mtu: 1400\n', { state });
    const undo = await apply(m, '', { state });
    expect(undo.lines).toEqual(['remove link ens5: restore mtu 1400 → 1500, up → down']);
    expect(m.kernel.links[1]?.name).toBe('ens5');
    expect(state.items<AppliedRename>(T.AppliedRename)).toHaveLength(4);
  });

  it('dry run: the planned renames are shown, nothing is written, and a config for the new name waits', async () => {
    const m = machine();
    const r = await apply(m, 'machine:\n  network:\n    interfaces:\n      - interface: ens5\n        addresses: [192.0.2.5/24]\n', { dryRun: true });
    expect(r.lines.slice(0, 1)).toEqual(['change link eth0: rename → ens5; altnames enp0s5, enx525400123405']);
    expect(m.kernel.writes).toBe(0);
    expect(names(m.kernel).map(([n]) => n)).toEqual(['lo', 'eth0', 'eth1', 'eth2', 'eth3']);
    expect([...r.result.changes.pending.values()]).toContain('address 192.0.2.5/24: link ens5 is not present');
  });

  it('net.ifnames=0 on the kernel command line, or no trusted sysfs (another namespace), leaves every name alone', async () => {
    const a = machine();
    expect((await apply(a, '', { cmdline: 'quiet net.ifnames=0' })).lines).toEqual([]);
    const b = machine();
    expect((await apply(b, '', { hardware: { ethtool: noEthtool, sysfsSkipped: 'another namespace' } })).lines).toEqual([]);
    for (const m of [a, b]) {
      expect(m.kernel.writes).toBe(0);
      expect(names(m.kernel).map(([n]) => n)).toEqual(['lo', 'eth0', 'eth1', 'eth2', 'eth3']);
    }
    // net.ifnames=1 (or absent) renames
    const c = machine();
    expect((await apply(c, '', { cmdline: 'net.ifnames=1' })).lines).toHaveLength(4);
  });

  it('a sysfs entry with another ifindex (a /sys of another namespace) is not trusted', async () => {
    const m = machine();
    for (const l of m.kernel.links) l.index += 100; // same names, other links
    for (const a of m.kernel.addresses) a.index += 100;
    const r = await apply(m, '');
    expect(r.lines).toEqual([]);
    expect(m.kernel.writes).toBe(0);
  });

  it('a rename recorded by netcfg whose altnames are missing (interrupted) gets them added', async () => {
    const m = machine();
    const state = new MemoryState();
    await apply(m, '', { state });
    const ens5 = m.kernel.links.find((l) => l.name === 'ens5')!;
    ens5.altNames = ['enp0s5'];
    const r = await apply(m, '', { state });
    expect(r.lines).toEqual(['change link ens5: altname + enx525400123405']);
    expect(ens5.altNames).toEqual(['enp0s5', 'enx525400123405']);
  });

  it('selectors see the final names: busPath, pciID and hardwareAddr globs pick the renamed links', async () => {
    const m = machine();
    const yaml = `machine:
  network:
    interfaces:
      - deviceSelector: {busPath: "0000:00:05.0"}
        addresses: [192.0.2.5/24]
      - deviceSelector: {pciID: "1AF4:1000", hardwareAddr: "52:54:00:12:34:0*"}
        mtu: 1400
      - deviceSelector: {driver: virtio_net, physical: true, hardwareAddr: "52:54:00:ab:*"}
        addresses: [198.51.100.7/24]
`;
    const r = await apply(m, yaml);
    expect(r.errors).toEqual([]);
    const on = (addr: string) => m.kernel.links.find((l) => l.index === m.kernel.addresses.find((a) => a.address === addr)?.index)?.name;
    expect(on('192.0.2.5')).toBe('ens5');
    expect(on('198.51.100.7')).toBe('eno7');
    expect(m.kernel.links.filter((l) => l.mtu === 1400).map((l) => l.name)).toEqual(['ens5', 'ens6f0', 'ens6f1']);
  });
});

describe('hardware facts (LinkStatus)', () => {
  const unsupported = () => {
    throw Object.assign(new Error('EOPNOTSUPP'), { errno: 95, code: 'EOPNOTSUPP', syscall: 'ioctl' });
  };
  const ethtool = (perm: string, driver: string, busInfo: string, settings: Ethtool['linkSettings'] = unsupported): Ethtool => ({
    permanentAddress: () => perm,
    driverInfo: () => ({ driver, version: driver === '' ? '' : '1.0.0', firmwareVersion: driver === 'virtio_net' ? 'fw 2.1' : '', busInfo }),
    linkSettings: settings,
  });
  const failing: Ethtool = { permanentAddress: unsupported, driverInfo: unsupported, linkSettings: unsupported };
  const noVendor = { vendorID: '', productID: '', vendor: '', product: '' };

  it('sysfs first (virtio: IDs from the virtio-pci parent), permanent MAC from ethtool', () => {
    const { sys } = machine();
    expect(readHardware({ sysfsRoot: sys.root, ethtool: ethtool('52:54:00:12:34:05', 'x', 'y') }, { index: 2, name: 'eth0' })).toEqual({
      driver: 'virtio_net',
      driverVersion: '1.0.0',
      firmwareVersion: '',
      busPath: '0000:00:05.0',
      pciID: '1AF4:1000',
      ...noVendor,
      permanentAddr: '52:54:00:12:34:05',
    });
  });

  it("a PCI device's vendor and product IDs from its sysfs entry, by the address sysfs or ethtool gives, and their names", () => {
    const { sys } = machine();
    const asked: string[] = [];
    const names: PciNames = { lookup: (ids) => (asked.push(`${ids.vendor.toString(16)}:${ids.product.toString(16)}`), ids.vendor === 0x1af4 ? { vendor: 'Red Hat, Inc.', product: 'Virtio network device' } : { vendor: '', product: '' }) };
    const pci = { sysfsRoot: sys.root, names };
    const virtio = { vendorID: '0x1af4', productID: '0x1000', vendor: 'Red Hat, Inc.', product: 'Virtio network device' };
    expect(readHardware({ sysfsRoot: sys.root, ethtool: ethtool('', 'x', 'y'), pci }, { index: 2, name: 'eth0' })).toMatchObject({ busPath: '0000:00:05.0', ...virtio });
    // under --netns (no trusted sysfs): by ethtool's bus info, from the machine's PCI devices
    expect(readHardware({ ethtool: ethtool('', 'virtio_net', '0000:00:05.0'), pci }, { index: 2, name: 'eth0' })).toMatchObject({ pciID: '', ...virtio });
    // a device the database does not name: the IDs alone
    sys.pci(sys.host(), '0000:00:09.0', { id: '8086:10D3' });
    expect(readHardware({ ethtool: ethtool('', 'e1000e', '0000:00:09.0'), pci }, { index: 9, name: 'x' })).toMatchObject({ vendorID: '0x8086', productID: '0x10d3', vendor: '', product: '' });
    // not PCI, or no such device: nothing looked up
    expect(readHardware({ ethtool: ethtool('', 'veth', ''), pci }, { index: 7, name: 'v0' })).toMatchObject(noVendor);
    expect(readHardware({ ethtool: ethtool('', 'virtio_net', '0000:00:0f.0'), pci }, { index: 7, name: 'v0' })).toMatchObject(noVendor);
    expect(asked).toEqual(['1af4:1000', '1af4:1000', '8086:10d3']);
  });

  it('without trusted sysfs: driver and busPath from ethtool driver info, no pciID; IFLA_PERM_ADDRESS when ethtool has none', () => {
    const { sys } = machine();
    expect(readHardware({ ethtool: ethtool('', 'virtio_net', '0000:00:05.0') }, { index: 2, name: 'eth0', permanentAddr: '52:54:00:12:34:05' })).toEqual({
      driver: 'virtio_net',
      driverVersion: '1.0.0',
      firmwareVersion: 'fw 2.1',
      busPath: '0000:00:05.0',
      pciID: '',
      ...noVendor,
      permanentAddr: '52:54:00:12:34:05',
    });
    // the sysfs entry of that name is another link (ifindex 2 ≠ 42): ignored
    expect(readHardware({ sysfsRoot: sys.root, ethtool: ethtool('', 'veth', '') }, { index: 42, name: 'eth0' })).toEqual({ driver: 'veth', driverVersion: '1.0.0', firmwareVersion: '', busPath: '', pciID: '', ...noVendor, permanentAddr: '' });
    // a virtual link: no device in sysfs, ethtool names the driver; failing ioctls leave fields empty
    sys.net(undefined, 'dummy0', { ifindex: 50, addrAssignType: 1 });
    expect(readHardware({ sysfsRoot: sys.root, ethtool: ethtool('', 'dummy', '') }, { index: 50, name: 'dummy0' }).driver).toBe('dummy');
    expect(readHardware({ sysfsRoot: sys.root, ethtool: failing }, { index: 50, name: 'dummy0' })).toEqual({ driver: '', driverVersion: '', firmwareVersion: '', busPath: '', pciID: '', ...noVendor, permanentAddr: '' });
  });

  it('link settings are read again when the carrier changes (a new speed comes with it), not at every listing', async () => {
    const m = machine();
    let speed = 1000;
    const asked: string[] = [];
    const settings = (name: string) => (asked.push(name), { speed, duplex: 1, port: 0 });
    const links = new LinkStatusController(m.kernel, { sysfsRoot: m.sys.root, ethtool: ethtool('', 'virtio_net', '', settings) });
    const runtime = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    runtime.register(links);
    await runtime.start();
    await runtime.settle();
    const eth0 = () => runtime.store.get<LinkStatus>(NS.network, T.LinkStatus, 'eth0')?.spec;
    expect(eth0()).toMatchObject({ speedMbit: 1000, duplex: 'Full', port: 'TwistedPair' });
    expect(asked.filter((n) => n === 'eth0')).toHaveLength(1);
    // listed again, nothing changed: not asked again
    runtime.wake(links.name);
    await runtime.settle();
    expect(asked.filter((n) => n === 'eth0')).toHaveLength(1);
    // the carrier comes (renegotiated at 10 Gb/s): asked again
    speed = 10000;
    m.kernel.links.find((l) => l.name === 'eth0')!.carrier = true;
    runtime.wake(links.name);
    await runtime.settle();
    expect(asked.filter((n) => n === 'eth0')).toHaveLength(2);
    expect(eth0()?.speedMbit).toBe(10000);
    // lost and back between two listings (renegotiated at 2.5 Gb/s): the carrier count tells
    speed = 2500;
    m.kernel.links.find((l) => l.name === 'eth0')!.carrierChanges = 3;
    runtime.wake(links.name);
    await runtime.settle();
    expect(eth0()?.speedMbit).toBe(2500);
    // a bond's speed is its ports': read at every listing
    m.kernel.addLink('bond0', { info: { kind: 'bond' } });
    runtime.wake(links.name);
    await runtime.settle();
    runtime.wake(links.name);
    await runtime.settle();
    expect(asked.filter((n) => n === 'bond0')).toHaveLength(2);
    await runtime.stop();
  });

  it('`get links` data: LinkStatus carries the facts, physical only for NICs', async () => {
    const m = machine();
    m.kernel.addLink('v0', { info: { kind: 'veth' } });
    // link settings as the kernel gives them: eth0 10 Gb/s full duplex on twisted pair; v0 speed unknown (SPEED_UNKNOWN: -1)
    const settings = (name: string) => (name === 'eth0' ? { speed: 10000, duplex: 1, port: 0 } : { speed: -1, duplex: 0xff, port: 0xef });
    const runtime = statusRuntime(m.kernel, silentLogger(), { sysfsRoot: m.sys.root, ethtool: ethtool('52:54:00:12:34:05', 'veth', '', settings) });
    await runtime.start();
    await runtime.settle();
    await runtime.stop();
    const status = (id: string) => runtime.store.get<LinkStatus>(NS.network, T.LinkStatus, id)?.spec;
    expect(status('eth0')).toMatchObject({ driver: 'virtio_net', busPath: '0000:00:05.0', pciID: '1AF4:1000', permanentAddr: '52:54:00:12:34:05', physical: true, speedMbit: 10000, port: 'TwistedPair', duplex: 'Full' });
    expect(status('v0')).toMatchObject({ driver: 'veth', busPath: '', pciID: '', physical: false, port: 'None', duplex: 'Unknown' });
    expect(status('v0')).not.toHaveProperty('speedMbit');
  });
});
