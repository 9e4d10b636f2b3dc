// How the rest of netcfg reads a config (Talos' container accessors,
// talos-multidoc.md §1.8): the v1alpha1 machine config and the documents
// together, with Talos' fallbacks and priorities. Singletons (hostname,
// resolvers, time, KubeSpan) prefer the document and fall back to v1alpha1;
// discovery prefers v1alpha1; static hosts and link settings combine both.
import type { DiscoveryServiceEndpoint, KubeSpanConfigSpec } from '../resources/cluster/types.js';
import type { MachineConfig } from './schema.js';
import { DEFAULT_DISCOVERY_ENDPOINT } from './defaults.js';
import type { ConfigDocument, DocumentOf } from './documents/decode.js';
import { LINK_KINDS, type KnownKind } from './documents/kinds.js';
import { normalizeEndpoint } from '../discovery/endpoint-url.js';
import type { HostnameConfigSpec } from './documents/kinds/hostname.js';
import type { ResolverConfigSpec } from './documents/kinds/resolver.js';
import type { TimeSyncConfigSpec } from './documents/kinds/time-sync.js';
import { ipFamily } from '../net/ip.js';

/** The link documents (every link kind). */
export type LinkDocument = DocumentOf<'LinkConfig' | 'DummyLinkConfig' | 'VethConfig' | 'VLANConfig' | 'BondConfig' | 'BridgeConfig' | 'VRFConfig' | 'WireguardConfig'>;

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export interface HostnameSetting {
  /** Static hostname (FQDN allowed), or "" for none. */
  hostname: string;
  /** Automatic hostname: stable (from the node identity), off, or Talos' address-derived default (v1alpha1 without a hostname). */
  auto: 'stable' | 'off' | 'talos-addr';
  source: string;
}

export interface NameServer {
  addr: string;
  protocol: 'Do53' | 'DoT' | 'DoH';
  tlsServerName: string;
}

export interface ResolverSetting {
  nameServers: NameServer[];
  /** undefined: not configured (inherit); a list (even empty): replaces the DHCP/platform domains. */
  searchDomains: string[] | undefined;
  disableDefaultSearchDomain: boolean;
  source: string;
}

export interface HostDNSSetting {
  enabled: boolean;
  forwardKubeDNSToHost: boolean;
  resolveMemberNames: boolean;
}

export interface TimeSyncSetting {
  enabled: boolean;
  /** NTP servers, or the PTP devices when PTP is used. */
  servers: string[];
  useNTS: boolean;
  bootTimeout: string | undefined;
  source: string;
}

export interface StaticHostEntry {
  ip: string;
  aliases: string[];
  source: string;
}

/** Kubernetes' subnets (Talos' ClusterNetwork: PodCIDRs, ServiceCIDRs). */
export interface KubernetesNetwork {
  podSubnets: string[];
  serviceSubnets: string[];
  source: string;
}

/** Talos' defaults when the v1alpha1 cluster section sets no subnets (constants.DefaultIPv4PodNet, DefaultIPv4ServiceNet). */
export const DEFAULT_POD_SUBNET = '10.244.0.0/16';
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';

export interface DiscoveryIdentity {
  clusterId: string;
  clusterSecret: string;
  source: string;
}

export class ConfigContainer {
  constructor(
    /** The v1alpha1 machine config, when the file has one. */
    readonly machine: MachineConfig | undefined,
    readonly documents: readonly ConfigDocument[],
  ) {}

  /** The documents of some kinds, in file order. */
  ofKind<K extends KnownKind>(...kinds: K[]): Array<DocumentOf<K>> {
    return this.documents.filter((d): d is DocumentOf<K> => (kinds as readonly string[]).includes(d.kind));
  }

  private one<K extends KnownKind>(kind: K): DocumentOf<K> | undefined {
    return this.ofKind(kind)[0];
  }

  /** machine.* sections netcfg does not model (features, time), as written. */
  private raw(section: 'features' | 'time'): Record<string, unknown> | undefined {
    return obj((this.machine?.machine as Record<string, unknown> | undefined)?.[section]);
  }

  /** Every link document in file order (NetworkCommonLinkConfigs; veth peers are read from their VethConfig). */
  linkDocuments(): LinkDocument[] {
    return this.documents.filter((d): d is LinkDocument => LINK_KINDS.has(d.kind));
  }

  /** Talos runs DHCPv4 on every unconfigured physical NIC only when no link or DHCP document exists (§1.9). */
  runDefaultDHCPOperators(): boolean {
    return !this.documents.some((d) => LINK_KINDS.has(d.kind) || d.kind === 'DHCPv4Config' || d.kind === 'DHCPv6Config');
  }

  /** NetworkHostnameConfig: the HostnameConfig, else v1alpha1 machine.network.hostname / features.stableHostname. */
  hostname(): HostnameSetting | undefined {
    const doc = this.one('HostnameConfig');
    if (doc) return hostnameOf(doc.spec, doc.id);
    if (!this.machine) return undefined;
    const hostname = this.machine.machine?.network?.hostname ?? '';
    return { hostname, auto: this.raw('features')?.stableHostname === true ? 'stable' : 'talos-addr', source: 'v1alpha1' };
  }

  /** NetworkResolverConfig: the ResolverConfig, else v1alpha1 nameservers/searchDomains/disableSearchDomain. */
  resolver(): ResolverSetting | undefined {
    const doc = this.one('ResolverConfig');
    if (doc) return resolverOf(doc.spec, doc.id);
    const network = this.machine?.machine?.network;
    if (!network) return undefined;
    return {
      nameServers: (network.nameservers ?? []).filter((s) => ipFamily(s)).map((addr) => ({ addr, protocol: 'Do53', tlsServerName: '' })),
      searchDomains: network.searchDomains,
      disableDefaultSearchDomain: network.disableSearchDomain === true,
      source: 'v1alpha1',
    };
  }

  /** NetworkHostDNSConfig: the ResolverConfig's hostDNS only when enabled, else v1alpha1 machine.features.hostDNS. */
  hostDNS(): HostDNSSetting | undefined {
    const doc = this.one('ResolverConfig')?.spec.hostDNS;
    const from = doc?.enabled === true ? doc : obj(this.raw('features')?.hostDNS);
    if (!from) return undefined;
    return { enabled: from.enabled === true, forwardKubeDNSToHost: from.forwardKubeDNSToHost === true, resolveMemberNames: from.resolveMemberNames === true };
  }

  /** NetworkTimeSyncConfig: the TimeSyncConfig, else v1alpha1 machine.time. */
  timeSync(): TimeSyncSetting | undefined {
    const doc = this.one('TimeSyncConfig');
    if (doc) return timeSyncOf(doc.spec, doc.id);
    const time = this.raw('time');
    if (!time) return undefined;
    const servers = Array.isArray(time.servers) ? time.servers.filter((s): s is string => typeof s === 'string') : [];
    return { enabled: time.disabled !== true, servers, useNTS: false, bootTimeout: typeof time.bootTimeout === 'string' ? time.bootTimeout : undefined, source: 'v1alpha1' };
  }

  /** NetworkStaticHostConfig: v1alpha1 extraHostEntries first, then every StaticHostConfig. */
  staticHosts(): StaticHostEntry[] {
    const out: StaticHostEntry[] = (this.machine?.machine?.network?.extraHostEntries ?? []).map((e) => ({ ip: e.ip, aliases: e.aliases, source: 'v1alpha1' }));
    for (const d of this.ofKind('StaticHostConfig')) out.push({ ip: d.spec.name ?? '', aliases: d.spec.hostnames ?? [], source: d.id });
    return out;
  }

  /** DiscoveryServiceConfigs: v1alpha1 discovery if it yields a service (name "legacy"), otherwise every DiscoveryServiceConfig. */
  discoveryServices(): DiscoveryServiceEndpoint[] {
    const legacy = this.machine?.cluster?.discovery;
    if (legacy?.enabled === true && legacy.registries?.service?.disabled !== true) {
      const url = legacy.registries?.service?.endpoint || DEFAULT_DISCOVERY_ENDPOINT;
      const n = endpointOf(url);
      return n ? [{ name: 'legacy', url, ...n }] : [];
    }
    const out: DiscoveryServiceEndpoint[] = [];
    for (const d of this.ofKind('DiscoveryServiceConfig')) {
      const url = d.spec.endpoint ?? '';
      const n = endpointOf(url);
      if (n) out.push({ name: d.spec.name ?? '', url, ...n });
    }
    return out;
  }

  /** DiscoveryIdentityConfig: v1alpha1 cluster.id/secret when either is set, otherwise the document. */
  discoveryIdentity(): DiscoveryIdentity | undefined {
    const cluster = this.machine?.cluster;
    if ((cluster?.id ?? '') !== '' || (cluster?.secret ?? '') !== '') return { clusterId: cluster?.id ?? '', clusterSecret: cluster?.secret ?? '', source: 'v1alpha1' };
    const doc = this.one('DiscoveryIdentityConfig');
    return doc ? { clusterId: doc.spec.clusterID ?? '', clusterSecret: doc.spec.clusterSecret ?? '', source: doc.id } : undefined;
  }

  /**
   * Kubernetes' subnets: the KubeNetworkConfig, else the v1alpha1 cluster
   * section's network with Talos' defaults for what it leaves out; none
   * without either (a config for a host outside any cluster).
   */
  kubernetesNetwork(): KubernetesNetwork | undefined {
    const doc = this.one('KubeNetworkConfig');
    if (doc) return { podSubnets: doc.spec.podSubnets ?? [], serviceSubnets: doc.spec.serviceSubnets ?? [], source: doc.id };
    const cluster = this.machine?.cluster;
    if (!cluster) return undefined;
    const pods = cluster.network?.podSubnets ?? [];
    const services = cluster.network?.serviceSubnets ?? [];
    return { podSubnets: pods.length > 0 ? pods : [DEFAULT_POD_SUBNET], serviceSubnets: services.length > 0 ? services : [DEFAULT_SERVICE_SUBNET], source: 'v1alpha1' };
  }

  /** NetworkKubeSpanConfig: the KubeSpanConfig, else v1alpha1 machine.network.kubespan. */
  kubeSpan(): (Omit<KubeSpanConfigSpec, 'extraEndpoints' | 'clusterId' | 'sharedSecret'> & { source: string }) | undefined {
    const doc = this.one('KubeSpanConfig');
    const k = doc?.spec ?? this.machine?.machine?.network?.kubespan;
    if (!k) return undefined;
    return {
      enabled: k.enabled === true,
      forceRouting: k.allowDownPeerBypass !== true,
      advertiseKubernetesNetworks: k.advertiseKubernetesNetworks === true,
      harvestExtraEndpoints: k.harvestExtraEndpoints === true,
      mtu: k.mtu || 1420,
      endpointFilters: k.filters?.endpoints ?? [],
      excludeAdvertisedNetworks: k.filters?.excludeAdvertisedNetworks ?? [],
      source: doc ? doc.id : 'v1alpha1',
    };
  }

  /** KubespanConfig (endpoints): the KubeSpanEndpointsConfig's extra announced endpoints. */
  kubeSpanEndpoints(): string[] {
    return this.one('KubeSpanEndpointsConfig')?.spec.extraAnnouncedEndpoints ?? [];
  }

  /**
   * The Talos kubespan.Config resource: the KubeSpan settings with the discovery
   * identity. Talos produces it only with a v1alpha1 document (a config without
   * one is incomplete for boot there); netcfg has no maintenance mode, so the
   * documents alone are enough, as for discovery.
   */
  kubeSpanConfig(): KubeSpanConfigSpec | undefined {
    const k = this.kubeSpan();
    const identity = this.discoveryIdentity();
    if (!identity || !k) return undefined;
    const { source: _, ...spec } = k;
    return { ...spec, extraEndpoints: this.kubeSpanEndpoints(), clusterId: identity.clusterId, sharedSecret: identity.clusterSecret };
  }
}

/** host:port and TLS or not, as the discovery client dials a URL (undefined: not a URL it can dial; validation says why). */
function endpointOf(url: string): { endpoint: string; insecure: boolean } | undefined {
  try {
    const t = normalizeEndpoint(url);
    return { endpoint: t.endpoint, insecure: t.insecure };
  } catch {
    return undefined;
  }
}

export function hostnameOf(d: HostnameConfigSpec, source: string): HostnameSetting {
  return { hostname: d.hostname ?? '', auto: d.auto === 'stable' ? 'stable' : 'off', source };
}

export function resolverOf(d: ResolverConfigSpec, source: string): ResolverSetting {
  return {
    nameServers: (d.nameservers ?? []).filter((n) => n.address).map((n) => ({ addr: n.address!, protocol: n.protocol ?? 'Do53', tlsServerName: n.tlsServerName ?? '' })),
    searchDomains: d.searchDomains?.domains,
    disableDefaultSearchDomain: d.searchDomains?.disableDefault === true,
    source,
  };
}

export function timeSyncOf(d: TimeSyncConfigSpec, source: string): TimeSyncSetting {
  const servers = d.ptp ? (d.ptp.devices ?? []) : (d.ntp?.servers ?? []);
  return { enabled: d.enabled !== false, servers, useNTS: d.ntp?.useNTS === true, bootTimeout: d.bootTimeout, source };
}
