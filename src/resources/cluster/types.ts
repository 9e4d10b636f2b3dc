// Cluster resource types: what the configuration says about discovery and
// KubeSpan, this node's identities, and what discovery learns (affiliates,
// members). Talos field names (discovery-and-kubespan.md §3.6, §4, §6, §7).
//
// Producers and consumers:
//  - DiscoveryConfig, KubeSpanConfig: written by the configuration controllers
//    (v1alpha1 cluster.discovery / cluster.id / cluster.secret /
//    machine.network.kubespan, and the DiscoveryServiceConfig,
//    DiscoveryIdentityConfig, KubeSpanConfig, KubeSpanEndpointsConfig documents);
//    read by the discovery and KubeSpan operators.
//  - NodeIdentity: persisted in the state directory, read by discovery, the
//    stable hostname (HostnameConfig auto: stable) and KubeSpan.

/** Namespaces of cluster resources. */
export const CLUSTER_NS = {
  /** Derived configuration (DiscoveryConfig, KubeSpanConfig). */
  config: 'config',
  /** Identities, merged affiliates, members. */
  cluster: 'cluster',
  /** Affiliates as each registry reports them (IDs `service/<nodeId>`). */
  clusterRaw: 'cluster-raw',
  /** KubeSpan identity, peer specs and statuses, endpoints. */
  kubespan: 'kubespan',
} as const;

export const CT = {
  DiscoveryConfig: 'DiscoveryConfig',
  KubeSpanConfig: 'KubeSpanConfig',
  NodeIdentity: 'NodeIdentity',
  Affiliate: 'Affiliate',
  Member: 'Member',
  /** cluster/AddressStatus `service`: the public IP a discovery service saw (Hello client_ip). */
  AddressStatus: 'AddressStatus',
  /** kubespan/KubeSpanIdentity `local`: this node's KubeSpan address and key pair. */
  KubeSpanIdentity: 'KubeSpanIdentity',
  /** kubespan/KubeSpanPeerSpec `<public key>`: a peer built from an affiliate. */
  KubeSpanPeerSpec: 'KubeSpanPeerSpec',
  /** kubespan/KubeSpanPeerStatus `<public key>`: how the peer is doing (the manager's). */
  KubeSpanPeerStatus: 'KubeSpanPeerStatus',
  /** kubespan/KubeSpanEndpoint `<public key>`: the endpoint WireGuard uses for a peer that is up. */
  KubeSpanEndpoint: 'KubeSpanEndpoint',
} as const;

/** ID of this node's NodeIdentity. */
export const LOCAL_IDENTITY_ID = 'local';
/** ID prefix of raw affiliates from the discovery service registry. */
export const RAW_SERVICE_PREFIX = 'service/';

/** One discovery service to register with (Talos cluster.Config serviceEndpoints[]). */
export interface DiscoveryServiceEndpoint {
  /** Client key: the DiscoveryServiceConfig name, or "legacy" for v1alpha1 cluster.discovery. */
  name: string;
  /** The endpoint as configured (a URL). */
  url: string;
  /** host:port (default port 443 for https/grpc, 80 for http). */
  endpoint: string;
  /** Plain-text h2c (an http:// URL). */
  insecure: boolean;
}

/** config/DiscoveryConfig `cluster`: whether and where this node takes part in discovery. */
export interface DiscoveryConfigSpec {
  /** Discovery is on and at least one service registry is configured. */
  enabled: boolean;
  services: DiscoveryServiceEndpoint[];
  /** cluster.id or DiscoveryIdentityConfig.clusterID. */
  clusterId: string;
  /** cluster.secret or DiscoveryIdentityConfig.clusterSecret: base64 of the 32-byte AES key. Secret. */
  clusterSecret: string;
  /** The (deprecated) Kubernetes registry is enabled: accepted, not implemented. */
  kubernetesRegistry: boolean;
  /** machine.env proxy settings (and talos.environment= on the kernel command line). */
  proxy: { httpsProxy: string; httpProxy: string; noProxy: string };
  /** Extra trust roots (PEM) that machine.files appends to the CA bundle path. */
  extraCAs: string;
  /** controlplane or worker (machine.type; init → controlplane, join → worker). */
  machineType: 'controlplane' | 'worker' | 'unknown';
  /** The local API server port a control-plane node announces (0: not a control plane). */
  apiServerPort: number;
}

/** config/KubeSpanConfig `kubespan` (Talos kubespan.Config). */
export interface KubeSpanConfigSpec {
  enabled: boolean;
  /** !allowDownPeerBypass */
  forceRouting: boolean;
  advertiseKubernetesNetworks: boolean;
  harvestExtraEndpoints: boolean;
  /** Link MTU, default 1420. */
  mtu: number;
  /** Ordered CIDR/IP filters, "!" negates. */
  endpointFilters: string[];
  excludeAdvertisedNetworks: string[];
  /** KubeSpanEndpointsConfig.extraAnnouncedEndpoints (ip:port). */
  extraEndpoints: string[];
  clusterId: string;
  /** Secret. */
  sharedSecret: string;
}

/** ID of the KubeSpan config and of this node's KubeSpan identity. */
export const KUBESPAN_CONFIG_ID = 'kubespan';
export const KUBESPAN_IDENTITY_ID = 'local';

/** kubespan/KubeSpanIdentity `local` (Talos KubeSpanIdentity). */
export interface KubeSpanIdentitySpec {
  /** "<ULA>/128" */
  address: string;
  /** "<ULA prefix>/64" */
  subnet: string;
  /** Secret: redacted in get and logs. */
  privateKey: string;
  publicKey: string;
}

/** kubespan/KubeSpanPeerSpec `<public key>` (Talos KubeSpanPeerSpec, with the public key and the affiliate it came from). */
export interface KubeSpanPeerSpecSpec {
  publicKey: string;
  /** The peer's KubeSpan address (bare). */
  address: string;
  /** Prefixes routed to the peer (overlaps with earlier peers removed). */
  allowedIPs: string[];
  /** ip:port, in the affiliate's order. */
  endpoints: string[];
  /** The peer's node name. */
  label: string;
  /** The affiliate (node ID) it came from. */
  affiliateId: string;
}

/** kubespan/KubeSpanPeerStatus `<public key>` (Talos KubeSpanPeerStatus; times as RFC 3339, "" for never). */
export interface KubeSpanPeerStatusSpec {
  /** The endpoint as WireGuard reports it ("" when none). */
  endpoint: string;
  label: string;
  state: 'unknown' | 'up' | 'down';
  receiveBytes: number;
  transmitBytes: number;
  lastHandshakeTime: string;
  /** The endpoint the manager last programmed. */
  lastUsedEndpoint: string;
  lastEndpointChange: string;
}

/** kubespan/KubeSpanEndpoint `<public key>` (Talos KubeSpanEndpoint): a working endpoint of an up peer. */
export interface KubeSpanEndpointSpec {
  /** ip:port as WireGuard sees it. */
  endpoint: string;
  affiliateId: string;
}

/** cluster/NodeIdentity `local`: 32 random bytes, base62 as Talos encodes them. */
export interface NodeIdentitySpec {
  nodeId: string;
}

/** KubeSpan data of an affiliate (Talos AffiliateSpec.KubeSpan). */
export interface AffiliateKubeSpan {
  /** WireGuard public key, standard base64. */
  publicKey: string;
  /** KubeSpan ULA address (no prefix length). */
  address: string;
  /** Prefixes routed to the node besides its addresses (pod CIDRs), as CIDRs, not masked. */
  additionalAddresses: string[];
  /** "ip:port" WireGuard endpoints ([v6]:port), in order. */
  endpoints: string[];
  /** Prefixes peers must not route to the node. */
  excludeAdvertisedNetworks: string[];
}

/**
 * cluster/Affiliate `<nodeId>` (merged, and this node's own) and
 * cluster-raw/Affiliate `service/<nodeId>` (as a registry reports it):
 * a node of the cluster, as Talos's AffiliateSpec.
 */
export interface AffiliateSpec {
  nodeId: string;
  /** IP addresses, no prefix length. */
  addresses: string[];
  /** FQDN. */
  hostname: string;
  /** Kubernetes node name (netcfg: the short hostname). */
  nodename: string;
  operatingSystem: string;
  machineType: 'controlplane' | 'worker' | 'unknown';
  kubespan?: AffiliateKubeSpan;
  controlPlane?: { apiServerPort: number };
}

/** cluster/Member `<nodename>`: an affiliate with a node name (Talos MemberSpec). */
export interface MemberSpec {
  nodeId: string;
  addresses: string[];
  hostname: string;
  machineType: 'controlplane' | 'worker' | 'unknown';
  operatingSystem: string;
  controlPlane?: { apiServerPort: number };
}

/** cluster/AddressStatus `service`: the address a discovery service saw this node connect from. */
export interface DiscoveredAddressSpec {
  /** ip/32 or ip/128. */
  address: string;
}
