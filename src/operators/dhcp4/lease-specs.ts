// A DHCPv4 lease → the specs the operator writes (Talos dhcpparse/dhcp4.go,
// spec §6.2 "ACK to specs"). Everything is at the operator layer except the
// MTU link spec, which stays at the zero layer (default) so any configured MTU wins.
import { parsePrefix, prefixContains, parseIP } from '../../net/ip.js';
import type { AddressSpec, HostnameSpec, LinkSpec, ResolverSpec, RouteSpec } from '../../resources/network/types.js';
import { routeId } from '../../resources/network/ids.js';
import type { Dhcp4Lease } from './lease.js';

/** Talos's DefaultRouteMetric (matches systemd-networkd). */
export const DHCP_DEFAULT_ROUTE_METRIC = 1024;

export interface LeaseSpecOptions {
  linkName: string;
  /** Metric of every route and the priority of the address; 0 means 1024. */
  routeMetric: number;
  skipHostnameRequest: boolean;
  /** Install no routes (DHCPv4Config ignoreRoutes). */
  skipRoutes?: boolean;
}

export interface LeaseSpecs {
  addresses: AddressSpec[];
  routes: RouteSpec[];
  /** The MTU from option 26, if any. */
  links: LinkSpec[];
  /** Zero or one resolver spec (servers from option 6, search domains from 119 and 15). */
  resolvers: ResolverSpec[];
  hostname?: HostnameSpec;
  /** Option 42; the project has no time-server spec type yet. */
  timeServers: string[];
}

/**
 * A DNS name we are willing to put in resolv.conf or set as a hostname:
 * labels of letters, digits, '-' and '_', 1–63 bytes, 253 in all. DHCP
 * options are untrusted bytes; a newline or space would inject into resolv.conf.
 */
export function isDomainName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

function withoutDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Talos RouteSpec.Normalize: 0.0.0.0/0 → default (""), 0.0.0.0 gateway → none, no gateway with a destination → scope link. */
function route(dst: string, gateway: string, scope: 'global' | 'link', lease: Dhcp4Lease, o: LeaseSpecOptions, metric: number): RouteSpec {
  const d = dst.endsWith('/0') ? '' : dst;
  const gw = gateway === '0.0.0.0' ? '' : gateway;
  return {
    family: 'inet4',
    dst: d,
    src: lease.address,
    gateway: gw,
    outLinkName: o.linkName,
    table: 'main',
    priority: metric,
    scope: gw === '' && d !== '' ? 'link' : scope,
    type: 'unicast',
    flags: '',
    protocol: 'boot',
    mtu: 0,
    layer: 'operator',
  };
}

function routes(lease: Dhcp4Lease, o: LeaseSpecOptions, metric: number): RouteSpec[] {
  const subnet = parsePrefix(`${lease.address}/${lease.prefixLength}`);
  const out: RouteSpec[] = [];
  const via = (dst: string, gateway: string): void => {
    out.push(route(dst, gateway, 'global', lease, o, metric));
    // A gateway outside the leased subnet is reachable only with a link
    // route to it (e.g. AWS: a 169.254 lease with an off-subnet router).
    // An on-link route (gateway 0.0.0.0) needs none.
    const gw = parseIP(gateway);
    if (gw && gateway !== '0.0.0.0' && subnet && !prefixContains(subnet, gw)) out.push(route(`${gateway}/32`, '', 'link', lease, o, metric));
  };
  // RFC 3442: with option 121 present, option 3 is ignored.
  if (lease.classlessRoutes.length > 0) for (const r of lease.classlessRoutes) via(r.dst, r.router);
  else for (const router of lease.routers) via('0.0.0.0/0', router);
  // Two entries can give the same route (e.g. several routes via one off-subnet gateway); the first wins.
  const seen = new Set<string>();
  return out.filter((r) => {
    const id = routeId(r);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function searchDomains(lease: Dhcp4Lease): string[] {
  const out: string[] = [];
  const add = (raw: string): void => {
    const name = withoutDot(raw);
    if (isDomainName(name) && !out.includes(name)) out.push(name);
  };
  lease.searchDomains.forEach(add);
  if (lease.domain !== undefined) add(lease.domain); // appended when not already there
  return out;
}

/** Option 12 split at the first dot; option 15 overrides the domain part. */
function hostname(lease: Dhcp4Lease): HostnameSpec | undefined {
  if (lease.hostname === undefined) return undefined;
  const fqdn = withoutDot(lease.hostname);
  const dot = fqdn.indexOf('.');
  const host = dot < 0 ? fqdn : fqdn.slice(0, dot);
  let domain = dot < 0 ? '' : fqdn.slice(dot + 1);
  if (!isDomainName(host) || (domain !== '' && !isDomainName(domain))) return undefined;
  const option15 = lease.domain === undefined ? '' : withoutDot(lease.domain);
  if (option15 !== '' && isDomainName(option15)) domain = option15;
  return { hostname: host, domainname: domain, layer: 'operator' };
}

export function leaseSpecs(lease: Dhcp4Lease, o: LeaseSpecOptions): LeaseSpecs {
  const metric = o.routeMetric || DHCP_DEFAULT_ROUTE_METRIC;
  const out: LeaseSpecs = {
    addresses: [
      {
        address: `${lease.address}/${lease.prefixLength}`,
        linkName: o.linkName,
        family: 'inet4',
        scope: 'global',
        flags: 'permanent',
        announceWithARP: false,
        priority: metric, // the prefix route gets the same metric as the DHCP routes
        layer: 'operator',
      },
    ],
    routes: o.skipRoutes ? [] : routes(lease, o, metric),
    links: lease.mtu === undefined ? [] : [{ name: o.linkName, logical: false, up: true, mtu: lease.mtu, kind: '', type: '', layer: 'default' }],
    resolvers: [],
    timeServers: [...lease.ntp],
  };
  const domains = searchDomains(lease);
  if (lease.dns.length > 0 || domains.length > 0) {
    out.resolvers.push({ dnsServers: [...lease.dns], searchDomains: domains, searchDomainsOverridden: false, layer: 'operator' });
  }
  // The hostname is used only when this exchange asked for it (never a name we sent ourselves).
  if (!o.skipHostnameRequest && lease.hostnameRequested) {
    const h = hostname(lease);
    if (h) out.hostname = h;
  }
  return out;
}
