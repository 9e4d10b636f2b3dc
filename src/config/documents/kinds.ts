// The document kinds Talos registers (talos-multidoc.md §1.1): a kind is
// looked up exactly (case-sensitive), with apiVersion v1alpha1; anything else
// is "not registered". netcfg knows the network, cluster and SideroLink kinds
// field by field; the other Talos kinds (volumes, Kubernetes, registries…) are
// accepted as they are and ignored.

/** Kinds whose `name` identifies the document (duplicates and conflicts are by name). */
export const NAMED_KINDS = new Set([
  'LinkConfig',
  'LinkAliasConfig',
  'DummyLinkConfig',
  'VethConfig',
  'VLANConfig',
  'BondConfig',
  'BridgeConfig',
  'VRFConfig',
  'WireguardConfig',
  'DHCPv4Config',
  'DHCPv6Config',
  'Layer2VIPConfig',
  'HCloudVIPConfig',
  'StaticHostConfig',
  'EthernetConfig',
  'BlackholeRouteConfig',
  'RoutingRuleConfig',
  'NetworkRuleConfig',
  'TCPProbeConfig',
  'HTTPProbeConfig',
  'BGPInstanceConfig',
  'DiscoveryServiceConfig',
]);

/** Kinds netcfg reads (network configuration, discovery, KubeSpan, SideroLink, Kubernetes' subnets). */
export const KNOWN_KINDS = [
  'LinkConfig',
  'LinkAliasConfig',
  'DummyLinkConfig',
  'VethConfig',
  'VLANConfig',
  'BondConfig',
  'BridgeConfig',
  'VRFConfig',
  'WireguardConfig',
  'DHCPv4Config',
  'DHCPv6Config',
  'Layer2VIPConfig',
  'HCloudVIPConfig',
  'HostnameConfig',
  'ResolverConfig',
  'StaticHostConfig',
  'TimeSyncConfig',
  'EthernetConfig',
  'BlackholeRouteConfig',
  'RoutingRuleConfig',
  'NetworkRuleConfig',
  'NetworkDefaultActionConfig',
  'TCPProbeConfig',
  'HTTPProbeConfig',
  'BGPInstanceConfig',
  'KubeSpanConfig',
  'KubeSpanEndpointsConfig',
  'DiscoveryServiceConfig',
  'DiscoveryIdentityConfig',
  'KubeNetworkConfig',
  'SideroLinkConfig',
] as const;

export type KnownKind = (typeof KNOWN_KINDS)[number];

/**
 * Other kinds Talos registers (block devices, container runtime, runtime,
 * security, hardware, extensions, and the Kubernetes documents of v1.15):
 * accepted as they are and ignored, with one informational line.
 */
export const OTHER_TALOS_KINDS = [
  'VolumeConfig',
  'UserVolumeConfig',
  'RawVolumeConfig',
  'ExistingVolumeConfig',
  'ExternalVolumeConfig',
  'SwapVolumeConfig',
  'ZswapConfig',
  'FilesystemTrimConfig',
  'RegistryMirrorConfig',
  'RegistryAuthConfig',
  'RegistryTLSConfig',
  'ImageVerificationConfig',
  'ImageCacheConfig',
  'EventSinkConfig',
  'KmsgLogConfig',
  'WatchdogTimerConfig',
  'EnvironmentConfig',
  'OOMConfig',
  'SysctlConfig',
  'UnattendedInstallConfig',
  'TrustedRootsConfig',
  'SecurityProfileConfig',
  'PCIDriverRebindConfig',
  'ExtensionServiceConfig',
  'KubeClusterConfig',
  'KubeNodeConfig',
  'KubeletConfig',
  'KubeAPIServerCAConfig',
  'KubePrismConfig',
  'KubeAggregatorCAConfig',
  'KubeAdmissionControlConfig',
  'KubeAuditPolicyConfig',
  'KubeAuthenticationConfig',
  'KubeAuthorizerConfig',
  'KubeEtcdEncryptionConfig',
  'KubeServiceAccountConfig',
  'KubeAPIServerConfig',
  'KubeControllerManagerConfig',
  'KubeSchedulerConfig',
  'KubeProxyConfig',
  'KubeFlannelCNIConfig',
  'KubeCoreDNSConfig',
  'KubeExternalManifestConfig',
  'KubeInlineManifestConfig',
] as const;

const KNOWN = new Set<string>(KNOWN_KINDS);
const OTHER = new Set<string>(OTHER_TALOS_KINDS);

export const ALL_KINDS: readonly string[] = [...KNOWN_KINDS, ...OTHER_TALOS_KINDS];

export function isKnownKind(kind: string): kind is KnownKind {
  return KNOWN.has(kind);
}

export function isOtherTalosKind(kind: string): boolean {
  return OTHER.has(kind);
}

/** Every registered kind takes this apiVersion. */
export const DOCUMENT_API_VERSION = 'v1alpha1';

/** The kinds that configure a link (they conflict with each other on the same name, §1.3). */
export const LINK_KINDS = new Set(['LinkConfig', 'DummyLinkConfig', 'VLANConfig', 'BondConfig', 'BridgeConfig', 'VRFConfig', 'VethConfig', 'WireguardConfig']);

/** The document's ID as Talos forms it: `<Kind>/<name>` (`<Kind>/` for unnamed kinds). */
export function documentId(kind: string, name: string): string {
  return `${kind}/${name}`;
}
