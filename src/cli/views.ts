// What `netcfg get` can show: resource kinds, their aliases and columns (spec §8).
import { NS } from '../resources/resource.js';
import { T, type AddressStatus, type LinkStatus, type RouteStatus } from '../resources/network/types.js';
import type { Column } from './output.js';

export interface ViewDefinition<S = never> {
  namespace: string;
  type: string;
  displayType: string;
  aliases: readonly string[];
  columns: ReadonlyArray<Column<S>>;
}

const links: ViewDefinition<LinkStatus> = {
  namespace: NS.network,
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
  namespace: NS.network,
  type: T.AddressStatus,
  displayType: 'AddressStatus',
  aliases: ['address', 'addresses', 'addressstatus', 'addressstatuses'],
  columns: [
    { header: 'ADDRESS', value: (s) => s.address },
    { header: 'LINK', value: (s) => s.linkName },
  ],
};

const routes: ViewDefinition<RouteStatus> = {
  namespace: NS.network,
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

export const VIEWS = [links, addresses, routes] as unknown as ReadonlyArray<ViewDefinition<unknown>>;

export function findView(name: string): ViewDefinition<unknown> | undefined {
  const lower = name.toLowerCase();
  return VIEWS.find((v) => v.aliases.includes(lower));
}
