// Where a link's hardware facts come from (sysfs, ethtool), and when /sys can be
// trusted at all.
//
// sysfs shows the network namespace of the process that *mounted* it, not the
// namespace of whoever reads it: `ip netns exec` mounts a fresh sysfs for its
// namespace, but a process that enters another namespace with setns() (netcfg
// --netns) still sees its own /sys. So:
//  * no --netns: /sys (or --sysfs-root) describes the links netcfg works on;
//  * --netns: only an explicit --sysfs-root (a sysfs mounted inside that
//    namespace) is read. Without it, the hardware facts are what ethtool gives
//    (its ioctls run inside the target namespace): driver and bus info (busPath)
//    and the permanent MAC, but no pciID; and no link is renamed.
// Each link's sysfs entry must also show the ifindex netlink reports for that name,
// or its sysfs facts are ignored (a /sys that belongs to another namespace, or a
// link renamed between the two reads).
import { isNativeError, native } from '../native/index.js';
import { netnsPath } from '../netlink/transport.js';
import { netnsPlace } from '../netns.js';
import type { Logger } from '../log.js';
import { PciIdsFile, pciIdText, readPciIds, type PciNames } from './pci.js';
import { readLinkFacts, type LinkFacts } from './sysfs.js';

export const DEFAULT_SYSFS_ROOT = '/sys';

/** The ethtool ioctls netcfg uses, in the target namespace. Both throw when the ioctl fails. */
export interface Ethtool {
  /** ETHTOOL_GPERMADDR: lower-case colon-separated, '' when the driver reports none. */
  permanentAddress(name: string): string;
  /** ETHTOOL_GDRVINFO. */
  driverInfo(name: string): { driver: string; version: string; firmwareVersion: string; busInfo: string };
  /** ETHTOOL_GLINKSETTINGS: speed in Mb/s (-1 unknown), DUPLEX_*, PORT_*. */
  linkSettings(name: string): { speed: number; duplex: number; port: number };
}

export interface HardwareSource {
  /** A sysfs tree whose class/net shows the target namespace's links; undefined when there is none to trust. */
  sysfsRoot?: string | undefined;
  /** Why sysfs is not read (logged at debug level). */
  sysfsSkipped?: string | undefined;
  ethtool?: Ethtool | undefined;
  /**
   * Where a PCI device's IDs (sysfs, by its address: PCI devices belong to no network namespace, so the
   * machine's /sys serves under --netns too) and their names come from; without it, none are looked up.
   */
  pci?: { sysfsRoot: string; names: PciNames } | undefined;
}

export function nativeEthtool(netns: string | undefined): Ethtool {
  const ns = netns === undefined ? null : netnsPath(netns);
  return {
    permanentAddress: (name) => native().ethtoolPermanentAddress(ns, name),
    driverInfo: (name) => native().ethtoolDriverInfo(ns, name),
    linkSettings: (name) => native().ethtoolLinkSettings(ns, name),
  };
}

/** The system's PCI ID database: one per process, so that each device is looked up once (a dry run makes a source of its own). */
let systemPciNames: PciIdsFile | undefined;

/** The hardware source for a run on `netns` (undefined: the process's own) with an optional --sysfs-root. */
export function hardwareFor(netns: string | undefined, sysfsRoot: string | undefined): HardwareSource {
  const ethtool = nativeEthtool(netns);
  const pci = { sysfsRoot: sysfsRoot ?? DEFAULT_SYSFS_ROOT, names: (systemPciNames ??= new PciIdsFile()) };
  if (sysfsRoot !== undefined) return { sysfsRoot, ethtool, pci };
  const place = netnsPlace(netns);
  if (place.kind === 'host' || (netns === undefined && place.kind === 'named')) return { sysfsRoot: DEFAULT_SYSFS_ROOT, ethtool, pci };
  if (netns === undefined) {
    // unshare -n, a container: /sys may still be the machine's (a sysfs is remounted only by `ip netns exec`)
    return {
      ethtool,
      pci,
      sysfsSkipped: `netcfg works on ${place.kind === 'other' ? place.what : 'another network namespace'}, and /sys may show the links of the namespace that mounted it: driver/busPath come from ethtool only, pciID stays empty and no link is renamed (pass --sysfs-root with a sysfs mounted inside this namespace to change that)`,
    };
  }
  return {
    ethtool,
    pci,
    sysfsSkipped: `netcfg works on network namespace ${netns}, but this process's /sys shows the links of the namespace that mounted it: driver/busPath come from ethtool only, pciID stays empty and no link is renamed (pass --sysfs-root with a sysfs mounted inside ${netns} to change that)`,
  };
}

/**
 * sysfs facts of a link, only when the sysfs entry of that name is the same link
 * (same ifindex) netlink reported; undefined otherwise.
 */
export function trustedLinkFacts(sysfsRoot: string, link: { index: number; name: string }, log?: Logger): LinkFacts | undefined {
  let facts: LinkFacts;
  try {
    facts = readLinkFacts(sysfsRoot, link.name);
  } catch {
    log?.debug({ link: link.name, sysfsRoot }, 'link not in sysfs: no sysfs facts');
    return undefined;
  }
  if (facts.ifindex !== link.index) {
    log?.debug({ link: link.name, sysfsRoot, sysfsIfindex: facts.ifindex ?? null, ifindex: link.index }, 'sysfs shows another link of this name (another namespace?): no sysfs facts');
    return undefined;
  }
  return facts;
}

/** The LinkStatus hardware fields (Talos §4.1). */
export interface HardwareFacts {
  driver: string;
  driverVersion: string;
  firmwareVersion: string;
  busPath: string;
  pciID: string;
  vendorID: string;
  productID: string;
  vendor: string;
  product: string;
  permanentAddr: string;
}

function ioctlError(err: unknown): string {
  return isNativeError(err) ? err.code : String(err);
}

/** ETHTOOL_GLINKSETTINGS of a link; undefined when the driver has none (loopback, most tunnels). */
export function readLinkSettings(source: HardwareSource, name: string, log?: Logger): { speed: number; duplex: number; port: number } | undefined {
  if (source.ethtool === undefined) return undefined;
  try {
    return source.ethtool.linkSettings(name);
  } catch (err) {
    log?.trace({ link: name, err: ioctlError(err) }, 'ETHTOOL_GLINKSETTINGS failed');
    return undefined;
  }
}

/**
 * Talos' rules: driver, pciID and busPath from sysfs (device/uevent; a virtio NIC's
 * IDs from its virtio-pci parent); when driver or busPath is still empty, ethtool's
 * driver info fills it (so virtual links get their driver: veth, bridge, bonding…);
 * driverVersion and firmwareVersion from the driver info; permanentAddr from
 * ETHTOOL_GPERMADDR, else IFLA_PERM_ADDRESS; a PCI device's vendor and product
 * IDs from its sysfs entry by busPath (virtio: the virtio-pci device ethtool's
 * bus info names), their names from the PCI ID database.
 */
export function readHardware(source: HardwareSource, link: { index: number; name: string; permanentAddr?: string | undefined }, log?: Logger): HardwareFacts {
  const out: HardwareFacts = { driver: '', driverVersion: '', firmwareVersion: '', busPath: '', pciID: '', vendorID: '', productID: '', vendor: '', product: '', permanentAddr: '' };
  const facts = source.sysfsRoot !== undefined ? trustedLinkFacts(source.sysfsRoot, link, log) : undefined;
  if (facts !== undefined) {
    out.driver = facts.driver;
    out.busPath = facts.busPath;
    out.pciID = facts.pciID;
  }
  const ethtool = source.ethtool;
  if (ethtool !== undefined) {
    try {
      out.permanentAddr = ethtool.permanentAddress(link.name);
    } catch (err) {
      log?.debug({ link: link.name, err: ioctlError(err) }, 'ETHTOOL_GPERMADDR failed');
    }
    try {
      const info = ethtool.driverInfo(link.name);
      if (out.driver === '') out.driver = info.driver;
      if (out.busPath === '') out.busPath = info.busInfo;
      out.driverVersion = info.version;
      out.firmwareVersion = info.firmwareVersion;
    } catch (err) {
      log?.debug({ link: link.name, err: ioctlError(err) }, 'ETHTOOL_GDRVINFO failed');
    }
  }
  if (out.permanentAddr === '') out.permanentAddr = link.permanentAddr ?? '';
  const pci = source.pci;
  const ids = pci === undefined ? undefined : readPciIds(pci.sysfsRoot, out.busPath);
  if (pci !== undefined && ids !== undefined) {
    out.vendorID = pciIdText(ids.vendor);
    out.productID = pciIdText(ids.product);
    ({ vendor: out.vendor, product: out.product } = pci.names.lookup(ids));
  }
  return out;
}
