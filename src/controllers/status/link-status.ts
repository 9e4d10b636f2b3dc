// LinkStatusController: one LinkStatus per kernel link, from a full re-list, with
// hardware facts (driver, busPath, pciID, permanentAddr, driver and firmware
// versions, a PCI device's vendor and product) from sysfs, ethtool and pci.ids
// (src/hw/hardware.ts says which sysfs is trusted), and ethtool's link settings
// (speed, port, duplex), read again when the link's flags, carrier, carrier
// changes or state differ (a new speed comes with a new carrier), and at every
// listing for bonds, teams and bridges.
import type { BondData } from '../../netlink/rtnetlink/drivers/bond.js';
import type { BridgeData } from '../../netlink/rtnetlink/drivers/bridge.js';
import { VLAN_PROTOCOLS, type VlanData } from '../../netlink/rtnetlink/drivers/vlan.js';
import type { LinkMessage } from '../../netlink/rtnetlink/link.js';
import type { WgDevice } from '../../netlink/wireguard.js';
import { readHardware, readLinkSettings, type HardwareFacts, type HardwareSource } from '../../hw/hardware.js';
import { NS } from '../../resources/resource.js';
import { duplexName, LinkType, linkFlagsText, portName } from '../../resources/network/enums.js';
import { T, type LinkStatus, type WireguardStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel, type LinkListing } from '../kernel.js';
import { bondStatus } from '../spec/link-kinds.js';
import { syncOutputs } from '../sync.js';

export function linkStatus(l: LinkMessage): LinkStatus {
  return {
    index: l.index,
    type: LinkType.name(l.type),
    linkIndex: l.linkIndex ?? 0,
    flags: linkFlagsText(l.flags),
    hardwareAddr: l.hardwareAddr ?? '',
    permanentAddr: l.permanentAddr ?? '',
    broadcastAddr: l.broadcastAddr ?? '',
    mtu: l.mtu,
    queueDisc: l.qdisc ?? '',
    masterIndex: l.masterIndex ?? 0,
    operationalState: l.operState,
    kind: l.info?.kind ?? '',
    slaveKind: l.info?.slaveKind ?? '',
    alias: l.alias ?? '',
    altNames: l.altNames,
    linkState: l.carrier ?? false,
    physical: l.type === 1 && !l.info?.kind,
    busPath: '',
    driver: '',
    driverVersion: '',
    firmwareVersion: '',
    pciID: '',
    vendorID: '',
    productID: '',
    vendor: '',
    product: '',
    ...kindStatus(l),
  };
}

/** The kind settings of a bond, VLAN or bridge as decoded from IFLA_INFO_DATA. */
function kindStatus(l: LinkMessage): Pick<LinkStatus, 'bondMaster' | 'vlan' | 'bridgeMaster'> {
  const data = l.info?.data;
  if (data === undefined) return {};
  switch (l.info?.kind) {
    case 'bond':
      return { bondMaster: bondStatus(data as BondData) };
    case 'vlan': {
      const v = data as VlanData;
      const protocol = Object.entries(VLAN_PROTOCOLS).find(([, n]) => n === v.protocol)?.[0] ?? `0x${v.protocol.toString(16)}`;
      return { vlan: { vlanID: v.id, vlanProtocol: protocol } };
    }
    case 'bridge': {
      const b = data as BridgeData;
      return { bridgeMaster: { stp: { enabled: b.stp }, vlan: { filteringEnabled: b.vlanFiltering } } };
    }
    default:
      return {};
  }
}

/** A WireGuard device without its secrets (private and preshared keys). */
export function wireguardStatus(d: WgDevice): WireguardStatus {
  return {
    publicKey: d.publicKey,
    listenPort: d.listenPort,
    firewallMark: d.firewallMark,
    peers: d.peers.map((p) => ({ publicKey: p.publicKey, endpoint: p.endpoint, allowedIPs: p.allowedIPs, persistentKeepaliveInterval: `${p.persistentKeepalive}s` })),
  };
}

/** Links whose speed is their ports': read at every listing. */
const MASTER_KINDS: ReadonlySet<string> = new Set(['bond', 'team', 'bridge']);

/** What ethtool's link settings add to a LinkStatus. */
type LinkSettings = Pick<LinkStatus, 'speedMbit' | 'port' | 'duplex'>;

export class LinkStatusController implements Controller, LinkListing {
  readonly name = 'LinkStatusController';
  readonly inputs = [];
  readonly outputs = [{ namespace: NS.network, type: T.LinkStatus, kind: 'exclusive' as const }];
  /** Statuses with the final names (renames first). */
  readonly after = ['LinkNameController'];
  /** Not while the link and alias controllers write: a listing in their middle would miss what they wrote after it. */
  readonly waitsOut = ['LinkSpecController', 'LinkAliasSpecController'];
  /** The links of the last listing, whole (kind data included): the link spec controllers read the kernel's links here. */
  links = new LinkIndex([]);
  /** Completed listings. */
  generation = 0;
  /** Hardware facts by `ifindex/name`: a device's facts do not change while it keeps its index and name. */
  private hardwareCache = new Map<string, HardwareFacts>();
  /** Link settings by `ifindex/name/flags/carrier/state`: read again when any of these changes. */
  private settingsCache = new Map<string, LinkSettings>();
  private toldSysfsSkipped = false;

  /** Without `hardware`, the hardware fields are only what netlink reports (IFLA_PERM_ADDRESS). */
  constructor(
    private readonly kernel: Kernel,
    private readonly hardware?: HardwareSource,
  ) {}

  private hardwareOf(l: LinkMessage, ctx: ReconcileContext, cache: Map<string, HardwareFacts>): HardwareFacts | undefined {
    if (this.hardware === undefined) return undefined;
    const key = `${l.index}/${l.name}`;
    const facts = this.hardwareCache.get(key) ?? readHardware(this.hardware, l, ctx.log);
    cache.set(key, facts);
    return facts;
  }

  /**
   * A link's settings, read again when its flags, carrier, carrier changes or state differ from the last listing's;
   * a bond's, team's or bridge's at every listing (their speed follows their ports', whose changes they do not show).
   */
  private settingsOf(l: LinkMessage, ctx: ReconcileContext, cache: Map<string, LinkSettings>): LinkSettings {
    if (this.hardware === undefined) return {};
    const key = `${l.index}/${l.name}/${l.flags}/${l.carrier ?? ''}/${l.carrierChanges ?? ''}/${l.operState}`;
    let facts = MASTER_KINDS.has(l.info?.kind ?? '') ? undefined : this.settingsCache.get(key);
    if (facts === undefined) {
      const s = readLinkSettings(this.hardware, l.name, ctx.log);
      // SPEED_UNKNOWN (-1) or 0: no speed, as EthernetStatus has none then
      facts = s === undefined ? {} : { ...(s.speed > 0 ? { speedMbit: s.speed } : {}), port: portName(s.port), duplex: duplexName(s.duplex) };
    }
    cache.set(key, facts);
    return facts;
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    if (this.hardware?.sysfsSkipped !== undefined && !this.toldSysfsSkipped) {
      ctx.log.debug({ reason: this.hardware.sysfsSkipped }, 'hardware facts without sysfs');
      this.toldSysfsSkipped = true;
    }
    const desired = new Map<string, LinkStatus>();
    const cache = new Map<string, HardwareFacts>();
    const settings = new Map<string, LinkSettings>();
    const links = await this.kernel.listLinks();
    for (const l of links) {
      const status = linkStatus(l);
      const hw = this.hardwareOf(l, ctx, cache);
      if (hw !== undefined) Object.assign(status, hw);
      Object.assign(status, this.settingsOf(l, ctx, settings));
      if (status.kind === 'wireguard') {
        const device = await this.kernel
          .wireguard?.()
          .getDevice(l.name)
          .catch((err: unknown) => {
            ctx.log.debug({ link: l.name, err }, 'WireGuard device not readable');
            return undefined;
          });
        if (device) status.wireguard = wireguardStatus(device);
      }
      desired.set(l.name, status);
    }
    this.hardwareCache = cache;
    this.settingsCache = settings;
    this.links = new LinkIndex(links);
    syncOutputs(ctx, this.name, NS.network, T.LinkStatus, desired);
    this.generation++;
  }
}

/**
 * A link that is up for addresses and operators: administratively up, and
 * operational state up or unknown (Talos) — or carrier present (LOWER_UP): the
 * kernel reports the operational state up to a second after the carrier (linkwatch).
 */
export function linkUp(l: Pick<LinkStatus, 'flags' | 'operationalState'>): boolean {
  const flags = l.flags.split(',');
  return flags.includes('UP') && (l.operationalState === 'up' || l.operationalState === 'unknown' || flags.includes('LOWER_UP'));
}
