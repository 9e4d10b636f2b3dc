// Resource IDs, as Talos forms them. Built with join(): a template literal of
// several parts makes a chain of cons strings that stays in memory as such (a
// 100k-route config keeps several IDs per route: 1.4M cons nodes, 46 MB);
// join() makes one flat string.
import type { AddressSpec, ConfigLayer, RouteRecord, RoutingRuleRecord } from './types.js';

export function layeredId(layer: ConfigLayer, id: string): string {
  return [layer, id].join('/');
}

export function addressId(a: Pick<AddressSpec, 'linkName' | 'address'>): string {
  return [a.linkName, a.address].join('/');
}

/** [<table>/][<outLink>/ (IPv6 only)]<family>/<gateway>/<dst>/<priority> */
export function routeId(r: Pick<RouteRecord, 'table' | 'family' | 'outLinkName' | 'gateway' | 'dst' | 'priority'>): string {
  const parts: Array<string | number> = [];
  if (r.table !== 'main') parts.push(r.table);
  if (r.family === 'inet6' && r.outLinkName !== '') parts.push(r.outLinkName);
  parts.push(r.family, r.gateway, r.dst, r.priority);
  return parts.join('/');
}

/** <family>/<priority, five digits> (Talos RoutingRuleID). */
export function routingRuleId(r: Pick<RoutingRuleRecord, 'family' | 'priority'>): string {
  return `${r.family}/${String(r.priority).padStart(5, '0')}`;
}

/** <family>/<name> of an nftables table. */
export function nftTableId(t: { family: string; name: string }): string {
  return `${t.family}/${t.name}`;
}

/** A probe's ID: tcp:<endpoint>, or http:<url> without user information (Talos). */
export function probeId(p: { tcp?: { endpoint: string } | undefined; http?: { url: string } | undefined }): string {
  if (p.tcp) return `tcp:${p.tcp.endpoint}`;
  const url = p.http?.url ?? '';
  return `http:${url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/, '$1')}`;
}
