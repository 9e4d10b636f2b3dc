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
  type RoutingRuleStatus,
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

/** Spec kinds without extra columns (use -o yaml), as talosctl shows them; both namespaces: layers and merged. */
function specView(type: string, name: string): ViewDefinition<unknown> {
  return { source: 'config', namespaces: [NS.networkConfig, NS.network], type, displayType: type, aliases: [name, `${name}s`], columns: [] };
}

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
  specView(T.TimeServerSpec, 'timeserverspec'),
  specView(T.LinkSpec, 'linkspec'),
  specView(T.AddressSpec, 'addressspec'),
  specView(T.RouteSpec, 'routespec'),
  specView(T.RoutingRuleSpec, 'routingrulespec'),
  specView(T.HostnameSpec, 'hostnamespec'),
  specView(T.OperatorSpec, 'operatorspec'),
] as unknown as ReadonlyArray<ViewDefinition<unknown>>;

export function findView(name: string): ViewDefinition<unknown> | undefined {
  const lower = name.toLowerCase();
  return VIEWS.find((v) => v.aliases.includes(lower));
}
