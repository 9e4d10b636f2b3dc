// What `netcfg get` can show: resource kinds, their aliases and columns (spec §8).
import { NS } from '../resources/resource.js';
import {
  T,
  type AddressStatus,
  type HostnameStatus,
  type LinkStatus,
  type NetworkStatus,
  type EthernetSpec,
  type ProbeStatus,
  type EthernetStatus,
  type HostDNSStatus,
  type OperatorStatus,
  type ResolverSpec,
  type ResolverStatus,
  type RouteStatus,
  type RoutingRuleStatus,
  type TimeServerSpec,
} from '../resources/network/types.js';
import type { Column } from './output.js';
import {
  CLUSTER_NS,
  CT,
  type AffiliateSpec,
  type DiscoveryConfigSpec,
  type KubeSpanConfigSpec,
  type KubeSpanEndpointSpec,
  type KubeSpanIdentitySpec,
  type KubeSpanPeerSpecSpec,
  type KubeSpanPeerStatusSpec,
  type MemberSpec,
  type NodeIdentitySpec,
} from '../resources/cluster/types.js';

export interface ViewDefinition<S = never> {
  /**
   * kernel: observed statuses; stream: streamed from the kernel as it is listed
   * (routes: there may be a million); config: what the configuration layers
   * produce (dry run); daemon: only a running daemon has it.
   */
  source: 'kernel' | 'stream' | 'config' | 'daemon';
  namespaces: readonly string[];
  type: string;
  displayType: string;
  aliases: readonly string[];
  columns: ReadonlyArray<Column<S>>;
  /** Namespaces --namespace may pick besides the default ones (raw affiliates). */
  otherNamespaces?: readonly string[];
  /** Cluster discovery kinds: `get` says when the config enables the (unimplemented) Kubernetes registry. */
  discovery?: boolean;
  /** Only the resources this accepts (a view of part of a type). */
  filter?: (spec: S) => boolean;
}

const links: ViewDefinition<LinkStatus> = {
  source: 'kernel',
  namespaces: [NS.network],
  type: T.LinkStatus,
  displayType: 'LinkStatus',
  aliases: ['link', 'links', 'linkstatus', 'linkstatuses'],
  columns: [
    { header: 'ALIAS', value: (s) => s.alias },
    { header: 'TYPE', value: (s) => s.type },
    { header: 'KIND', value: (s) => s.kind },
    { header: 'HW ADDR', value: (s) => s.hardwareAddr },
    { header: 'OPER STATE', value: (s) => s.operationalState },
    { header: 'LINK STATE', value: (s) => s.linkState },
  ],
};

const addresses: ViewDefinition<AddressStatus> = {
  source: 'kernel',
  namespaces: [NS.network],
  type: T.AddressStatus,
  displayType: 'AddressStatus',
  aliases: ['address', 'addresses', 'addressstatus', 'addressstatuses'],
  columns: [
    { header: 'ADDRESS', value: (s) => s.address },
    { header: 'LINK', value: (s) => s.linkName },
  ],
};

const routes: ViewDefinition<RouteStatus> = {
  source: 'stream',
  namespaces: [NS.network],
  type: T.RouteStatus,
  displayType: 'RouteStatus',
  aliases: ['route', 'routes', 'routestatus', 'routestatuses'],
  columns: [
    { header: 'DESTINATION', value: (s) => s.dst },
    { header: 'GATEWAY', value: (s) => s.gateway },
    { header: 'LINK', value: (s) => s.outLinkName },
    { header: 'METRIC', value: (s) => s.priority },
  ],
};

const routingRules: ViewDefinition<RoutingRuleStatus> = {
  source: 'kernel',
  namespaces: [NS.network],
  type: T.RoutingRuleStatus,
  displayType: 'RoutingRuleStatus',
  aliases: ['routingrule', 'routingrules', 'routingrulestatus', 'routingrulestatuses'],
  columns: [
    { header: 'SRC', value: (s) => s.src },
    { header: 'DST', value: (s) => s.dst },
    { header: 'TABLE', value: (s) => s.table },
    { header: 'PRIORITY', value: (s) => s.priority },
  ],
};

const resolvers: ViewDefinition<ResolverStatus> = {
  source: 'config',
  namespaces: [NS.network],
  type: T.ResolverStatus,
  displayType: 'ResolverStatus',
  aliases: ['resolver', 'resolvers', 'resolverstatus', 'resolverstatuses'],
  columns: [
    { header: 'RESOLVERS', value: (s) => s.dnsServers },
    { header: 'SEARCH DOMAINS', value: (s) => s.searchDomains },
  ],
};

const hostname: ViewDefinition<HostnameStatus> = {
  source: 'config',
  namespaces: [NS.network],
  type: T.HostnameStatus,
  displayType: 'HostnameStatus',
  aliases: ['hostname', 'hostnames', 'hostnamestatus', 'hostnamestatuses'],
  columns: [
    { header: 'HOSTNAME', value: (s) => s.hostname },
    { header: 'DOMAINNAME', value: (s) => s.domainname },
  ],
};

const timeServers: ViewDefinition<TimeServerSpec> = {
  source: 'config',
  namespaces: [NS.network],
  type: T.TimeServerSpec,
  displayType: 'TimeServerStatus',
  aliases: ['timeserver', 'timeservers', 'timeserverstatus', 'timeserverstatuses'],
  columns: [{ header: 'TIMESERVERS', value: (s) => s.ntpServers }],
};

const networkStatus: ViewDefinition<NetworkStatus> = {
  source: 'daemon',
  namespaces: [NS.network],
  type: T.NetworkStatus,
  displayType: 'NetworkStatus',
  aliases: ['networkstatus', 'networkstatuses'],
  columns: [
    { header: 'ADDRESS', value: (s) => s.addressReady },
    { header: 'CONNECTIVITY', value: (s) => s.connectivityReady },
    { header: 'HOSTNAME', value: (s) => s.hostnameReady },
    { header: 'ETC', value: (s) => s.etcFilesReady },
  ],
};

const probeStatuses: ViewDefinition<ProbeStatus> = {
  source: 'daemon',
  namespaces: [NS.network],
  type: T.ProbeStatus,
  displayType: 'ProbeStatus',
  aliases: ['probestatus', 'probestatuses', 'probe', 'probes'],
  columns: [
    { header: 'SUCCESS', value: (s) => s.success },
    { header: 'LAST ERROR', value: (s) => s.lastError },
  ],
};

const hostDNSStatuses: ViewDefinition<HostDNSStatus> = {
  source: 'daemon',
  namespaces: [NS.network],
  type: T.HostDNSStatus,
  displayType: 'HostDNSStatus',
  aliases: ['hostdnsstatus', 'hostdnsstatuses', 'hostdns'],
  columns: [
    { header: 'LISTENING', value: (s) => s.listening },
    { header: 'UPSTREAMS', value: (s) => s.upstreams },
    { header: 'DOWN', value: (s) => s.down },
    { header: 'ERROR', value: (s) => s.error },
  ],
};

const ethernetStatuses: ViewDefinition<EthernetStatus> = {
  source: 'kernel',
  namespaces: [NS.network],
  type: T.EthernetStatus,
  displayType: 'EthernetStatus',
  aliases: ['ethtool', 'ethernetstatus', 'ethernetstatuses'],
  columns: [
    { header: 'LINK', value: (s) => s.linkState ?? '' },
    { header: 'SPEED', value: (s) => s.speedMbit ?? '' },
  ],
};

const ethernetSpecs: ViewDefinition<EthernetSpec> = {
  source: 'config',
  namespaces: [NS.network],
  type: T.EthernetSpec,
  displayType: 'EthernetSpec',
  aliases: ['ethernetspec', 'ethernetspecs', 'ethernet'],
  columns: [
    { header: 'FEATURES', value: (s) => Object.entries(s.features).map(([f, on]) => `${f}=${on ? 'on' : 'off'}`) },
    { header: 'RINGS', value: (s) => Object.entries(s.rings).map(([k, v]) => `${k}=${v}`) },
    { header: 'CHANNELS', value: (s) => Object.entries(s.channels).map(([k, v]) => `${k}=${v}`) },
    { header: 'WOL', value: (s) => s.wakeOnLan ?? '' },
  ],
};

const operatorStatuses: ViewDefinition<OperatorStatus> = {
  source: 'daemon',
  namespaces: [NS.network],
  type: T.OperatorStatus,
  displayType: 'OperatorStatus',
  aliases: ['operatorstatus', 'operatorstatuses'],
  columns: [
    { header: 'OPERATOR', value: (s) => s.operator },
    { header: 'LINK', value: (s) => s.linkName },
    { header: 'STATE', value: (s) => s.state },
    { header: 'REASON', value: (s) => s.reason },
  ],
};

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** The VIP operators' OperatorStatus, with what each reports about its election. */
const vipStatuses: ViewDefinition<OperatorStatus> = {
  source: 'daemon',
  namespaces: [NS.network],
  type: T.OperatorStatus,
  displayType: 'VIPStatus',
  aliases: ['vipstatus', 'vipstatuses', 'vip', 'vips'],
  filter: (s) => s.operator === 'vip',
  columns: [
    { header: 'VIP', value: (s) => str(s.detail.vip) },
    { header: 'LINK', value: (s) => s.linkName },
    { header: 'OWNER', value: (s) => str(s.detail.owner) },
    { header: 'THIS NODE', value: (s) => s.detail.thisNode === true },
    { header: 'LEASE TTL', value: (s) => (s.detail.leaseTTL === undefined ? '' : `${str(s.detail.leaseTTL)}s`) },
    { header: 'LAST RENEWAL', value: (s) => str(s.detail.lastRenewal) },
    { header: 'STATE', value: (s) => str(s.detail.state) || s.state },
    { header: 'REASON', value: (s) => str(s.detail.reason) || s.reason },
  ],
};

const resolverSpecs: ViewDefinition<ResolverSpec> = {
  source: 'config',
  namespaces: [NS.networkConfig, NS.network],
  type: T.ResolverSpec,
  displayType: 'ResolverSpec',
  aliases: ['resolverspec', 'resolverspecs'],
  columns: [
    { header: 'LAYER', value: (s) => s.layer },
    { header: 'RESOLVERS', value: (s) => s.dnsServers },
    { header: 'SEARCH DOMAINS', value: (s) => s.searchDomains },
  ],
};

const identities: ViewDefinition<NodeIdentitySpec> = {
  source: 'config',
  namespaces: [CLUSTER_NS.cluster],
  type: CT.NodeIdentity,
  displayType: 'Identity',
  aliases: ['identity', 'identities'],
  columns: [{ header: 'ID', value: (s) => s.nodeId }],
};

const affiliates: ViewDefinition<AffiliateSpec> = {
  source: 'daemon',
  namespaces: [CLUSTER_NS.cluster],
  otherNamespaces: [CLUSTER_NS.clusterRaw],
  type: CT.Affiliate,
  displayType: 'Affiliate',
  aliases: ['affiliate', 'affiliates'],
  discovery: true,
  columns: [
    { header: 'HOSTNAME', value: (s) => s.hostname },
    { header: 'MACHINE TYPE', value: (s) => s.machineType },
    { header: 'ADDRESSES', value: (s) => s.addresses },
  ],
};

const members: ViewDefinition<MemberSpec> = {
  source: 'daemon',
  namespaces: [CLUSTER_NS.cluster],
  type: CT.Member,
  displayType: 'Member',
  aliases: ['member', 'members'],
  discovery: true,
  columns: [
    { header: 'HOSTNAME', value: (s) => s.hostname },
    { header: 'MACHINE TYPE', value: (s) => s.machineType },
    { header: 'OS', value: (s) => s.operatingSystem },
    { header: 'ADDRESSES', value: (s) => s.addresses },
  ],
};

const discoveryConfigs: ViewDefinition<DiscoveryConfigSpec> = {
  source: 'config',
  namespaces: [CLUSTER_NS.config],
  type: CT.DiscoveryConfig,
  displayType: 'DiscoveryConfig',
  aliases: ['discoveryconfig', 'discoveryconfigs'],
  discovery: true,
  columns: [
    { header: 'ENABLED', value: (s) => s.enabled },
    { header: 'SERVICES', value: (s) => s.services.map((x) => x.url) },
  ],
};

const kubespanConfigs: ViewDefinition<KubeSpanConfigSpec> = {
  source: 'config',
  namespaces: [CLUSTER_NS.config],
  type: CT.KubeSpanConfig,
  displayType: 'KubeSpanConfig',
  aliases: ['kubespanconfig', 'kubespanconfigs'],
  columns: [
    { header: 'ENABLED', value: (s) => s.enabled },
    { header: 'FORCE ROUTING', value: (s) => s.forceRouting },
    { header: 'MTU', value: (s) => s.mtu },
  ],
};

/** This node's KubeSpan identity (the private key is redacted). */
const kubespanIdentities: ViewDefinition<KubeSpanIdentitySpec> = {
  source: 'config',
  namespaces: [CLUSTER_NS.kubespan],
  type: CT.KubeSpanIdentity,
  displayType: 'KubeSpanIdentity',
  aliases: ['kubespanidentity', 'kubespanidentities'],
  columns: [
    { header: 'ADDRESS', value: (s) => s.address },
    { header: 'PUBLIC KEY', value: (s) => s.publicKey },
  ],
};

const kubespanPeerSpecs: ViewDefinition<KubeSpanPeerSpecSpec> = {
  source: 'daemon',
  namespaces: [CLUSTER_NS.kubespan],
  type: CT.KubeSpanPeerSpec,
  displayType: 'KubeSpanPeerSpec',
  aliases: ['kubespanpeerspec', 'kubespanpeerspecs'],
  columns: [
    { header: 'LABEL', value: (s) => s.label },
    { header: 'ENDPOINTS', value: (s) => s.endpoints },
  ],
};

const kubespanPeerStatuses: ViewDefinition<KubeSpanPeerStatusSpec> = {
  source: 'daemon',
  namespaces: [CLUSTER_NS.kubespan],
  type: CT.KubeSpanPeerStatus,
  displayType: 'KubeSpanPeerStatus',
  aliases: ['kubespanpeerstatus', 'kubespanpeerstatuses'],
  columns: [
    { header: 'LABEL', value: (s) => s.label },
    { header: 'ENDPOINT', value: (s) => s.endpoint },
    { header: 'STATE', value: (s) => s.state },
    { header: 'RX', value: (s) => s.receiveBytes },
    { header: 'TX', value: (s) => s.transmitBytes },
  ],
};

const kubespanEndpoints: ViewDefinition<KubeSpanEndpointSpec> = {
  source: 'daemon',
  namespaces: [CLUSTER_NS.kubespan],
  type: CT.KubeSpanEndpoint,
  displayType: 'KubeSpanEndpoint',
  aliases: ['kubespanendpoint', 'kubespanendpoints'],
  columns: [
    { header: 'ENDPOINT', value: (s) => s.endpoint },
    { header: 'AFFILIATE ID', value: (s) => s.affiliateId },
  ],
};

/**
 * Spec kinds (use -o yaml for every field); both namespaces: each layer's
 * spec and the merged one, with the layer and what configured it (a document
 * ID such as LinkConfig/eth0, v1alpha1, cmdline, default, an operator).
 */
function specView(type: string, name: string): ViewDefinition<unknown> {
  const columns: Array<Column<{ layer?: string; source?: string }>> = [
    { header: 'LAYER', value: (s) => s.layer },
    { header: 'SOURCE', value: (s) => s.source },
  ];
  return { source: 'config', namespaces: [NS.networkConfig, NS.network], type, displayType: type, aliases: [name, `${name}s`], columns } as unknown as ViewDefinition<unknown>;
}

export { routes as routesView };

/** The configuration documents of the config (the one given with -c, else the one applied last). */
const documents: ViewDefinition<{ kind: string; name: string; line: number }> = {
  source: 'config',
  namespaces: [NS.config],
  type: T.ConfigDocument,
  displayType: 'ConfigDocument',
  aliases: ['document', 'documents', 'configdocument', 'configdocuments', 'doc', 'docs'],
  columns: [
    { header: 'KIND', value: (s) => s.kind },
    { header: 'NAME', value: (s) => s.name },
    { header: 'LINE', value: (s) => s.line },
  ],
};

const aliases: ViewDefinition<{ alias: string; source: string }> = {
  source: 'config',
  namespaces: [NS.network],
  type: T.LinkAliasSpec,
  displayType: 'LinkAliasSpec',
  aliases: ['linkaliasspec', 'linkaliasspecs'],
  columns: [
    { header: 'ALIAS', value: (s) => s.alias },
    { header: 'SOURCE', value: (s) => s.source },
  ],
};

export const VIEWS = [
  links,
  addresses,
  routes,
  routingRules,
  resolvers,
  hostname,
  resolverSpecs,
  timeServers,
  networkStatus,
  affiliates,
  members,
  identities,
  discoveryConfigs,
  kubespanConfigs,
  kubespanIdentities,
  kubespanPeerSpecs,
  kubespanPeerStatuses,
  kubespanEndpoints,
  operatorStatuses,
  vipStatuses,
  probeStatuses,
  ethernetStatuses,
  hostDNSStatuses,
  ethernetSpecs,
  specView(T.ProbeSpec, 'probespec'),
  specView(T.TimeServerSpec, 'timeserverspec'),
  specView(T.LinkSpec, 'linkspec'),
  specView(T.AddressSpec, 'addressspec'),
  specView(T.RouteSpec, 'routespec'),
  specView(T.RoutingRuleSpec, 'routingrulespec'),
  specView(T.HostnameSpec, 'hostnamespec'),
  specView(T.OperatorSpec, 'operatorspec'),
  specView(T.NftTableSpec, 'nftablespec'),
  documents,
  aliases,
] as unknown as ReadonlyArray<ViewDefinition<unknown>>;

export function findView(name: string): ViewDefinition<unknown> | undefined {
  const lower = name.toLowerCase();
  return VIEWS.find((v) => v.aliases.includes(lower));
}
