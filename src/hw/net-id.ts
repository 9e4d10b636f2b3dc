// Predictable interface names as systemd-udevd's `net_id` builtin computes them
// under naming scheme "v252" (systemd.net-naming-scheme(7)), which Talos runs with
// NamePolicy=keep kernel database onboard slot path mac (spec §4.3).
//
// Covered: Ethernet-type links (ARPHRD_ETHER; prefix `en`, or `wl`/`ww` for
// DEVTYPE wlan/wwan) on PCI, including virtio NICs (virtio buses are skipped up to
// the virtio-pci device), SR-IOV virtual functions (named after their physical
// function plus `v<N>`), ARI and s390 function_id slots; and the MAC name.
// v252 flags in play: SR_IOV_V, NPAR_ARI, ZERO_ACPI_INDEX, LABEL_NOPREFIX,
// BRIDGE_NO_SLOT, SLOT_FUNCTION_ID, 16BIT_INDEX, BRIDGE_MULTIFUNCTION_SLOT.
//
// Left out: InfiniBand (`ib`) and SLIP (`sl`) links, USB (`u<port>…`), BCMA,
// CCW, VIO, Xen, platform (ACPI `a…`), devicetree aliases (`end<N>`) and netdevsim
// names, the hwdb "database" policy and the OUI lookup. Links they would name get
// only the names below (often none).
import { parseUnsigned, readLinkFacts, readPciSlots, type LinkFacts, type PciDeviceFacts, type PciSlot } from './sysfs.js';

/** udev properties ID_NET_NAME_ONBOARD / _SLOT / _PATH / _MAC, and ID_NET_LABEL_ONBOARD. */
export interface NetIdNames {
  onboard?: string;
  onboardLabel?: string;
  slot?: string;
  path?: string;
  mac?: string;
}

export type NamePolicy = 'onboard' | 'slot' | 'path' | 'mac';
export const DEFAULT_NAME_POLICY: readonly NamePolicy[] = ['onboard', 'slot', 'path', 'mac'];

// name_assign_type values (include/uapi/linux/netdevice.h).
export const NET_NAME_UNKNOWN = 0;
export const NET_NAME_ENUM = 1;
export const NET_NAME_PREDICTABLE = 2;
export const NET_NAME_USER = 3;
export const NET_NAME_RENAMED = 4;

const ARPHRD_ETHER = 1;
const NET_ADDR_PERM = 0;
/** udev builds names in ALTIFNAMSIZ (128) buffers and drops a name that would not fit. */
const ALTIFNAMSIZ = 128;
/** Firmware indexes above this are rubbish (VMware reports 2^24-1); 16 bits since NAMING_16BIT_INDEX. */
const ONBOARD_INDEX_MAX = 0xffff;

/** Names for link `name` under `sysfsRoot` (`/sys` on a real machine). Throws only if the link does not exist. */
export function netIdFor(sysfsRoot: string, name: string): NetIdNames {
  return netIdNames(readLinkFacts(sysfsRoot, name), readPciSlots(sysfsRoot));
}

/** The names net_id derives from already-read facts and the `bus/pci/slots` entries. */
export function netIdNames(facts: LinkFacts, slots: readonly PciSlot[]): NetIdNames {
  if (facts.type !== ARPHRD_ETHER) return {};
  // Stacked devices (ifindex ≠ iflink, e.g. VLANs) get no names; udev also gives up when either is unreadable.
  if (facts.ifindex === undefined || facts.iflink === undefined || facts.ifindex !== facts.iflink) return {};
  const prefix = facts.devType === 'wlan' ? 'wl' : facts.devType === 'wwan' ? 'ww' : 'en';

  const names: NetIdNames = {};
  const mac = macName(facts, prefix);
  if (mac !== undefined) names.mac = mac;
  if (facts.pci !== undefined) Object.assign(names, pciNames(facts, facts.pci, prefix, slots));
  return names;
}

/** `enx` + 12 lower-case hex digits, only for a permanent (not random, stolen or set) address. */
function macName(facts: LinkFacts, prefix: string): string | undefined {
  if (facts.addrAssignType !== NET_ADDR_PERM || facts.address === undefined) return undefined;
  const octets = facts.address.split(':');
  if (octets.length !== 6 || !octets.every((o) => /^[0-9a-f]{1,2}$/i.test(o))) return undefined;
  return `${prefix}x${octets.map((o) => o.toLowerCase().padStart(2, '0')).join('')}`;
}

/** `n<phys_port_name>` if the driver names the port, else `d<dev_port>` if dev_port > 0 (absent counts as 0). */
function portSuffix(facts: LinkFacts): string {
  if (facts.physPortName) return `n${facts.physPortName}`;
  return facts.devPort !== undefined && facts.devPort > 0 ? `d${facts.devPort}` : '';
}

function fits(name: string): string | undefined {
  return name.length < ALTIFNAMSIZ ? name : undefined;
}

interface PciAddress {
  domain: number;
  bus: number;
  slot: number;
  func: number;
}

/** Sysname `DDDD:BB:SS.F` (hex, hex, hex, decimal). */
function parsePciName(name: string): PciAddress | undefined {
  const m = /^([0-9a-f]+):([0-9a-f]+):([0-9a-f]+)\.([0-9]+)$/i.exec(name);
  if (m === null) return undefined;
  const [domain, bus, slot, func] = [m[1], m[2], m[3], m[4]].map((s, i) => parseInt(s ?? '', i === 3 ? 10 : 16));
  if (domain === undefined || bus === undefined || slot === undefined || func === undefined) return undefined;
  return { domain, bus, slot, func };
}

function pciNames(facts: LinkFacts, pci: PciDeviceFacts, prefix: string, slots: readonly PciSlot[]): NetIdNames {
  // SR-IOV: a virtual function is named after its physical function, plus `v<N>`.
  // (Early v252 point releases had a regression here, systemd#25545, naming VFs
  // after themselves; this follows the documented behaviour, as udev 252.39 does.)
  const named = pci.physfn !== undefined && pci.virtfnIndex !== undefined ? pci.physfn : pci;
  const vfSuffix = named === pci ? '' : `v${pci.virtfnIndex}`;
  const names: NetIdNames = {};

  const onboard = onboardIndex(named);
  if (onboard !== undefined) {
    const name = fits(`${prefix}o${onboard}${portSuffix(facts)}${vfSuffix}`);
    if (name !== undefined) names.onboard = name;
    // The firmware label is exported as is (NAMING_LABEL_NOPREFIX), and not for VFs.
    if (vfSuffix === '' && named.label !== undefined) names.onboardLabel = named.label;
  }

  const addr = parsePciName(named.name);
  if (addr === undefined) return names;
  // ARI devices have up to 256 functions: the 5-bit slot and 3-bit function form one function number.
  const func = named.ariEnabled ? addr.func + addr.slot * 8 : addr.func;
  // The function appears for function > 0, and for function 0 of a multi-function device.
  const fn = func > 0 || named.multiFunction === true ? `f${func}` : '';
  const tail = `${fn}${portSuffix(facts)}${vfSuffix}`;
  const domain = (d: number) => (d > 0 ? `P${d}` : '');

  const path = fits(`${prefix}${domain(addr.domain)}p${addr.bus}s${addr.slot}${tail}`);
  if (path !== undefined) names.path = path;

  const hotplug = hotplugSlot(named, slots);
  if (hotplug !== undefined) {
    // A slot found through the s390 function_id is unique system-wide: no domain.
    const slot = fits(`${prefix}${hotplug.viaFunctionId ? '' : domain(addr.domain)}s${hotplug.slot}${tail}`);
    if (slot !== undefined) names.slot = slot;
  }
  return names;
}

/** acpi_index, else SMBIOS index; 0 is accepted (NAMING_ZERO_ACPI_INDEX), above 65535 rejected. */
function onboardIndex(pci: PciDeviceFacts): number | undefined {
  // An existing acpi_index is used even when it is junk or out of range: `index` is then not consulted.
  const raw = pci.acpiIndex ?? pci.index;
  const idx = raw === undefined ? undefined : parseUnsigned(raw, Number.MAX_SAFE_INTEGER);
  return idx !== undefined && idx <= ONBOARD_INDEX_MAX ? idx : undefined;
}

/** udev's is_pci_bridge: the modalias subclass (`sc`) is 04, whatever the base class. */
function isPciBridge(pci: PciDeviceFacts): boolean {
  const m = pci.modalias;
  if (m === undefined || !m.startsWith('pci:')) return false;
  const s = m.lastIndexOf('s');
  return m[s + 1] === 'c' && m.slice(s + 2, s + 4) === '04';
}

interface Hotplug {
  slot: number;
  viaFunctionId: boolean;
}

/**
 * The PCI hotplug slot of `pci`: walk from the device up through its PCI parents;
 * at each level a slot whose `address` (`DDDD:BB:SS`, function stripped) prefixes
 * the level's name matches. If the matching level is a bridge, the slot is used
 * only when the NIC itself is multi-function (v247 BRIDGE_NO_SLOT, relaxed in v251
 * by BRIDGE_MULTIFUNCTION_SLOT); otherwise the search stops with no slot.
 */
function hotplugSlot(pci: PciDeviceFacts, slots: readonly PciSlot[]): Hotplug | undefined {
  // Entries named by a positive number; udev takes them in readdir order, we sort them.
  const numbered = slots
    .map((s) => ({ number: parseUnsigned(s.dirName), address: s.address }))
    .filter((s): s is { number: number; address: string | undefined } => s.number !== undefined && s.number > 0)
    .sort((a, b) => a.number - b.number);

  for (let level: PciDeviceFacts | undefined = pci; level !== undefined; level = level.parent) {
    if (level.functionId !== undefined) return functionIdSlot(level.functionId, slots);
    for (const s of numbered) {
      if (s.address === undefined || !level.name.startsWith(s.address)) continue;
      if (isPciBridge(level) && pci.multiFunction !== true) return undefined;
      return { slot: s.number, viaFunctionId: false };
    }
  }
  return undefined;
}

/** s390: `function_id` (e.g. 0x00000010) names the slot directory `%08x`; any problem means no slot name. */
function functionIdSlot(functionId: string, slots: readonly PciSlot[]): Hotplug | undefined {
  const id = parseUnsigned(functionId, Number.MAX_SAFE_INTEGER);
  if (id === undefined || id === 0 || id > 0xffff_ffff) return undefined;
  const dirName = id.toString(16).padStart(8, '0');
  return slots.some((s) => s.dirName === dirName) ? { slot: id, viaFunctionId: true } : undefined;
}

/** systemd's ifname_valid: 1–15 bytes, printable ASCII without blanks, `:` or `/`, not `.`/`..`, not all digits. */
export function isValidIfname(name: string): boolean {
  if (name.length === 0 || name.length > 15 || name === '.' || name === '..') return false;
  if (/^[0-9]+$/.test(name)) return false;
  return /^[\x21-\x7e]+$/.test(name) && !/[:/]/.test(name);
}

/** First name in policy order that is a valid interface name (udev skips longer-than-15 candidates). */
export function predictableName(names: NetIdNames, policy: readonly NamePolicy[] = DEFAULT_NAME_POLICY): string | undefined {
  for (const p of policy) {
    const name = names[p];
    if (name !== undefined && isValidIfname(name)) return name;
  }
  return undefined;
}

/**
 * Whether udev keeps the current name instead of applying onboard/slot/path/mac:
 * `keep` for names set by userspace (NET_NAME_USER, NET_NAME_RENAMED), `kernel` for
 * names the kernel marks predictable (NET_NAME_PREDICTABLE); undefined otherwise
 * (NET_NAME_ENUM such as eth0, or unknown), meaning the name may be replaced.
 */
export function keepCurrentName(nameAssignType: number | undefined): 'keep' | 'kernel' | undefined {
  if (nameAssignType === NET_NAME_USER || nameAssignType === NET_NAME_RENAMED) return 'keep';
  if (nameAssignType === NET_NAME_PREDICTABLE) return 'kernel';
  return undefined;
}
