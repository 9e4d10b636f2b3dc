// Resource IDs, as Talos forms them.
import type { AddressSpec, ConfigLayer, RouteRecord, RoutingRuleRecord } from './types.js';

export function layeredId(layer: ConfigLayer, id: string): string {
  return `${layer}/${id}`;
}

export function addressId(a: Pick<AddressSpec, 'linkName' | 'address'>): string {
  return `${a.linkName}/${a.address}`;
}

/** [<table>/][<outLink>/ (IPv6 only)]<family>/<gateway>/<dst>/<priority> */
export function routeId(r: Pick<RouteRecord, 'table' | 'family' | 'outLinkName' | 'gateway' | 'dst' | 'priority'>): string {
  let id = '';
  if (r.table !== 'main') id += `${r.table}/`;
  if (r.family === 'inet6' && r.outLinkName !== '') id += `${r.outLinkName}/`;
  return `${id}${r.family}/${r.gateway}/${r.dst}/${r.priority}`;
}

/** <family>/<priority, five digits> (Talos RoutingRuleID). */
export function routingRuleId(r: Pick<RoutingRuleRecord, 'family' | 'priority'>): string {
  return `${r.family}/${String(r.priority).padStart(5, '0')}`;
}

/** <family>/<name> of an nftables table. */
export function nftTableId(t: { family: string; name: string }): string {
  return `${t.family}/${t.name}`;
}
