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

/** pciNames on these bytes, from a file. */
function namesIn(bytes: Buffer | string, ids: { vendor: number; product: number }): { vendor: string; product: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-pci-'));
  try {
    const file = path.join(dir, 'pci.ids');
    fs.writeFileSync(file, bytes);
    const fd = fs.openSync(file, 'r');
    try {
      return pciNames(fd, ids);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The same, the plain way, for comparison: the file's lines, one after the other. */
const split = new Map<string, string[]>();
function namesByLines(text: string, ids: { vendor: number; product: number }): { vendor: string; product: string } {
  let lines = split.get(text);
  if (lines === undefined) split.set(text, (lines = text.split('\n')));
  const head = `${ids.vendor.toString(16).padStart(4, '0')}  `;
  const device = `\t${ids.product.toString(16).padStart(4, '0')}  `;
  const at = lines.findIndex((l) => l.startsWith(head));
  if (at < 0) return { vendor: '', product: '' };
  const vendor = lines[at]!.slice(head.length).trim();
  for (const line of lines.slice(at + 1)) {
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith('\t')) break;
    if (line.startsWith(device)) return { vendor, product: line.slice(device.length).trim() };
  }
  return { vendor, product: '' };
}

describe('pci.ids lookups', () => {
  it('finds a vendor and one of its devices, wherever they are in the file', () => {
    expect(namesIn(IDS, { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
    // past a comment and an empty line
    expect(namesIn(IDS, { vendor: 0x1af4, product: 0x1041 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example modern network device' });
    // the first line of the file; trailing spaces go
    expect(namesIn(IDS, { vendor: 0x0001, product: 0x0001 })).toEqual({ vendor: 'First Vendor', product: 'its device 1' });
    expect(namesIn(IDS.subarray(IDS.indexOf('0001  ')), { vendor: 0x0001, product: 0x0001 })).toEqual({ vendor: 'First Vendor', product: 'its device 1' });
    // the vendor right after a newline that starts the file
    expect(namesIn(Buffer.from('\n1af4  Example Virtio Vendor\n\t1000  Example network device\n'), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
    // a file that ends inside a line, or is shorter than what is looked for
    expect(namesIn(Buffer.from('1af4  Example Virtio Vendor\n\t10'), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: '' });
    expect(namesIn(Buffer.from('1a'), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: '', product: '' });
    expect(namesIn(Buffer.alloc(0), { vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: '', product: '' });
    // names are UTF-8
    expect(namesIn(Buffer.from('10ec  Réaltek Exämple\n\t8168  Gigabit Ethernet «PCIe»\n'), { vendor: 0x10ec, product: 0x8168 })).toEqual({ vendor: 'Réaltek Exämple', product: 'Gigabit Ethernet «PCIe»' });
    expect(namesIn(IDS, { vendor: 0x8086, product: 0x10d3 })).toEqual({ vendor: 'Example NIC Vendor', product: 'Example gigabit controller' });
  });

  it("never takes a subsystem, the next vendor's device or a class for the device asked", () => {
    // 1af4:0001 exists only as a subsystem line under 1af4 and as a device of 1b36
    expect(namesIn(IDS, { vendor: 0x1af4, product: 0x0001 })).toEqual({ vendor: 'Example Virtio Vendor', product: '' });
    // 8086's block ends at the classes: their "\t00" lines are not devices of 8086
    expect(namesIn(IDS, { vendor: 0x8086, product: 0x0000 })).toEqual({ vendor: 'Example NIC Vendor', product: '' });
    // an unknown vendor; an ID that appears only as a device ID ("\t1000")
    expect(namesIn(IDS, { vendor: 0xabcd, product: 0x0001 })).toEqual({ vendor: '', product: '' });
    expect(namesIn(IDS, { vendor: 0x1000, product: 0x0001 })).toEqual({ vendor: '', product: '' });
  });

  it('reads the first database file there is, each device once, and gives empty names without one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-pci-'));
    try {
      const file = path.join(dir, 'pci.ids');
      fs.writeFileSync(file, IDS);
      const db = new PciIdsFile([path.join(dir, 'missing.ids'), dir, file]);
      expect(db.lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
      expect(db.lookup({ vendor: 0x8086, product: 0x10d3 })).toEqual({ vendor: 'Example NIC Vendor', product: 'Example gigabit controller' });
      fs.rmSync(file);
      // what was looked up comes from the cache; anything else finds the file gone
      expect(db.lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Example Virtio Vendor', product: 'Example network device' });
      expect(db.lookup({ vendor: 0x1af4, product: 0x1041 })).toEqual({ vendor: '', product: '' });
      expect(new PciIdsFile([path.join(dir, 'none')]).lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: '', product: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds what reading the file line by line finds, read in pieces: lines across 64 KB boundaries, blocks longer than a piece', () => {
    // a vendor with 9000 devices (~190 KB: several pieces) before and after the one looked for
    const big = (id: string) => [`${id}  Big Vendor`, ...Array.from({ length: 9000 }, (_, i) => `\t${(i + 0x1000).toString(16)}  Big device ${i}`)].join('\n');
    const blocks = ['1af4  Example Virtio Vendor\n\t1000  Example network device\n\t1041  Example modern network device', big('8086'), big('1000'), 'C 02  Network controller\n\t00  Ethernet controller\n'];
    const asked = [
      { vendor: 0x1af4, product: 0x1041 },
      { vendor: 0x1000, product: 0x1000 + 8999 }, // the last device of a block, after another long one
      { vendor: 0x8086, product: 0x1000 + 4500 }, // in the middle of a block read in pieces
      { vendor: 0x8086, product: 0x1000 + 8999 }, // the last line before the classes
      { vendor: 0x8086, product: 0x0000 },
      { vendor: 0xabcd, product: 0x0001 },
    ];
    // the first vendor line, and the newline before it, at every position around the first piece's end
    for (let shift = 0; shift < 12; shift++) {
      const pad = `# ${'x'.repeat(65536 - 8 - 2 + shift)}`;
      const text = [pad, ...blocks].join('\n');
      for (const ids of asked) expect(namesIn(text, ids), `shift ${shift}, ${JSON.stringify(ids)}`).toEqual(namesByLines(text, ids));
    }
    expect(namesByLines(blocks.join('\n'), { vendor: 0x8086, product: 0x1000 + 4500 })).toEqual({ vendor: 'Big Vendor', product: 'Big device 4500' });
    // a piece that ends with a newline: what the next line is decides (here, a device of the block);
    // a block that ends with the file, without a newline
    const exact = `1af4  V\n${'\tffff  filler\n'.repeat(Math.floor((65536 - 8) / 14))}`;
    const fill = 65536 - exact.length;
    const atEnd = `${exact}${'#'.repeat(fill - 1)}\n\t0001  late device\n8086  Next\n\t0001  d`;
    expect(atEnd.indexOf('\n\t0001  late')).toBe(65535);
    expect(namesIn(atEnd, { vendor: 0x1af4, product: 0x0001 })).toEqual({ vendor: 'V', product: 'late device' });
    expect(namesIn(atEnd, { vendor: 0x8086, product: 0x0001 })).toEqual({ vendor: 'Next', product: 'd' });
    expect(namesIn('1af4  Only', { vendor: 0x1af4, product: 0x0001 })).toEqual({ vendor: 'Only', product: '' });
    expect(namesIn('', { vendor: 0x1af4, product: 0x0001 })).toEqual({ vendor: '', product: '' });
  });

  // CI installs the database (Debian's pci.ids package, .ci/run); elsewhere this says it did not run
  const system = PCI_IDS_PATHS.find((f) => fs.existsSync(f));
  it.skipIf(system === undefined && process.env.CI !== 'true')(`the system database names a virtio NIC as Talos does (${system ?? 'no pci.ids installed: not run'})`, () => {
    expect(system, `none of ${PCI_IDS_PATHS.join(', ')}: apt-get install pci.ids`).toBeDefined();
    expect(new PciIdsFile().lookup({ vendor: 0x1af4, product: 0x1000 })).toEqual({ vendor: 'Red Hat, Inc.', product: 'Virtio network device' });
    // the same names as reading the file line by line: the first and last device of every 7th vendor, and of the largest
    const text = fs.readFileSync(system!, 'utf8');
    const vendors = [...text.matchAll(/^([0-9a-f]{4}) {2}/gm)].map((m) => ({ id: parseInt(m[1]!, 16), at: m.index }));
    expect(vendors.length).toBeGreaterThan(1000);
    const fd = fs.openSync(system!, 'r');
    try {
      let named = 0;
      for (let i = 0; i < vendors.length; i++) {
        if (i % 7 !== 0 && ![0x8086, 0x1002, 0x10de].includes(vendors[i]!.id)) continue;
        const block = text.slice(vendors[i]!.at, vendors[i + 1]?.at ?? text.length);
        const devices = [...block.matchAll(/^\t([0-9a-f]{4}) {2}/gm)].map((m) => parseInt(m[1]!, 16));
        for (const product of [devices[0] ?? 0, devices.at(-1) ?? 0]) {
          const ids = { vendor: vendors[i]!.id, product };
          const names = pciNames(fd, ids);
          expect(names, JSON.stringify(ids)).toEqual(namesByLines(text, ids));
          if (names.product !== '') named++;
        }
      }
      expect(named).toBeGreaterThan(150);
    } finally {
      fs.closeSync(fd);
    }
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
