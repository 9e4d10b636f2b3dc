// A PCI NIC's vendor and product for LinkStatus (Talos' vendorID, productID,
// vendor, product): IDs from sysfs by the device's address, names from pci.ids.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PCI_IDS_PATHS, PciIdsFile, pciIdText, pciNames, readPciIds } from '../../src/hw/pci.js';

// The layout of pci.ids (these lines are written for the test, not taken from the database)
const IDS_TEXT = [
  '# a comment before the vendors',
  '0001  First Vendor',
  '\t0001  its device 1',
  '1af4  Example Virtio Vendor',
  '\t1000  Example network device',
  '\t\t1af4 0001  Example subsystem (not a device of 1af4)',
  '# a comment between devices',
  '',
  '\t1041  Example modern network device',
  '1b36  Example Bridge Vendor',
  '\t0001  Example bridge',
  '8086  Example NIC Vendor',
  '\t10d3  Example gigabit controller ',
  'C 02  Network controller',
  '\t00  Ethernet controller',
  '',
].join('\n');
const IDS = Buffer.from(IDS_TEXT);

describe('pci.ids lookups', () => {
  it('finds a vendor and one of its devices, wherever they are in the file', () => {
    expect(pciNames(IDS, { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
    // past a comment and an empty line
    expect(pciNames(IDS, { vendor: 0x1af4, product: 0x1041 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example modern network device' });
    // the first line of the file; trailing spaces go
    expect(pciNames(IDS, { vendor: 0x0001, product: 0x0001 })).toEqual({ vendor: 'First Vendor', product: 'its device 1' });
    expect(pciNames(IDS.subarray(IDS.indexOf('0001  ')), { vendor: 0x0001, product: 0x0001 })).toEqual({ vendor: 'First Vendor', product: 'its device 1' });
    // the vendor right after a newline that starts the file
    expect(pciNames(Buffer.from('\n1af4  Example Virtio Vendor\n\t1000  Example network device\n'), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
    // a file that ends inside a line, or is shorter than what is looked for
    expect(pciNames(Buffer.from('1af4  Example Virtio Vendor\n\t10'), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: '' });
    expect(pciNames(Buffer.from('1a'), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: '', product: '' });
    expect(pciNames(Buffer.alloc(0), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: '', product: '' });
    // names are UTF-8
    expect(pciNames(Buffer.from('10ec  Réaltek Exämple\n\t8168  Gigabit Ethernet «PCIe»\n'), { vendor: 0x10ec, product: 0x8168 })).toEqual({ vendor: 'Réaltek Exämple', product: 'Gigabit Ethernet «PCIe»' });
    expect(pciNames(IDS, { vendor: 0x8086, product: 0x10d3 })).toEqual({ vendor: 'Example NIC Vendor', product: 'Example gigabit controller' });
  });

  it("never takes a subsystem, the next vendor's device or a class for the device asked", () => {
    // 1af4:0001 exists only as a subsystem line under 1af4 and as a device of 1b36
    expect(pciNames(IDS, { vendor: 0x1af4, product: 0x0001 })).toEqual({ vendor: 'Example Virtio Vendor', product: '' });
    // 8086's block ends at the classes: their "\t00" lines are not devices of 8086
    expect(pciNames(IDS, { vendor: 0x8086, product: 0x0000 })).toEqual({ vendor: 'Example NIC Vendor', product: '' });
    // an unknown vendor; an ID that appears only as a device ID ("\t1000")
    expect(pciNames(IDS, { vendor: 0xabcd, product: 0x0001 })).toEqual({ vendor: '', product: '' });
    expect(pciNames(IDS, { vendor: 0x1000, product: 0x0001 })).toEqual({ vendor: '', product: '' });
  });

  it('reads the first database file there is, once per task for all its devices, and gives empty names without one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-pci-'));
    try {
      const file = path.join(dir, 'pci.ids');
      fs.writeFileSync(file, IDS);
      const db = new PciIdsFile([path.join(dir, 'missing.ids'), file]);
      expect(db.lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
      fs.rmSync(file);
      // the same task (one listing): the bytes read are still there for another device
      expect(db.lookup({ vendor: 0x8086, product: 0x10d3 })).toEqual({ vendor: 'Example NIC Vendor', product: 'Example gigabit controller' });
      await new Promise((resolve) => setImmediate(resolve));
      // later: what was looked up comes from the cache; anything else finds the file gone
      expect(db.lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
      expect(db.lookup({ vendor: 0x1af4, product: 0x1041 })).toEqual({ vendor: '', product: '' });
      expect(new PciIdsFile([path.join(dir, 'none')]).lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: '', product: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // CI installs the database (Debian's pci.ids package, .ci/run); elsewhere this says it did not run
  const system = PCI_IDS_PATHS.find((f) => fs.existsSync(f));
  it.skipIf(system === undefined && process.env.CI !== 'true')(`the system database names a virtio NIC as Talos does (${system ?? 'no pci.ids installed: not run'})`, () => {
    expect(system, `none of ${PCI_IDS_PATHS.join(', ')}: apt-get install pci.ids`).toBeDefined();
    expect(new PciIdsFile().lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Red Hat, Inc.', product: 'Virtio network device' });
  });
});

describe('PCI IDs from sysfs', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it("reads a device's vendor and device files by its address; anything else is not a PCI address", () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-sys-'));
    const dev = path.join(root, 'bus/pci/devices/0000:00:05.0');
    fs.mkdirSync(dev, { recursive: true });
    fs.writeFileSync(path.join(dev, 'vendor'), '0x1af4\n');
    fs.writeFileSync(path.join(dev, 'device'), '0x1000\n');
    expect(readPciIds(root, '0000:00:05.0')).toEqual({ vendor: 0x1af4, product: 0x1000 });
    expect([pciIdText(0x1af4), pciIdText(0x10d3), pciIdText(0x1)]).toEqual(['0x1af4', '0x10d3', '0x0001']);
    // no such device, a half-written one, and names that are not addresses (a virtual link's bus info, a path)
    expect(readPciIds(root, '0000:00:06.0')).toBeUndefined();
    fs.writeFileSync(path.join(dev, 'device'), 'garbage\n');
    expect(readPciIds(root, '0000:00:05.0')).toBeUndefined();
    for (const name of ['', 'virtio0', 'tap', '../../../etc', '0000:00:05.0/..']) expect(readPciIds(root, name), name).toBeUndefined();
  });
});
