// Hardware facts of a network link, read from a sysfs tree (the real /sys, or a
// copy built by a test). Read-only; nothing here writes anywhere.
//
// Two consumers:
//  * Talos-style LinkStatus fields (spec §4.1): driver, pciID, busPath. Talos reads
//    only `class/net/<name>/device/uevent`; for a virtio NIC that file has
//    DRIVER=virtio_net but no PCI_ID/PCI_SLOT_NAME (those live on the virtio-pci
//    parent), and Talos then falls back to ethtool's bus_info for busPath. We take
//    PCI_ID and PCI_SLOT_NAME from the PCI device found by skipping virtio buses
//    instead — same busPath as Talos' ethtool fallback, plus a pciID Talos leaves empty.
//  * udev's net_id builtin (./net-id.ts), which needs the PCI device the link hangs
//    off, its PCI ancestors (hotplug slots behind bridges) and, for SR-IOV virtual
//    functions, the physical function.
//
// Layout assumed, as in the real /sys: `class/net/<name>` is a symlink into
// `devices/…/net/<name>`; `device` is a symlink to the parent device; every device
// directory has a `uevent` file and a `subsystem` symlink to `bus/<subsystem>`.
// Absent or unreadable attributes (sysfs returns EOPNOTSUPP/EINVAL for some, e.g.
// phys_port_name on most drivers) read as undefined; only a missing link throws.
import fs from 'node:fs';
import path from 'node:path';

/** A PCI device as net_id sees it. */
export interface PciDeviceFacts {
  /** Real sysfs directory of the device. */
  path: string;
  /** Sysname, `DDDD:BB:SS.F`, e.g. `0000:00:05.0`. */
  name: string;
  /** uevent PCI_ID, upper-case `VVVV:DDDD` ('' if absent). */
  pciID: string;
  /** uevent PCI_SLOT_NAME ('' if absent). */
  slotName: string;
  /** uevent DRIVER ('' if unbound). */
  driver: string;
  modalias?: string;
  /** Bit 7 of the header-type byte (offset 0x0e) of `config`; undefined if `config` is unreadable or shorter. */
  multiFunction?: boolean;
  /** `ari_enabled` is "1". */
  ariEnabled: boolean;
  /** ACPI _DSM index (`acpi_index`), raw text: net_id uses it whenever it exists, even if unparsable. */
  acpiIndex?: string;
  /** SMBIOS type 41 index (`index`), raw text; consulted only without acpi_index. */
  index?: string;
  /** Firmware label (`label`). */
  label?: string;
  /** s390 zPCI `function_id`, raw text (net-id validates it). */
  functionId?: string;
  /** Nearest ancestor device whose subsystem is pci (the bridge above this one). */
  parent?: PciDeviceFacts;
  /** SR-IOV: the physical function, when this device is a virtual function. */
  physfn?: PciDeviceFacts;
  /** SR-IOV: N of the physical function's `virtfnN` link that points at this device. */
  virtfnIndex?: number;
}

export interface LinkFacts {
  name: string;
  /** Real sysfs directory of the net device. */
  path: string;
  /** ARPHRD_* (`type`): 1 Ethernet, 32 InfiniBand, 772 loopback, … */
  type?: number;
  ifindex?: number;
  iflink?: number;
  /** uevent DEVTYPE of the net device (`wlan`, `wwan`, `bridge`, `vlan`, …). */
  devType?: string;
  /** `address`, as sysfs prints it (lower-case, colon-separated). */
  address?: string;
  /** NET_ADDR_PERM 0, NET_ADDR_RANDOM 1, NET_ADDR_STOLEN 2, NET_ADDR_SET 3. */
  addrAssignType?: number;
  /** NET_NAME_ENUM 1, PREDICTABLE 2, USER 3, RENAMED 4; unreadable (UNKNOWN, 0) reads as undefined. */
  nameAssignType?: number;
  devPort?: number;
  devId?: number;
  physPortName?: string;
  /** Talos `driver`: DRIVER of `device/uevent` ('' for virtual links). */
  driver: string;
  /** Talos `pciID`: `VVVV:DDDD` upper-case hex ('' when not on PCI). */
  pciID: string;
  /** Talos `busPath`: PCI_SLOT_NAME ('' when not on PCI). */
  busPath: string;
  /** Real path of `device`; undefined for a virtual link. */
  devicePath?: string;
  /** Subsystem of `device` (`pci`, `virtio`, `usb`, …). */
  deviceSubsystem?: string;
  /** The PCI device the link hangs off, virtio buses skipped (net_id's rule). */
  pci?: PciDeviceFacts;
}

/** One entry of `bus/pci/slots`. */
export interface PciSlot {
  /** Directory name: the slot number, or an 8-digit hex function id on s390. */
  dirName: string;
  /** Content of `address`: `DDDD:BB:SS` (or `DDDD:BB` when the slot has no device number). */
  address?: string;
}

/**
 * Parses an unsigned integer the way systemd's safe_atou does (strtoul with base 0,
 * plus `0b`/`0o` prefixes): leading blanks and `+` allowed, `0x` hex, a leading `0`
 * octal, otherwise decimal; nothing may follow. With `decimal`, base 10 only (as
 * safe_atolu_full(…, 10)). Undefined when invalid or above `max`.
 */
export function parseUnsigned(text: string, max = 0xffff_ffff, decimal = false): number | undefined {
  let s = text.replace(/^[ \t\n\v\f\r]+/, '');
  let negative = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  const lower = s.toLowerCase();
  let radix = 10;
  let digits = s;
  if (decimal) radix = 10;
  else if (lower.startsWith('0x')) [radix, digits] = [16, s.slice(2)];
  else if (lower.startsWith('0b')) [radix, digits] = [2, s.slice(2)];
  else if (lower.startsWith('0o')) [radix, digits] = [8, s.slice(2)];
  else if (s.length > 1 && s.startsWith('0')) [radix, digits] = [8, s.slice(1)];
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-f]+$/i }[radix];
  if (valid === undefined || !valid.test(digits)) return undefined;
  const value = parseInt(digits, radix);
  if (negative && value !== 0) return undefined; // systemd: ERANGE
  return value <= max ? value : undefined;
}

/** A sysfs attribute with trailing newlines removed (as sd-device does); undefined on any error. */
export function readAttr(dir: string, name: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, name), 'utf8').replace(/[\n\r]+$/, '');
  } catch {
    return undefined;
  }
}

function readNumber(dir: string, name: string, decimal = false): number | undefined {
  const text = readAttr(dir, name);
  return text === undefined ? undefined : parseUnsigned(text, 0xffff_ffff, decimal);
}

/** `KEY=VALUE` lines of a uevent file. */
export function readUevent(dir: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of (readAttr(dir, 'uevent') ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

/** Removes keys whose value is undefined, so optional facts are absent rather than present-but-undefined. */
function withoutUndefined<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) {
    if (obj[key] === undefined) delete obj[key];
  }
  return obj;
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function realpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/** Basename of the `subsystem` symlink of a device directory. */
export function subsystemOf(dir: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(path.join(dir, 'subsystem')));
  } catch {
    return undefined;
  }
}

/** Nearest ancestor directory that is a device (has a uevent), staying under `devicesRoot`. */
function parentDevice(dir: string, devicesRoot: string): string | undefined {
  for (let p = path.dirname(dir); p.startsWith(devicesRoot + path.sep); p = path.dirname(p)) {
    if (exists(path.join(p, 'uevent'))) return p;
  }
  return undefined;
}

/** Header-type byte (offset 0x0e) of PCI config space, bit 7 = multi-function. */
function readMultiFunction(dir: string): boolean | undefined {
  const headerType = 0x0e;
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(dir, 'config'), 'r');
    const buf = Buffer.alloc(headerType + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const byte = buf[headerType];
    return n === buf.length && byte !== undefined ? (byte & 0x80) !== 0 : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** For a virtual function: which `virtfnN` link of the physical function points at `vfPath`. */
function virtfnIndexOf(physfnPath: string, vfPath: string): number | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync(physfnPath);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const m = /^virtfn([0-9]+)$/.exec(entry);
    if (m?.[1] !== undefined && realpath(path.join(physfnPath, entry)) === vfPath) return Number(m[1]);
  }
  return undefined;
}

/** Reads a PCI device directory, its PCI ancestors and, for an SR-IOV VF, its physical function. */
export function readPciDevice(dir: string, devicesRoot: string, withPhysfn = true): PciDeviceFacts {
  const uevent = readUevent(dir);
  const facts: PciDeviceFacts = withoutUndefined({
    path: dir,
    name: path.basename(dir),
    pciID: (uevent.get('PCI_ID') ?? '').toUpperCase(),
    slotName: uevent.get('PCI_SLOT_NAME') ?? '',
    driver: uevent.get('DRIVER') ?? '',
    modalias: readAttr(dir, 'modalias'),
    multiFunction: readMultiFunction(dir),
    ariEnabled: readAttr(dir, 'ari_enabled') === '1',
    acpiIndex: readAttr(dir, 'acpi_index'),
    index: readAttr(dir, 'index'),
    label: readAttr(dir, 'label'),
    functionId: readAttr(dir, 'function_id'),
  });
  // The hotplug-slot lookup climbs through PCI ancestors (bridges); non-PCI
  // ancestors such as the `pci0000:00` host bridge directory are skipped.
  for (let p = parentDevice(dir, devicesRoot); p !== undefined; p = parentDevice(p, devicesRoot)) {
    if (subsystemOf(p) === 'pci') {
      facts.parent = readPciDevice(p, devicesRoot, false);
      break;
    }
  }
  const physfnPath = withPhysfn ? realpath(path.join(dir, 'physfn')) : undefined;
  if (physfnPath !== undefined) {
    const virtfnIndex = virtfnIndexOf(physfnPath, dir);
    if (virtfnIndex !== undefined) {
      facts.physfn = readPciDevice(physfnPath, devicesRoot, false);
      facts.virtfnIndex = virtfnIndex;
    }
  }
  return facts;
}

/** The device the link hangs off with virtio buses skipped, if it is a PCI device (net_id's skip_virtio). */
function pciParentOf(deviceDir: string, devicesRoot: string): PciDeviceFacts | undefined {
  let dir: string | undefined = deviceDir;
  // There is at most one virtio bus per parent device, so virtio devices are transparent.
  while (dir !== undefined && subsystemOf(dir) === 'virtio') dir = parentDevice(dir, devicesRoot);
  return dir !== undefined && subsystemOf(dir) === 'pci' ? readPciDevice(dir, devicesRoot) : undefined;
}

/** Hardware facts of link `name` under `sysfsRoot` (`/sys` on a real machine). Throws only if the link does not exist. */
export function readLinkFacts(sysfsRoot: string, name: string): LinkFacts {
  const classPath = path.join(sysfsRoot, 'class', 'net', name);
  const netDir = name.includes('/') || name === '.' || name === '..' ? undefined : realpath(classPath);
  if (netDir === undefined) throw new Error(`network link ${JSON.stringify(name)} not found (no ${classPath})`);
  const devicesRoot = realpath(path.join(sysfsRoot, 'devices')) ?? path.join(sysfsRoot, 'devices');

  const facts: LinkFacts = withoutUndefined({
    name,
    path: netDir,
    type: readNumber(netDir, 'type'),
    ifindex: readNumber(netDir, 'ifindex'),
    iflink: readNumber(netDir, 'iflink'),
    devType: readUevent(netDir).get('DEVTYPE'),
    address: readAttr(netDir, 'address'),
    addrAssignType: readNumber(netDir, 'addr_assign_type'),
    nameAssignType: readNumber(netDir, 'name_assign_type'),
    devPort: readNumber(netDir, 'dev_port', true), // udev parses dev_port in base 10
    devId: readNumber(netDir, 'dev_id'),
    physPortName: readAttr(netDir, 'phys_port_name') || undefined,
    driver: '',
    pciID: '',
    busPath: '',
  });

  // Talos: no `device` directory means a virtual link, all hardware fields empty.
  const deviceDir = realpath(path.join(netDir, 'device'));
  if (deviceDir === undefined) return facts;
  facts.devicePath = deviceDir;
  const subsystem = subsystemOf(deviceDir);
  if (subsystem !== undefined) facts.deviceSubsystem = subsystem;
  const uevent = readUevent(deviceDir);
  facts.driver = uevent.get('DRIVER') ?? '';
  facts.pciID = (uevent.get('PCI_ID') ?? '').toUpperCase();
  facts.busPath = uevent.get('PCI_SLOT_NAME') ?? '';

  const pci = pciParentOf(deviceDir, devicesRoot);
  if (pci !== undefined) {
    facts.pci = pci;
    // virtio-net: the IDs are on the virtio-pci parent, not on `device`.
    if (facts.pciID === '') facts.pciID = pci.pciID;
    if (facts.busPath === '') facts.busPath = pci.slotName || pci.name;
  }
  return facts;
}

/** Entries of `bus/pci/slots` (empty when the directory is absent). */
export function readPciSlots(sysfsRoot: string): PciSlot[] {
  const dir = path.join(sysfsRoot, 'bus', 'pci', 'slots');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.map((e) => {
    const slot: PciSlot = { dirName: e.name };
    const address = readAttr(path.join(dir, e.name), 'address');
    if (address !== undefined) slot.address = address;
    return slot;
  });
}
