// Network resource types: specs (desired, per layer and merged) and statuses
// (observed from the kernel), with Talos field names.
import type { Family } from '../../net/ip.js';
import type { OperState } from '../../netlink/rtnetlink/constants.js';
import type { NftFamily, NftTableSpec as NftTableDescription } from '../../nftables/types.js';
import type { ChannelName, RingName, WolMode } from '../../netlink/ethtool.js';

export const T = {
  LinkSpec: 'LinkSpec',
  LinkStatus: 'LinkStatus',
  AddressSpec: 'AddressSpec',
  AddressStatus: 'AddressStatus',
  RouteSpec: 'RouteSpec',
  /**
   * network-config/RouteSpecSet (ID: the layer): the routes of one layer the
   * config gives, in one resource (a bulk config has 100k of them: one stored
   * resource, map slot and layered ID string each would be ~15 MB). Seen by
   * `get` as network-config RouteSpecs, one per route, with their layered IDs.
   */
  RouteSpecSet: 'RouteSpecSet',
  RouteStatus: 'RouteStatus',
  RoutingRuleSpec: 'RoutingRuleSpec',
  RoutingRuleStatus: 'RoutingRuleStatus',
  AppliedLink: 'AppliedLink',
  AppliedRename: 'AppliedRename',
  AppliedAddress: 'AppliedAddress',
  AppliedRoute: 'AppliedRoute',
  AppliedRoutingRule: 'AppliedRoutingRule',
  MachineConfig: 'MachineConfig',
  /** A configuration document other than the machine config (namespace config, ID `<Kind>/<name>`). */
  ConfigDocument: 'ConfigDocument',
  Cmdline: 'Cmdline',
  HostnameSpec: 'HostnameSpec',
  HostnameStatus: 'HostnameStatus',
  ResolverSpec: 'ResolverSpec',
  ResolverStatus: 'ResolverStatus',
  AppliedHostname: 'AppliedHostname',
  AppliedFile: 'AppliedFile',
  OperatorSpec: 'OperatorSpec',
  DeviceConfigSpec: 'DeviceConfigSpec',
  EtcFileStatus: 'EtcFileStatus',
  NetworkStatus: 'NetworkStatus',
  TimeServerSpec: 'TimeServerSpec',
  TimeServerStatus: 'TimeServerStatus',
  OperatorLease: 'OperatorLease',
  OperatorStatus: 'OperatorStatus',
  /** The alias a LinkAliasConfig gives a physical link (network namespace, ID: the link's name). */
  LinkAliasSpec: 'LinkAliasSpec',
  /** An alias netcfg set on a link, and the one it had before (state). */
  AppliedAlias: 'AppliedAlias',
  /** An nftables table netcfg owns whole (ID `<family>/<name>`; KubeSpan's). */
  NftTableSpec: 'NftTableSpec',
  /** An nftables table netcfg made (state, ID `<family>/<name>`), deleted again when its spec goes. */
  AppliedNftTable: 'AppliedNftTable',
  /** network/EthernetSpec (ID: the link's kernel name): ethtool settings from an EthernetConfig. */
  EthernetSpec: 'EthernetSpec',
  /** What netcfg changed of a link's ethtool settings, as it was before (state, ID: the link's name). */
  AppliedEthernet: 'AppliedEthernet',
  /** A connectivity probe (ID `tcp:<endpoint>` or `http:<url>`): network-config per layer, network merged. */
  ProbeSpec: 'ProbeSpec',
  /** network/ProbeStatus (the ProbeSpec's ID): its last outcome. */
  ProbeStatus: 'ProbeStatus',
  /** network/HostDNSStatus `hostdns` (daemon): where the local caching resolver listens and whom it asks. */
  HostDNSStatus: 'HostDNSStatus',
  /** network/EthernetStatus `ethtool` (ID: the link's name): what ethtool reports of a link. */
  EthernetStatus: 'EthernetStatus',
} as const;

/**
 * State kinds that record kernel objects (and the hostname set in the
 * kernel): none of these outlive a reboot. A state file saved in an earlier
 * boot still lists them; kept, they would make netcfg take an object someone
 * else made since (the same address, route or link name) for its own, and
 * remove it. Files and DHCP leases outlive a reboot: those records stay.
 */
export const RECORDS_OF_ONE_BOOT: ReadonlySet<string> = new Set([T.AppliedLink, T.AppliedRename, T.AppliedAlias, T.AppliedAddress, T.AppliedRoute, T.AppliedRoutingRule, T.AppliedNftTable, T.AppliedHostname, T.AppliedEthernet]);

/** Configuration layers, lowest priority first. */
export const LAYERS = ['default', 'cmdline', 'platform', 'operator', 'configuration'] as const;
export type ConfigLayer = (typeof LAYERS)[number];

export function layerRank(layer: ConfigLayer): number {
  return LAYERS.indexOf(layer);
}

export interface BondMasterSpec {
  mode: string;
  xmitHashPolicy: string;
  lacpRate: string;
  arpValidate: string;
  arpAllTargets: string;
  /** Name of the primary member (resolved to an ifindex when applied). */
  primary: string;
  primaryReselect: string;
  failOverMac: string;
  adSelect: string;
  miimon: number;
  updelay: number;
  downdelay: number;
  arpInterval: number;
  resendIgmp: number;
  minLinks: number;
  lpInterval: number;
  packetsPerSlave: number;
  numPeerNotif: number;
  tlbDynamicLb: number;
  allSlavesActive: number;
  useCarrier: boolean;
  adActorSysPrio: number;
  adUserPortKey: number;
  peerNotifyDelay: number;
}

export interface WireguardPeerSpec {
  publicKey: string;
  presharedKey: string;
  /** host:port; "" leaves whatever endpoint WireGuard learned. */
  endpoint: string;
  /** Milliseconds; 0: off. */
  persistentKeepaliveIntervalMs: number;
  allowedIPs: string[];
}

export interface WireguardSpec {
  privateKey: string;
  /** 0: any free port. */
  listenPort: number;
  firewallMark: number;
  peers: WireguardPeerSpec[];
}

export interface LinkSpec {
  name: string;
  /** Created by netcfg (bond, vlan…) rather than a device that exists on its own. */
  logical: boolean;
  up: boolean;
  /** 0: leave as is. */
  mtu: number;
  /** Link kind for logical links ("" for physical). */
  kind: string;
  /** ARPHRD name, e.g. "ether". */
  type: string;
  hardwareAddr?: string;
  parentName?: string;
  bondMaster?: BondMasterSpec;
  bondSlave?: { masterName: string; slaveIndex: number };
  bridgeMaster?: { stp: { enabled: boolean }; vlan: { filteringEnabled: boolean } };
  bridgeSlave?: { masterName: string };
  vlan?: { vlanID: number; vlanProtocol: '802.1q' | '802.1ad' };
  wireguard?: WireguardSpec;
  vrfMaster?: { table: number };
  vrfSlave?: { masterName: string };
  /** Both ends of a veth pair carry the other end's name. */
  veth?: { peerName: string };
  /** Set or clear IFF_MULTICAST; undefined: leave as is. */
  multicast?: boolean;
  layer: ConfigLayer;
  /** What configured it: a document ID (`LinkConfig/eth0`), "v1alpha1", "cmdline"… (several, comma-separated, once merged). */
  source?: string;
}

export type Operator = 'dhcp4' | 'dhcp6' | 'vip';

/** A long-running operator on a link (DHCP client, VIP election); it writes specs at the operator layer. */
export interface OperatorSpec {
  operator: Operator;
  linkName: string;
  /** Run only while the link is up. */
  requireUp: boolean;
  dhcp4?: { routeMetric: number; skipHostnameRequest: boolean; clientIdentifier: 'none' | 'mac' | 'duid'; duidRawHex?: string; skipRoutes?: boolean };
  dhcp6?: { routeMetric: number; skipHostnameRequest: boolean; duid: string; clientIdentifier?: 'none' | 'mac' | 'duid' };
  vip?: { ip: string; gratuitousARP: boolean; equinixMetalToken?: string; hcloudToken?: string };
  layer: ConfigLayer;
  source?: string;
}

export interface LinkStatus {
  index: number;
  type: string;
  linkIndex: number;
  flags: string;
  hardwareAddr: string;
  permanentAddr: string;
  broadcastAddr: string;
  mtu: number;
  queueDisc: string;
  masterIndex: number;
  operationalState: OperState;
  kind: string;
  slaveKind: string;
  alias: string;
  altNames: string[];
  /** Carrier (ethtool link detected). */
  linkState: boolean;
  /** An Ethernet link with no rtnetlink kind (a NIC, not a bond, veth…). */
  physical: boolean;
  /**
   * Hardware facts from sysfs, else ethtool's driver info (bus_info as busPath); pciID only from
   * sysfs, so it stays empty under --netns without --sysfs-root (src/hw/hardware.ts).
   */
  busPath: string;
  driver: string;
  /** ethtool's driver info (ETHTOOL_GDRVINFO), '' when the driver says none. */
  driverVersion: string;
  firmwareVersion: string;
  pciID: string;
  /**
   * A PCI device's IDs as Talos formats them (0x and four hex digits), from its sysfs entry by busPath, and
   * their names from the system's PCI ID database (pci.ids; '' without one); all '' for non-PCI links.
   */
  vendorID: string;
  productID: string;
  vendor: string;
  product: string;
  /** ethtool's link settings, for links whose driver has them: speed (absent while unknown, e.g. no carrier), port and duplex by Talos' names. */
  speedMbit?: number;
  port?: string;
  duplex?: string;
  /** Kind settings as the kernel holds them (logical links only). */
  bondMaster?: Record<string, string | number>;
  vlan?: { vlanID: number; vlanProtocol: string };
  bridgeMaster?: { stp: { enabled: boolean }; vlan: { filteringEnabled: boolean } };
  /** WireGuard device, never with its private or preshared keys. */
  wireguard?: WireguardStatus;
}

export interface WireguardStatus {
  publicKey: string;
  listenPort: number;
  firewallMark: number;
  peers: Array<{ publicKey: string; endpoint: string; allowedIPs: string[]; persistentKeepaliveInterval: string; lastHandshake?: string }>;
}

export interface AddressSpec {
  /** Prefix, e.g. "10.0.0.2/24". */
  address: string;
  linkName: string;
  family: Family;
  scope: string;
  /** Comma-separated flag names, e.g. "permanent". */
  flags: string;
  announceWithARP: boolean;
  /** Metric of the prefix route (IFA_RT_PRIORITY); 0: kernel default. */
  priority: number;
  layer: ConfigLayer;
  source?: string;
}

export interface AddressStatus {
  address: string;
  local: string;
  broadcast: string;
  linkIndex: number;
  linkName: string;
  family: Family;
  scope: string;
  flags: string;
  priority: number;
}

export interface RouteSpec {
  family: Family;
  /** Destination prefix; "" for a default route. */
  dst: string;
  /** Preferred source address (RTA_PREFSRC); "" when unset. */
  src: string;
  /** Next hop; "" for a link-scope route. */
  gateway: string;
  outLinkName: string;
  /** "main", "local", "default" or a number. */
  table: string;
  priority: number;
  scope: string;
  type: string;
  flags: string;
  protocol: string;
  /** Route MTU metric; 0 when unset. */
  mtu: number;
  layer: ConfigLayer;
  source?: string;
}

/** The specs of one layer held as one resource (see T.RouteSpecSet). */
export interface LayerSpecs<S> {
  layer: ConfigLayer;
  /** Each spec's layer is the set's; no two have the same merged ID. */
  specs: readonly S[];
  /** The merged ID of each spec, in the same order (made once, where the set is made). */
  ids: readonly string[];
}

export type RouteSpecSet = LayerSpecs<RouteSpec>;

export interface RouteStatus {
  family: Family;
  dst: string;
  src: string;
  gateway: string;
  outLinkIndex: number;
  outLinkName: string;
  table: string;
  priority: number;
  scope: string;
  type: string;
  flags: string;
  protocol: string;
  mtu: number;
}

/** What netcfg did to a link, so it can undo exactly that. */
export interface AppliedLink {
  name: string;
  logical: boolean;
  /** netcfg created the link (logical links only): removing it from the config deletes it. */
  created: boolean;
  /** The kind netcfg created ("" for physical links). */
  kind?: string;
  /** Values the link had before netcfg first changed them ("" master: none). */
  original: { up?: boolean; mtu?: number; master?: string; multicast?: boolean };
  /** Values netcfg set. */
  set: { up?: boolean; mtu?: number; master?: string; multicast?: boolean };
}

/**
 * A predictable name netcfg gave a link (ID: the new name). Renames are never
 * undone, as with udev: the record says what netcfg did, and lets it finish adding
 * the altnames of an interrupted rename.
 */
export interface AppliedRename {
  /** The kernel's name before (e.g. eth0). */
  from: string;
  name: string;
  altNames: string[];
}

export interface AddressRecord {
  address: string;
  linkName: string;
  family: Family;
  scope: string;
  flags: string;
  priority: number;
}

export interface AppliedAddress extends AddressRecord {
  /** netcfg added the address (false: it was already there and is left alone on removal). */
  created: boolean;
  /** An address of the same prefix netcfg replaced, restored on removal. */
  replaced?: AddressRecord;
}

export interface RouteRecord {
  family: Family;
  dst: string;
  src: string;
  gateway: string;
  outLinkName: string;
  table: string;
  priority: number;
  scope: string;
  type: string;
  protocol: string;
  mtu: number;
}

/** What netcfg keeps of a route it made or found (state; ID: the merged RouteSpec's). */
export type AppliedRoute = WrittenRouteRecord | SpecAsRouteRecord;

/** A record written for the purpose. */
export interface WrittenRouteRecord extends RouteRecord {
  /** Whether netcfg made the route (false: it was there already, someone else's, left alone on removal). */
  created: boolean;
  /** The route netcfg's replaced: put back when netcfg's goes. */
  replaced?: RouteRecord;
}

/**
 * The merged spec itself, as the record of a route netcfg made that replaced
 * nothing and has the metric the kernel shows: a bulk apply keeps one object
 * per route, not two (100k routes: ~11 MB). Saved and loaded with its spec
 * fields (layer, flags, source), and no `created`.
 */
export type SpecAsRouteRecord = RouteSpec & { created?: undefined; replaced?: undefined };

/** Whether netcfg made the route a record is of. */
export function routeCreated(r: AppliedRoute): boolean {
  return r.created === true || (r.created === undefined && 'layer' in r);
}

/** A routing policy rule as Talos's RoutingRuleSpec/RoutingRuleStatus hold it. */
export interface RoutingRuleRecord {
  family: Family;
  /** Source prefix; "" for any. */
  src: string;
  /** Destination prefix; "" for any. */
  dst: string;
  /** "main", "local", "default" or a number; "unspec" for actions without a table. */
  table: string;
  priority: number;
  /** unicast (look up the table), blackhole, unreachable or prohibit. */
  action: string;
  iifName: string;
  oifName: string;
  /** 0: no mark match. */
  fwMark: number;
  /** 0 with a mark: all bits. */
  fwMask: number;
}

export interface RoutingRuleSpec extends RoutingRuleRecord {
  layer: ConfigLayer;
}

export type RoutingRuleStatus = RoutingRuleRecord;

/** A rule netcfg manages: created (deleted again when its spec goes) or found already in place (left alone). */
export interface AppliedRoutingRule extends RoutingRuleRecord {
  created: boolean;
}

export interface HostnameSpec {
  hostname: string;
  domainname: string;
  layer: ConfigLayer;
  source?: string;
}

export interface HostnameStatus {
  hostname: string;
  domainname: string;
}

/** A nameserver with its protocol: plain DNS, DNS over TLS or over HTTPS (ResolverConfig). */
export interface NameServerSpec {
  addr: string;
  protocol: 'Do53' | 'DoT' | 'DoH';
  tlsServerName: string;
}

export interface ResolverSpec {
  /** Every nameserver's address (resolv.conf lists the plain-DNS ones). */
  dnsServers: string[];
  /** The servers that are not plain DNS (DoT, DoH), by address; absent: all are plain. */
  encrypted?: NameServerSpec[];
  searchDomains: string[];
  /** An explicit searchDomains list (even empty) replaces the ones from lower layers. */
  searchDomainsOverridden: boolean;
  layer: ConfigLayer;
  source?: string;
}

export interface ResolverStatus {
  dnsServers: string[];
  encrypted?: NameServerSpec[];
  searchDomains: string[];
}

/** The hostname netcfg set, and what it was before, to undo exactly that. */
export interface AppliedHostname {
  original: HostnameStatus;
  set: HostnameStatus;
}

/** A file netcfg wrote (resolv.conf, hosts): its content before, and a digest of what was written. */
export interface AppliedFile {
  path: string;
  /** The file existed before netcfg wrote it (specs hold no nulls: they are stored as JSON rows). */
  existed: boolean;
  /** Its content then ("" when it did not exist). */
  original: string;
  /** sha256 (hex) of the content netcfg wrote. */
  written: string;
  /** The first directory netcfg created for the file (e.g. /etc/netns/NAME), removed again with the last such file. */
  createdDir?: string | undefined;
}

/** A file under the etc directory as the EtcFileController left it. */
export interface EtcFileStatus {
  path: string;
  /** netcfg writes this file (something above the defaults configures it). */
  managed: boolean;
}

/** Readiness of the node's network (Talos NetworkStatus). */
export interface NetworkStatus {
  /** A global, non-loopback, non-link-local address on a link that is up. */
  addressReady: boolean;
  /** A default route exists. */
  connectivityReady: boolean;
  /** The hostname is known (HostnameStatus exists). */
  hostnameReady: boolean;
  /** resolv.conf and hosts have been handled (written, or left alone because unmanaged). */
  etcFilesReady: boolean;
}

export interface TimeServerSpec {
  ntpServers: string[];
  /** Network Time Security (TimeSyncConfig ntp.useNTS). */
  useNTS?: boolean;
  layer: ConfigLayer;
  source?: string;
}

/** An nftables table netcfg owns whole: its sets and chains (src/nftables/types.ts), at a layer. */
export interface NftTableSpec extends NftTableDescription {
  layer: ConfigLayer;
  source?: string;
}

/** An nftables table netcfg created: deleted (whole: the name is netcfg's) when its spec goes. */
export interface AppliedNftTable {
  family: NftFamily;
  name: string;
}

/** network/LinkAliasSpec (ID: the link's kernel name): the alias a LinkAliasConfig gives it. */
export interface LinkAliasSpec {
  alias: string;
  source: string;
}

/** An alias netcfg set (state, ID: the link's name), to undo exactly that. */
export interface AppliedAlias {
  name: string;
  /** The alias before netcfg set one ("" for none). */
  original: string;
  set: string;
}

export interface TimeServerStatus {
  ntpServers: string[];
}

/** What an operator wants configured (at the operator layer, except a DHCP MTU at the default layer). */
/** network/OperatorStatus `<operator id>`: how a daemon's operator is doing (daemon only). */
export interface OperatorStatus {
  operator: Operator;
  linkName: string;
  /** running; waiting (for its link, or to be restarted after a failure); failed (will be retried). */
  state: 'running' | 'waiting' | 'failed';
  /** Why it waits or failed ("" when running). */
  reason: string;
  /** What the operator itself reports (e.g. a VIP's owner); never secrets. */
  detail: Record<string, string | number | boolean | null | string[]>;
}

export interface OperatorSpecs {
  addresses: AddressSpec[];
  routes: RouteSpec[];
  links: LinkSpec[];
  resolvers: ResolverSpec[];
  hostnames: HostnameSpec[];
  timeServers: TimeServerSpec[];
}

/**
 * An operator's last lease (state namespace, persisted): a restarted daemon
 * keeps the leased addresses and routes until the lease ends or is renewed,
 * instead of dropping them while it asks again.
 */
export interface OperatorLease extends OperatorSpecs {
  /** Wall-clock ms when the lease ends. */
  expiresAt: number;
}

/** network/EthernetSpec: a link's ethtool settings (talos-multidoc.md §3.16). */
export interface EthernetSpec {
  /** The link's kernel name (used literally, as Talos does). */
  name: string;
  /** Kernel feature names (ethtool -K), on or off. */
  features: Record<string, boolean>;
  /** Ring parameters (ethtool -G); the flags as 0/1, tcp-data-split as 1 (off) or 2 (on). */
  rings: Partial<Record<RingName, number>>;
  /** Channel counts (ethtool -L). */
  channels: Partial<Record<ChannelName, number>>;
  /** Wake-on-LAN modes; absent: left as they are, []: off. */
  wakeOnLan?: WolMode[];
}

/**
 * What netcfg changed of a link's ethtool settings: the same fields as the
 * spec, holding the values they had before netcfg first changed them (put back
 * when the spec, or that setting, goes).
 */
export type AppliedEthernet = EthernetSpec;

/** A connectivity probe (talos-multidoc.md §3.20): one of tcp or http. */
export interface ProbeSpec {
  /** Between attempts, ms. */
  interval: number;
  /** Consecutive failures, after a success, before the probe counts as failed. */
  failureThreshold: number;
  /** Per attempt, ms. */
  timeout: number;
  tcp?: { endpoint: string };
  http?: { url: string };
  layer: ConfigLayer;
  source?: string;
}

/** A probe's last outcome (made on its first result). */
/** The local caching resolver (ResolverConfig hostDNS, Talos' host DNS) as the daemon runs it. */
export interface HostDNSStatus {
  /** The addresses it listens on (UDP and TCP port 53). */
  listening: string[];
  /** The upstream servers in the configured order ("1.1.1.1", "1.1.1.1 (DoT cloudflare-dns.com)"). */
  upstreams: string[];
  /** Those of them not answering (two failures in a row, no health check answered since): asked last. */
  down: string[];
  /** Why an address could not be listened on ("" when none). */
  error: string;
}

/** Talos' EthernetStatus: a link's port, mode, carrier, rings, features, channels and Wake-on-LAN, as ethtool reports them. */
export interface EthernetStatus {
  /** Carrier detected (absent: the driver does not say). */
  linkState?: boolean;
  /** Mb/s (absent: unknown, e.g. no carrier). */
  speedMbit?: number;
  /** TwistedPair, AUI, BNC, MII, Fibre, DirectAttach, None, Other (Talos' names). */
  port: string;
  /** Half, Full or Unknown. */
  duplex: string;
  /** Link modes this end advertises, and its partner (ethtool's names, e.g. 1000baseT/Full). */
  ourModes?: string[];
  peerModes?: string[];
  /** Ring sizes and their maximums (rx-max, rx, tx-max, tx…), as the driver reports them. */
  rings?: Record<string, number | boolean>;
  /** Every feature, in the kernel's order, as `ethtool -k` shows it: "on", "off [fixed]", "off [requested on]"… */
  features?: Record<string, string>;
  /** Channel counts and their maximums (rx-max, tx-max, other-max, combined-max, rx…), as `ethtool -l` shows them. */
  channels?: Record<string, number>;
  /** Wake-on-LAN modes on (phy, unicast, multicast, broadcast, arp, magic, magicsecure, filter); absent: none or not supported. */
  wakeOnLAN?: string[];
}

export interface ProbeStatus {
  success: boolean;
  /** Why the last attempt that counted failed ('' after a success). */
  lastError: string;
}
