// What `netcfg get` can show: resource kinds, their aliases and columns (spec §8).
import { NS } from '../resources/resource.js';
import {
  T,
  type AddressStatus,
  type HostnameStatus,
  type LinkStatus,
  type NetworkStatus,
  type ResolverSpec,
  type ResolverStatus,
  type RouteStatus,
  type TimeServerSpec,
} from '../resources/network/types.js';
import type { Column } from './output.js';

export interface ViewDefinition<S = never> {
  /** kernel: observed statuses; config: what the configuration layers produce (dry run); daemon: only a running daemon has it. */
  source: 'kernel' | 'config' | 'daemon';
  namespaces: readonly string[];
  type: string;
  displayType: string;
  aliases: readonly string[];
  columns: ReadonlyArray<Column<S>>;
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
  source: 'kernel',
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
  resolvers,
  hostname,
  resolverSpecs,
  timeServers,
  networkStatus,
  specView(T.TimeServerSpec, 'timeserverspec'),
  specView(T.LinkSpec, 'linkspec'),
  specView(T.AddressSpec, 'addressspec'),
  specView(T.RouteSpec, 'routespec'),
  specView(T.HostnameSpec, 'hostnamespec'),
  specView(T.OperatorSpec, 'operatorspec'),
  documents,
  aliases,
] as unknown as ReadonlyArray<ViewDefinition<unknown>>;

export function findView(name: string): ViewDefinition<unknown> | undefined {
  const lower = name.toLowerCase();
  return VIEWS.find((v) => v.aliases.includes(lower));
}
