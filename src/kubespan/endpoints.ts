// The endpoints this node announces (spec §7.3, Talos local_affiliate.go):
// its current addresses minus the KubeSpan address and SideroLink ULAs, plus
// the public IPs discovery saw it from, filtered by the endpoint filters, each
// at port 51820, then the extra announced endpoints (not filtered).
import { formatIP, parseIP } from '../net/ip.js';
import { canonicalEndpoint, joinEndpoint } from '../controllers/spec/link-kinds.js';
import { KUBESPAN_PORT, ULA_PURPOSE } from './constants.js';
import { filterIPs } from './filters.js';
import { isULA } from './identity.js';

export interface LocalEndpointsInput {
  /** The node's current addresses (bare IPs), in NodeAddress order. */
  addresses: readonly string[];
  /** This node's KubeSpan address (bare or /128). */
  kubespanAddress: string;
  /** Public IPs the discovery service saw this node connect from. */
  publicIPs?: readonly string[];
  /** filters.endpoints; empty: no filtering. */
  endpointFilters?: readonly string[];
  /** extraAnnouncedEndpoints (ip:port). */
  extraEndpoints?: readonly string[];
}

const canonical = (ip: string) => {
  const p = parseIP(ip.replace(/\/\d+$/, ''));
  return p ? formatIP(p) : ip;
};

export function localEndpoints(input: LocalEndpointsInput): string[] {
  const self = canonical(input.kubespanAddress);
  let ips = input.addresses.map(canonical).filter((ip) => ip !== self && !isULA(ip, ULA_PURPOSE.sideroLink));
  for (const ip of (input.publicIPs ?? []).map(canonical)) if (!ips.includes(ip)) ips.push(ip);
  if (input.endpointFilters && input.endpointFilters.length > 0) ips = filterIPs(ips, input.endpointFilters);
  const endpoints = ips.map((ip) => joinEndpoint(ip, KUBESPAN_PORT));
  for (const extra of (input.extraEndpoints ?? []).map(canonicalEndpoint)) if (!endpoints.includes(extra)) endpoints.push(extra);
  return endpoints;
}
