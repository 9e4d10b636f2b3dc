// Hardware facts from sysfs (src/hw/sysfs.ts) and udev net_id names under naming
// scheme v252 (src/hw/net-id.ts), on fake sysfs trees built in a tmp directory with
// the real layout: devices/pci…/<pci dev>/[virtioN/]net/<name>, class/net/<name>
// symlinks, `device` and `subsystem` symlinks, bus/pci/slots/N/address.
// The expected names were cross-checked by running systemd-udevd 252.39's own
// builtin (`udevadm test-builtin net_id`, scheme v252) on these same trees.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeSysfs } from '../helpers/fake-sysfs.js';
import { keepCurrentName, netIdFor, predictableName, NET_NAME_ENUM, NET_NAME_PREDICTABLE, NET_NAME_RENAMED, NET_NAME_USER } from '../../src/hw/net-id.js';
import { parseUnsigned, readLinkFacts } from '../../src/hw/sysfs.js';

describe('readLinkFacts', () => {
  it('reads a PCI NIC: Talos fields from device/uevent, the attributes net_id needs', () => {
    const fs0 = new FakeSysfs();
    const nic = fs0.pci(fs0.host(), '0000:00:19.0', { acpiIndex: '1', label: 'Onboard LAN' });
    fs0.net(nic, 'eth0', { address: 'a4:bb:6d:01:02:03', nameAssignType: NET_NAME_ENUM, physPortName: 'p0' });
    const facts = readLinkFacts(fs0.root, 'eth0');
    expect(facts).toMatchObject({
      name: 'eth0',
      type: 1,
      ifindex: 2,
      iflink: 2,
      address: 'a4:bb:6d:01:02:03',
      addrAssignType: 0,
      nameAssignType: 1,
      devPort: 0,
      devId: 0,
      physPortName: 'p0',
      driver: 'e1000e',
      pciID: '8086:15BB',
      busPath: '0000:00:19.0',
      deviceSubsystem: 'pci',
      pci: { name: '0000:00:19.0', acpiIndex: '1', label: 'Onboard LAN', multiFunction: false, ariEnabled: false },
    });
    expect(facts.path).toBe(fs.realpathSync(path.join(fs0.root, 'devices/pci0000:00/0000:00:19.0/net/eth0')));
    expect(facts.pci?.path).toBe(fs.realpathSync(path.join(fs0.root, nic)));
    expect(facts.pci?.parent).toBeUndefined(); // pci0000:00 has no subsystem: not a PCI device
  });

  it('walks from a virtio device to its virtio-pci parent for PCI_ID and PCI_SLOT_NAME; DRIVER stays virtio_net', () => {
    // Real shape: class/net/eth1 -> devices/pci0000:00/0000:00:05.0/virtio2/net/eth1,
    // device -> ../../../virtio2 whose uevent has DRIVER=virtio_net and no PCI_ID.
    const fs0 = new FakeSysfs();
    const pci = fs0.pci(fs0.host(), '0000:00:05.0', { id: '1AF4:1000', driver: 'virtio-pci' });
    fs0.net(fs0.virtio(pci), 'eth1');
    const facts = readLinkFacts(fs0.root, 'eth1');
    expect(facts).toMatchObject({ driver: 'virtio_net', pciID: '1AF4:1000', busPath: '0000:00:05.0', deviceSubsystem: 'virtio' });
    expect(facts.devicePath?.endsWith('/0000:00:05.0/virtio2')).toBe(true);
    expect(facts.pci).toMatchObject({ name: '0000:00:05.0', driver: 'virtio-pci', pciID: '1AF4:1000' });
  });

  it('a link without a device directory is virtual: all hardware facts empty', () => {
    const fs0 = new FakeSysfs();
    fs0.net(undefined, 'dummy0', { addrAssignType: 1, nameAssignType: NET_NAME_USER });
    const facts = readLinkFacts(fs0.root, 'dummy0');
    expect(facts).toMatchObject({ driver: '', pciID: '', busPath: '', type: 1, addrAssignType: 1, nameAssignType: 3 });
    expect(facts.devicePath).toBeUndefined();
    expect(facts.pci).toBeUndefined();
  });

  it('tolerates absent optional files, and throws a clear error only for a missing link', () => {
    const fs0 = new FakeSysfs();
    const nic = fs0.pci(fs0.host(), '0000:00:03.0', { minimal: true });
    fs0.net(nic, 'eth0', { devPort: undefined });
    fs.rmSync(path.join(fs0.root, nic, 'net/eth0/address'));
    const facts = readLinkFacts(fs0.root, 'eth0');
    expect(facts.devPort).toBeUndefined();
    expect(facts.address).toBeUndefined();
    expect(facts.pci?.multiFunction).toBeUndefined(); // no config file
    expect(facts.pci?.modalias).toBeUndefined();
    expect(() => readLinkFacts(fs0.root, 'nope0')).toThrow(/network link "nope0" not found/);
  });

  it('parses numbers as systemd does: decimal, 0x hex (dev_id), leading-zero octal; rejects junk', () => {
    expect(parseUnsigned('12')).toBe(12);
    expect(parseUnsigned('0x1f')).toBe(31);
    expect(parseUnsigned('010')).toBe(8);
    expect(parseUnsigned('0')).toBe(0);
    expect(parseUnsigned('-1')).toBeUndefined();
    expect(parseUnsigned('3a')).toBeUndefined();
    expect(parseUnsigned('4294967296')).toBeUndefined();
  });
});

describe('netIdFor (udev net_id, naming scheme v252)', () => {
  it('onboard from acpi_index: eno<N>, label exported as is, plus path and mac', () => {
    // names_pci_onboard: acpi_index (ACPI _DSM) → "eno1"; LABEL_NOPREFIX: label unprefixed.
    // names_pci_slot: 0000:00:19.0 → "enp0s25" (slot 0x19 printed in decimal), single function → no f.
    // names_mac: addr_assign_type 0 (NET_ADDR_PERM) → "enx" + 12 hex digits.
    const fs0 = new FakeSysfs();
    fs0.net(fs0.pci(fs0.host(), '0000:00:19.0', { acpiIndex: '1', label: 'Onboard LAN' }), 'eth0', { address: 'a4:bb:6d:01:02:03' });
    const names = netIdFor(fs0.root, 'eth0');
    expect(names).toEqual({ onboard: 'eno1', onboardLabel: 'Onboard LAN', path: 'enp0s25', mac: 'enxa4bb6d010203' });
    expect(predictableName(names)).toBe('eno1');
  });

  it('onboard from SMBIOS index when there is no acpi_index; acpi_index wins when both exist', () => {
    // Function 6 > 0 → "f6" even on a single-function device.
    const fs0 = new FakeSysfs();
    const host = fs0.host();
    fs0.net(fs0.pci(host, '0000:00:1f.6', { index: '2' }), 'eth0');
    fs0.net(fs0.pci(host, '0000:00:1f.7', { acpiIndex: '3', index: '7' }), 'eth1');
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ onboard: 'eno2', path: 'enp0s31f6' });
    expect(netIdFor(fs0.root, 'eth1')).toMatchObject({ onboard: 'eno3', path: 'enp0s31f7' });
  });

  it('onboard index limits: 0 accepted (ZERO_ACPI_INDEX), 65535 accepted (16BIT_INDEX), larger or junk ignored without falling back to index', () => {
    const fs0 = new FakeSysfs();
    const host = fs0.host();
    fs0.net(fs0.pci(host, '0000:00:03.0', { acpiIndex: '0' }), 'eth0');
    fs0.net(fs0.pci(host, '0000:00:04.0', { acpiIndex: '65535' }), 'eth1');
    // VMware-style 2^24-1: an existing acpi_index is used as is, so `index` is not consulted.
    fs0.net(fs0.pci(host, '0000:00:05.0', { acpiIndex: '16777215', index: '1' }), 'eth2');
    fs0.net(fs0.pci(host, '0000:00:06.0', { acpiIndex: 'n/a', index: '1' }), 'eth3');
    // The value is parsed like strtoul(…, 0): 0x10 is 16.
    fs0.net(fs0.pci(host, '0000:00:07.0', { acpiIndex: '0x10' }), 'eth4');
    expect(netIdFor(fs0.root, 'eth0').onboard).toBe('eno0');
    expect(netIdFor(fs0.root, 'eth1').onboard).toBe('eno65535');
    expect(netIdFor(fs0.root, 'eth2')).toEqual({ path: 'enp0s5', mac: 'enx525400123456' });
    expect(netIdFor(fs0.root, 'eth3')).toEqual({ path: 'enp0s6', mac: 'enx525400123456' });
    expect(netIdFor(fs0.root, 'eth4').onboard).toBe('eno16');
  });

  it('hotplug slot: ens<N> from bus/pci/slots/N/address matching the device; single function → no f0', () => {
    // Slot address "0000:03:00" prefixes the NIC's sysname "0000:03:00.0" (function stripped).
    const fs0 = new FakeSysfs();
    const port = fs0.pci(fs0.host(), '0000:00:1c.0', { bridge: true });
    fs0.net(fs0.pci(port, '0000:03:00.0'), 'eth0');
    fs0.slot('1', '0000:03:00');
    const names = netIdFor(fs0.root, 'eth0');
    expect(names).toEqual({ slot: 'ens1', path: 'enp3s0', mac: 'enx525400123456' });
    expect(predictableName(names)).toBe('ens1');
  });

  it('multi-function device: f<fn> on both slot and path names, f0 included', () => {
    const fs0 = new FakeSysfs();
    const port = fs0.pci(fs0.host(), '0000:00:1c.1', { bridge: true });
    fs0.net(fs0.pci(port, '0000:04:00.0', { multiFunction: true }), 'eth0');
    fs0.net(fs0.pci(port, '0000:04:00.1', { multiFunction: true }), 'eth1');
    fs0.slot('2', '0000:04:00');
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ slot: 'ens2f0', path: 'enp4s0f0' });
    expect(netIdFor(fs0.root, 'eth1')).toMatchObject({ slot: 'ens2f1', path: 'enp4s0f1' });
  });

  it('PCI domain ≠ 0: P<domain> prefix on path and slot names', () => {
    const fs0 = new FakeSysfs();
    const port = fs0.pci(fs0.host('0001'), '0001:00:02.0', { bridge: true });
    fs0.net(fs0.pci(port, '0001:02:00.0'), 'eth0');
    fs0.slot('3', '0001:02:00');
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ slot: 'enP1s3', path: 'enP1p2s0' });
  });

  it('dev_port > 0 adds d<port> (two ports on one PCI function), on onboard and path names', () => {
    const fs0 = new FakeSysfs();
    const nic = fs0.pci(fs0.host(), '0000:00:05.0', { acpiIndex: '5' });
    fs0.net(nic, 'eth0', { devPort: 0 });
    fs0.net(nic, 'eth1', { devPort: 1 });
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ onboard: 'eno5', path: 'enp0s5' });
    expect(netIdFor(fs0.root, 'eth1')).toMatchObject({ onboard: 'eno5d1', path: 'enp0s5d1' });
  });

  it('phys_port_name adds n<name> and takes precedence over dev_port', () => {
    const fs0 = new FakeSysfs();
    const port = fs0.pci(fs0.host(), '0000:00:1c.2', { bridge: true });
    fs0.net(fs0.pci(port, '0000:06:00.1', { multiFunction: true }), 'eth0', { physPortName: 'p1', devPort: 1 });
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ path: 'enp6s0f1np1' });
  });

  it('mac name only for a permanent address (addr_assign_type 0), not random (1) or set (3)', () => {
    const fs0 = new FakeSysfs();
    const host = fs0.host();
    fs0.net(fs0.pci(host, '0000:00:06.0'), 'eth0', { addrAssignType: 1, address: '0e:11:22:33:44:55' });
    fs0.net(fs0.pci(host, '0000:00:07.0'), 'eth1', { addrAssignType: 3 });
    expect(netIdFor(fs0.root, 'eth0')).toEqual({ path: 'enp0s6' });
    expect(netIdFor(fs0.root, 'eth1')).toEqual({ path: 'enp0s7' });
  });

  it('virtio NIC: the virtio bus is skipped, names come from the virtio-pci device', () => {
    // skip_virtio: virtio2 → 0000:00:05.0; path "enp0s5", as on a QEMU guest.
    const fs0 = new FakeSysfs();
    fs0.net(fs0.virtio(fs0.pci(fs0.host(), '0000:00:05.0', { id: '1AF4:1000', driver: 'virtio-pci' })), 'eth1');
    expect(netIdFor(fs0.root, 'eth1')).toEqual({ path: 'enp0s5', mac: 'enx525400123456' });
  });

  it('virtual link: no device, random MAC → no names', () => {
    const fs0 = new FakeSysfs();
    fs0.net(undefined, 'dummy0', { addrAssignType: 1 });
    expect(netIdFor(fs0.root, 'dummy0')).toEqual({});
  });

  it('only ARPHRD_ETHER links get names here; DEVTYPE wlan switches the prefix to wl', () => {
    // InfiniBand is out of scope: udev v252 itself would give ib0 ID_NET_NAME_PATH=ibp0s8.
    const fs0 = new FakeSysfs();
    const host = fs0.host();
    fs0.net(fs0.pci(host, '0000:00:08.0', { id: '15B3:1003', driver: 'mlx4_core' }), 'ib0', { type: 32 });
    fs0.net(undefined, 'lo', { type: 772, address: '00:00:00:00:00:00' });
    const port = fs0.pci(host, '0000:00:1c.3', { bridge: true });
    fs0.net(fs0.pci(port, '0000:02:00.0', { id: '8086:2723', driver: 'iwlwifi' }), 'wlan0', { devType: 'wlan', address: '3c:58:c2:00:00:01' });
    expect(netIdFor(fs0.root, 'ib0')).toEqual({});
    expect(netIdFor(fs0.root, 'lo')).toEqual({});
    expect(netIdFor(fs0.root, 'wlan0')).toEqual({ path: 'wlp2s0', mac: 'wlx3c58c2000001' });
  });

  it('stacked link (ifindex ≠ iflink) gets no names', () => {
    const fs0 = new FakeSysfs();
    fs0.net(fs0.pci(fs0.host(), '0000:00:09.0'), 'eth0', { ifindex: 7, iflink: 3 });
    expect(netIdFor(fs0.root, 'eth0')).toEqual({});
  });

  it('behind a bridge: path uses the device’s own bus; a bridge’s slot is used only for a multi-function device', () => {
    // Slot 4/5 addresses match the root ports themselves (0000:00:1c / 0000:00:1d), found
    // by walking up from the NIC. BRIDGE_NO_SLOT + BRIDGE_MULTIFUNCTION_SLOT (v251..v254):
    // single-function NIC → no slot name; multi-function NIC → ens5f0.
    const fs0 = new FakeSysfs();
    const host = fs0.host();
    fs0.net(fs0.pci(fs0.pci(host, '0000:00:1c.4', { bridge: true }), '0000:07:00.0'), 'eth0');
    fs0.net(fs0.pci(fs0.pci(host, '0000:00:1d.0', { bridge: true }), '0000:08:00.0', { multiFunction: true }), 'eth1');
    fs0.slot('4', '0000:00:1c');
    fs0.slot('5', '0000:00:1d');
    expect(netIdFor(fs0.root, 'eth0')).toEqual({ path: 'enp7s0', mac: 'enx525400123456' });
    expect(netIdFor(fs0.root, 'eth1')).toMatchObject({ slot: 'ens5f0', path: 'enp8s0f0' });
    expect(readLinkFacts(fs0.root, 'eth1').pci?.parent?.name).toBe('0000:00:1d.0');
  });

  it('ARI: the slot bits join the function number (func + 8·slot); bus printed in decimal', () => {
    const fs0 = new FakeSysfs();
    const port = fs0.pci(fs0.host(), '0000:00:03.0', { bridge: true });
    fs0.net(fs0.pci(port, '0000:3b:01.2', { ariEnabled: '1', multiFunction: true }), 'eth0');
    expect(netIdFor(fs0.root, 'eth0').path).toBe('enp59s1f10');
  });

  it('s390 function_id: slot directory %08x of the function id, domain left out of the slot name', () => {
    const fs0 = new FakeSysfs();
    fs0.net(fs0.pci(fs0.host('0001'), '0001:00:00.0', { functionId: '0x00000010', driver: 'mlx5_core' }), 'eth0');
    fs0.slot('00000010', '0001:00:00');
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ slot: 'ens16', path: 'enP1p0s0' });
  });

  it('SR-IOV virtual function: named after the physical function plus v<N>, no label', () => {
    // get_virtfn_info: physfn link → PF 0000:09:00.0, whose virtfn3 link points at the VF.
    const fs0 = new FakeSysfs();
    const port = fs0.pci(fs0.host(), '0000:00:1c.6', { bridge: true });
    const pf = fs0.pci(port, '0000:09:00.0', { multiFunction: true, acpiIndex: '9', label: 'Port 1', driver: 'ixgbe' });
    const vf = fs0.pci(port, '0000:09:10.2', { driver: 'ixgbevf' });
    fs.symlinkSync('../0000:09:00.0', path.join(fs0.root, vf, 'physfn'));
    fs.symlinkSync('../0000:09:10.2', path.join(fs0.root, pf, 'virtfn3'));
    fs0.slot('6', '0000:09:00');
    fs0.net(pf, 'eth0');
    fs0.net(vf, 'eth1', { addrAssignType: 1 });
    expect(netIdFor(fs0.root, 'eth0')).toMatchObject({ onboard: 'eno9', onboardLabel: 'Port 1', slot: 'ens6f0', path: 'enp9s0f0' });
    expect(netIdFor(fs0.root, 'eth1')).toEqual({ onboard: 'eno9v3', slot: 'ens6f0v3', path: 'enp9s0f0v3' });
  });

  it('no dev_port attribute counts as port 0 (no d suffix); bus and slot print in decimal', () => {
    const fs0 = new FakeSysfs();
    fs0.net(fs0.pci(fs0.host(), '0000:00:0a.0', { acpiIndex: '1' }), 'eth0', { devPort: undefined });
    expect(netIdFor(fs0.root, 'eth0')).toEqual({ onboard: 'eno1', path: 'enp0s10', mac: 'enx525400123456' });
  });

  it('multi-function: config space shorter than the header-type byte counts as single-function', () => {
    const fs0 = new FakeSysfs();
    const host = fs0.host();
    fs0.net(fs0.pci(host, '0000:00:0b.0', { multiFunction: true }), 'eth0');
    fs.truncateSync(path.join(fs0.root, host, '0000:00:0b.0/config'), 15); // header type is byte 14
    fs0.net(fs0.pci(host, '0000:00:0c.0', { multiFunction: true }), 'eth1');
    fs.truncateSync(path.join(fs0.root, host, '0000:00:0c.0/config'), 14);
    expect(netIdFor(fs0.root, 'eth0').path).toBe('enp0s11f0');
    expect(netIdFor(fs0.root, 'eth1').path).toBe('enp0s12');
  });
});

describe('predictableName and keepCurrentName', () => {
  it('takes the first valid name in policy order, skipping names longer than 15 bytes', () => {
    const fs0 = new FakeSysfs();
    fs0.net(fs0.pci(fs0.host(), '0000:41:00.0', { multiFunction: true }), 'eth0', { physPortName: 'p0pf0vf1' });
    const names = netIdFor(fs0.root, 'eth0');
    expect(names.path).toBe('enp65s0f0np0pf0vf1'); // exported (fits ALTIFNAMSIZ), too long for a name
    expect(predictableName(names)).toBe('enx525400123456');
    expect(predictableName({ onboard: 'eno1', path: 'enp0s25' }, ['path', 'onboard'])).toBe('enp0s25');
    expect(predictableName({ mac: 'enx525400123456' }, ['onboard', 'slot'])).toBeUndefined();
    expect(predictableName({})).toBeUndefined();
  });

  it('keep for names set by userspace, kernel for predictable kernel names, otherwise rename', () => {
    expect(keepCurrentName(NET_NAME_USER)).toBe('keep');
    expect(keepCurrentName(NET_NAME_RENAMED)).toBe('keep');
    expect(keepCurrentName(NET_NAME_PREDICTABLE)).toBe('kernel');
    expect(keepCurrentName(NET_NAME_ENUM)).toBeUndefined();
    expect(keepCurrentName(undefined)).toBeUndefined(); // NET_NAME_UNKNOWN: the sysfs read fails
  });
});

describe('this machine’s /sys (read-only)', () => {
  const hasSys = fs.existsSync('/sys/class/net/lo');

  it.skipIf(!hasSys)('lo is virtual: empty hardware facts, no names', () => {
    const facts = readLinkFacts('/sys', 'lo');
    expect(facts).toMatchObject({ type: 772, driver: '', pciID: '', busPath: '' });
    expect(facts.devicePath).toBeUndefined();
    expect(netIdFor('/sys', 'lo')).toEqual({});
  });

  it.skipIf(!hasSys)('every link reads without throwing (sysfs errors such as EOPNOTSUPP on phys_port_name read as absent)', () => {
    for (const name of fs.readdirSync('/sys/class/net')) {
      const facts = readLinkFacts('/sys', name);
      expect(facts.name).toBe(name);
      if (facts.pci !== undefined) expect(facts.busPath).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      expect(() => netIdFor('/sys', name)).not.toThrow();
    }
  });
});
