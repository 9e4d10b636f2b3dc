// A PCI network device's vendor and product, as Talos' LinkStatus has them: the
// IDs from the device's sysfs entry (/sys/bus/pci/devices/<address>/vendor and
// /device, read by the address ethtool or sysfs gives as busPath), the names from
// the PCI ID database, the pci.ids file that pciutils and udev use (Debian's
// `pci.ids` package, `hwdata` elsewhere). Talos builds its copy of that database
// in; netcfg reads the system's, and leaves the names empty without one.
//
// PCI devices are not per network namespace: the device directory of an address
// is the same whichever namespace the link is in.
import fs from 'node:fs';
import path from 'node:path';

/** Where distributions install the database: Debian and Ubuntu, Fedora and RHEL (hwdata), Alpine and others. */
export const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids'] as const;

/** A PCI function address as sysfs names it: domain:bus:slot.function. */
const PCI_ADDRESS = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

export interface PciIds {
  vendor: number;
  product: number;
}

/** The vendor and device IDs of the PCI function at `address` (busPath), or undefined when it is not one. */
export function readPciIds(sysfsRoot: string, address: string): PciIds | undefined {
  if (!PCI_ADDRESS.test(address)) return undefined;
  const dir = path.join(sysfsRoot, 'bus/pci/devices', address);
  const read = (file: string): number | undefined => {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, file), 'latin1').trim();
    } catch {
      return undefined;
    }
    // "0x1af4": what sysfs prints
    const n = /^0x[0-9a-f]{1,4}$/i.test(text) ? parseInt(text, 16) : NaN;
    return Number.isNaN(n) ? undefined : n;
  };
  const vendor = read('vendor');
  const product = read('device');
  return vendor === undefined || product === undefined ? undefined : { vendor, product };
}

/** Talos' formatting of an ID: 0x and four lower-case hex digits. */
export const pciIdText = (id: number): string => `0x${id.toString(16).padStart(4, '0')}`;

export interface PciNames {
  /** The vendor's and the product's names; '' for what the database does not have. */
  lookup(ids: PciIds): { vendor: string; product: string };
}

/**
 * Names from a pci.ids file (~1.3 MB), read when a lookup misses the cache and
 * searched as bytes (decoding it as text would cost ~15 ms here). The bytes are
 * kept until the current task ends, so the devices of one listing share one
 * read, then let go: a daemon asks for each device once and should not hold the
 * database for that: ~6 ms for the first device (4 of them reading the file,
 * whose fresh pages fault in one at a time here), ~1 ms for each other one of
 * the same listing. No file: '' names.
 */
export class PciIdsFile implements PciNames {
  private readonly cache = new Map<string, { vendor: string; product: string }>();
  private bytes: Buffer | null | undefined;

  /** `files`: the paths to try, first readable wins. */
  constructor(private readonly files: readonly string[] = PCI_IDS_PATHS) {}

  lookup(ids: PciIds): { vendor: string; product: string } {
    const key = `${ids.vendor}:${ids.product}`;
    let names = this.cache.get(key);
    if (names === undefined) {
      const bytes = this.read();
      names = bytes === null ? { vendor: '', product: '' } : pciNames(bytes, ids);
      this.cache.set(key, names);
    }
    return names;
  }

  private read(): Buffer | null {
    if (this.bytes !== undefined) return this.bytes;
    let bytes: Buffer | null = null;
    for (const file of this.files) {
      try {
        bytes = fs.readFileSync(file);
        break;
      } catch {
        // the next place
      }
    }
    this.bytes = bytes;
    setImmediate(() => {
      this.bytes = undefined;
    }).unref();
    return bytes;
  }
}

const LF = 0x0a;
const TAB = 0x09;
const HASH = 0x23;
const NEWLINE = Buffer.from('\n');

/**
 * Looks up a vendor and one of its devices in the bytes of a pci.ids file. The
 * format: a vendor line is its ID (four lower-case hex digits), two spaces and
 * its name; the vendor's devices follow, each on a line starting with one tab,
 * then its ID, two spaces and its name; subsystems have two tabs; comments start
 * with #. After the vendors come the device classes, on lines starting with "C ".
 * Names are UTF-8.
 */
export function pciNames(bytes: Buffer, ids: PciIds): { vendor: string; product: string } {
  const head = Buffer.from(`${ids.vendor.toString(16).padStart(4, '0')}  `);
  const first = startsAt(bytes, head, 0);
  const newline = first ? -1 : bytes.indexOf(Buffer.concat([NEWLINE, head]));
  if (!first && newline < 0) return { vendor: '', product: '' };
  const at = newline + 1; // the line after that newline, or the file's first
  let end = lineEnd(bytes, at);
  const vendor = bytes.toString('utf8', at + head.length, end).trim();
  const device = Buffer.from(`\t${ids.product.toString(16).padStart(4, '0')}  `);
  let product = '';
  for (let line = end + 1; line < bytes.length; line = end + 1) {
    end = lineEnd(bytes, line);
    const c = bytes[line];
    if (c === HASH || line === end) continue; // a comment or an empty line
    if (c !== TAB) break; // the next vendor (or the classes)
    if (startsAt(bytes, device, line)) {
      product = bytes.toString('utf8', line + device.length, end).trim();
      break;
    }
  }
  return { vendor, product };
}

/** `pattern` is at `at` in `bytes` (a subsystem line's second tab never matches a device's digit). */
function startsAt(bytes: Buffer, pattern: Buffer, at: number): boolean {
  return at + pattern.length <= bytes.length && bytes.compare(pattern, 0, pattern.length, at, at + pattern.length) === 0;
}

function lineEnd(bytes: Buffer, from: number): number {
  const nl = bytes.indexOf(LF, from);
  return nl < 0 ? bytes.length : nl;
}
