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

/** Four lower-case hex digits, as pci.ids writes IDs. */
const hex4 = (id: number): string => id.toString(16).padStart(4, '0');

/** Talos' formatting of an ID: 0x and four lower-case hex digits. */
export const pciIdText = (id: number): string => `0x${hex4(id)}`;

export interface PciNames {
  /** The vendor's and the product's names; '' for what the database does not have. */
  lookup(ids: PciIds): { vendor: string; product: string };
}

/**
 * Names from a pci.ids file (~1.3 MB), looked up once per device and kept.
 * The file is searched 64 KB at a time in one buffer: for the vendor's line,
 * then, from there, for the device's line within the vendor's block. Reading
 * the whole file into a fresh buffer cost 4.5-6.3 ms of page faults here, and
 * walking Intel's block (372 KB, thousands of devices) line by line 10-16 ms
 * more, on the way to the network of every host with PCI NICs (measured: see
 * the commit). No file: '' names.
 */
export class PciIdsFile implements PciNames {
  private readonly cache = new Map<string, { vendor: string; product: string }>();

  /** `files`: the paths to try, first readable wins. */
  constructor(private readonly files: readonly string[] = PCI_IDS_PATHS) {}

  lookup(ids: PciIds): { vendor: string; product: string } {
    const key = `${ids.vendor}:${ids.product}`;
    let names = this.cache.get(key);
    if (names === undefined) {
      names = this.find(ids);
      this.cache.set(key, names);
    }
    return names;
  }

  private find(ids: PciIds): { vendor: string; product: string } {
    for (const file of this.files) {
      let fd: number;
      try {
        fd = fs.openSync(file, 'r');
      } catch {
        continue; // the next place
      }
      try {
        return pciNames(fd, ids);
      } catch {
        // unreadable (a directory, an I/O error): the next place
      } finally {
        fs.closeSync(fd);
      }
    }
    return { vendor: '', product: '' };
  }
}

const LF = 0x0a;
const CHUNK = 65536;

/**
 * Looks up a vendor and one of its devices in the pci.ids file open as `fd`.
 * The format: a vendor line is its ID (four lower-case hex digits), two spaces
 * and its name; the vendor's devices follow, each on a line starting with one
 * tab, then its ID, two spaces and its name; subsystems have two tabs; comments
 * start with #. After the vendors come the device classes, on lines starting
 * with "C ". Names are UTF-8.
 */
export function pciNames(fd: number, ids: PciIds): { vendor: string; product: string } {
  const head = `${hex4(ids.vendor)}  `;
  const vendorAt = find(fd, -1, `\n${head}`, undefined);
  if (vendorAt < 0) return { vendor: '', product: '' };
  const vendor = lineAt(fd, vendorAt).slice(head.length).trim();
  // "\n\tPPPP  ", a device's line (a subsystem's second tab never matches a digit), before the block ends
  const deviceAt = find(fd, vendorAt, `\n\t${hex4(ids.product)}  `, BLOCK_END);
  return { vendor, product: deviceAt < 0 ? '' : lineAt(fd, deviceAt).slice(7).trim() };
}

/** A line that is neither a device, a subsystem, a comment nor empty: the next vendor, or the classes. */
const BLOCK_END = /\n[^\t#\n]/g;

/**
 * The offset of the line after the first newline of `pattern` (pattern starts
 * with one) from `from` on, or -1; -1 too when `end` matches first. Offset -1
 * stands for the start of the file, as if a line ended before it. Read into one
 * buffer, the last bytes carried over so that nothing is missed between two
 * reads (the pattern does not fit in what is carried, and an end wholly in it
 * was already seen by the read before, which would have stopped there).
 */
function find(fd: number, from: number, pattern: string, end: RegExp | undefined): number {
  const chunk = Buffer.allocUnsafe(CHUNK);
  let pos = from; // the file offset of chunk[0]
  let len = 0;
  if (from < 0) {
    chunk[0] = LF;
    len = 1;
  }
  const wanted = Buffer.from(pattern, 'latin1');
  for (;;) {
    const n = fs.readSync(fd, chunk, len, CHUNK - len, pos + len);
    len += n;
    const at = chunk.subarray(0, len).indexOf(wanted);
    let stop = -1;
    if (end !== undefined) {
      // only up to the match: the block's end can only matter before it
      end.lastIndex = 0;
      stop = end.exec(chunk.toString('latin1', 0, at >= 0 ? at : len))?.index ?? -1;
    }
    if (at >= 0 && stop < 0) return pos + at + 1;
    if (stop >= 0 || n === 0) return -1;
    const keep = Math.min(len, wanted.length - 1);
    chunk.copy(chunk, 0, len - keep, len);
    pos += len - keep;
    len = keep;
  }
}

/** The line at `offset`, without its newline, as UTF-8. */
function lineAt(fd: number, offset: number): string {
  for (let size = 256; ; size *= 4) {
    const buf = Buffer.allocUnsafe(size);
    const n = fs.readSync(fd, buf, 0, size, offset);
    const newline = buf.subarray(0, n).indexOf(LF);
    if (newline >= 0 || n < size) return buf.toString('utf8', 0, newline >= 0 ? newline : n);
  }
}
