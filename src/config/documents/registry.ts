// Every document kind netcfg knows, by name, with the type of its spec.
import type { KindDefinition } from './definition.js';
import type { KnownKind } from './kinds.js';
import { bgpInstanceConfig, type BGPInstanceConfigSpec } from './kinds/bgp.js';
import { blackholeRouteConfig, type BlackholeRouteConfigSpec } from './kinds/blackhole-route.js';
import { bondConfig, type BondConfigSpec } from './kinds/bond.js';
import { bridgeConfig, type BridgeConfigSpec } from './kinds/bridge.js';
import { dhcpv4Config, dhcpv6Config, type DHCPv4ConfigSpec, type DHCPv6ConfigSpec } from './kinds/dhcp.js';
import { discoveryIdentityConfig, discoveryServiceConfig, type DiscoveryIdentityConfigSpec, type DiscoveryServiceConfigSpec } from './kinds/discovery.js';
import { dummyLinkConfig, type DummyLinkConfigSpec } from './kinds/dummy.js';
import { ethernetConfig, type EthernetConfigSpec } from './kinds/ethernet.js';
import { networkDefaultActionConfig, networkRuleConfig, type NetworkDefaultActionConfigSpec, type NetworkRuleConfigSpec } from './kinds/firewall.js';
import { hostnameConfig, type HostnameConfigSpec } from './kinds/hostname.js';
import { kubeNetworkConfig, type KubeNetworkConfigSpec } from './kinds/kube-network.js';
import { kubeSpanConfig, kubeSpanEndpointsConfig, type KubeSpanConfigSpec, type KubeSpanEndpointsConfigSpec } from './kinds/kubespan.js';
import { linkAliasConfig, type LinkAliasConfigSpec } from './kinds/link-alias.js';
import { linkConfig, type LinkConfigSpec } from './kinds/link.js';
import { httpProbeConfig, tcpProbeConfig, type HTTPProbeConfigSpec, type TCPProbeConfigSpec } from './kinds/probe.js';
import { resolverConfig, type ResolverConfigSpec } from './kinds/resolver.js';
import { routingRuleConfig, type RoutingRuleConfigSpec } from './kinds/routing-rule.js';
import { sideroLinkConfig, type SideroLinkConfigSpec } from './kinds/siderolink.js';
import { staticHostConfig, type StaticHostConfigSpec } from './kinds/static-host.js';
import { timeSyncConfig, type TimeSyncConfigSpec } from './kinds/time-sync.js';
import { vethConfig, type VethConfigSpec } from './kinds/veth.js';
import { layer2VIPConfig, hcloudVIPConfig, type HCloudVIPConfigSpec, type Layer2VIPConfigSpec } from './kinds/vip.js';
import { vlanConfig, type VLANConfigSpec } from './kinds/vlan.js';
import { vrfConfig, type VRFConfigSpec } from './kinds/vrf.js';
import { wireguardConfig, type WireguardConfigSpec } from './kinds/wireguard.js';

/** The spec (the document without apiVersion and kind) of each kind. */
export interface DocumentSpecs {
  LinkConfig: LinkConfigSpec;
  LinkAliasConfig: LinkAliasConfigSpec;
  DummyLinkConfig: DummyLinkConfigSpec;
  VethConfig: VethConfigSpec;
  VLANConfig: VLANConfigSpec;
  BondConfig: BondConfigSpec;
  BridgeConfig: BridgeConfigSpec;
  VRFConfig: VRFConfigSpec;
  WireguardConfig: WireguardConfigSpec;
  DHCPv4Config: DHCPv4ConfigSpec;
  DHCPv6Config: DHCPv6ConfigSpec;
  Layer2VIPConfig: Layer2VIPConfigSpec;
  HCloudVIPConfig: HCloudVIPConfigSpec;
  HostnameConfig: HostnameConfigSpec;
  ResolverConfig: ResolverConfigSpec;
  StaticHostConfig: StaticHostConfigSpec;
  TimeSyncConfig: TimeSyncConfigSpec;
  EthernetConfig: EthernetConfigSpec;
  BlackholeRouteConfig: BlackholeRouteConfigSpec;
  RoutingRuleConfig: RoutingRuleConfigSpec;
  NetworkRuleConfig: NetworkRuleConfigSpec;
  NetworkDefaultActionConfig: NetworkDefaultActionConfigSpec;
  TCPProbeConfig: TCPProbeConfigSpec;
  HTTPProbeConfig: HTTPProbeConfigSpec;
  BGPInstanceConfig: BGPInstanceConfigSpec;
  KubeSpanConfig: KubeSpanConfigSpec;
  KubeSpanEndpointsConfig: KubeSpanEndpointsConfigSpec;
  DiscoveryServiceConfig: DiscoveryServiceConfigSpec;
  DiscoveryIdentityConfig: DiscoveryIdentityConfigSpec;
  KubeNetworkConfig: KubeNetworkConfigSpec;
  SideroLinkConfig: SideroLinkConfigSpec;
}

export const KIND_DEFINITIONS: { readonly [K in KnownKind]: KindDefinition<DocumentSpecs[K]> } = {
  LinkConfig: linkConfig,
  LinkAliasConfig: linkAliasConfig,
  DummyLinkConfig: dummyLinkConfig,
  VethConfig: vethConfig,
  VLANConfig: vlanConfig,
  BondConfig: bondConfig,
  BridgeConfig: bridgeConfig,
  VRFConfig: vrfConfig,
  WireguardConfig: wireguardConfig,
  DHCPv4Config: dhcpv4Config,
  DHCPv6Config: dhcpv6Config,
  Layer2VIPConfig: layer2VIPConfig,
  HCloudVIPConfig: hcloudVIPConfig,
  HostnameConfig: hostnameConfig,
  ResolverConfig: resolverConfig,
  StaticHostConfig: staticHostConfig,
  TimeSyncConfig: timeSyncConfig,
  EthernetConfig: ethernetConfig,
  BlackholeRouteConfig: blackholeRouteConfig,
  RoutingRuleConfig: routingRuleConfig,
  NetworkRuleConfig: networkRuleConfig,
  NetworkDefaultActionConfig: networkDefaultActionConfig,
  TCPProbeConfig: tcpProbeConfig,
  HTTPProbeConfig: httpProbeConfig,
  BGPInstanceConfig: bgpInstanceConfig,
  KubeSpanConfig: kubeSpanConfig,
  KubeSpanEndpointsConfig: kubeSpanEndpointsConfig,
  DiscoveryServiceConfig: discoveryServiceConfig,
  DiscoveryIdentityConfig: discoveryIdentityConfig,
  KubeNetworkConfig: kubeNetworkConfig,
  SideroLinkConfig: sideroLinkConfig,
};

export function kindDefinition<K extends KnownKind>(kind: K): KindDefinition<DocumentSpecs[K]> {
  return KIND_DEFINITIONS[kind];
}
