// CommonLinkConfig (talos-multidoc.md §2.1): the fields every link document
// (and a veth's peer) shares: up, mtu, addresses, routes, multicast.
import { z } from 'zod';
import { once } from './definition.js';
import { addr, bool, list, prefix, routingTable, specifiedAddr, specifiedPrefix, text, uint32, type Problem } from './fields.js';
import { hostBitsCleared } from '../../net/ip.js';

export const addressSchema = once(() =>
  z
  .strictObject({
    address: prefix('address').optional().describe('Static address with its prefix length, e.g. 192.168.1.100/24.'),
    routePriority: uint32('routePriority').optional().describe('Metric of the prefix route the kernel adds for the address (IFA_RT_PRIORITY).'),
  })
  .describe('A static address.'),
);

export const routeSchema = once(() =>
  z
  .strictObject({
    destination: prefix('destination').optional().describe('Destination prefix; absent for a default route of the gateway\'s family (0.0.0.0/0 is rejected).'),
    gateway: addr('gateway').optional().describe('Next hop; absent for an on-link route.'),
    source: addr('source').optional().describe('Preferred source address.'),
    metric: uint32('metric').optional().describe('Route priority (default 1024).'),
    mtu: uint32('route MTU').optional(),
    table: routingTable().optional().describe('Routing table: unspec, 1-252, default, main (the default) or local.'),
  })
  .describe('A static route through this link.'),
);

/** The shared fields, spread into each link document's schema. */
export const commonLinkFields = once(() => ({
  up: bool().optional().describe('Bring the link up (default true).'),
  mtu: uint32('mtu').optional().describe('Link MTU; 0 or absent: leave as is.'),
  addresses: list(addressSchema(), 'a list of addresses').optional(),
  routes: list(routeSchema(), 'a list of routes').optional(),
  multicast: bool().optional().describe('Set or clear IFF_MULTICAST; absent: leave as is.'),
}));

export type AddressConfig = z.infer<ReturnType<typeof addressSchema>>;
export type RouteConfig = z.infer<ReturnType<typeof routeSchema>>;

export interface CommonLinkConfig {
  up?: boolean | undefined;
  mtu?: number | undefined;
  addresses?: AddressConfig[] | undefined;
  routes?: RouteConfig[] | undefined;
  multicast?: boolean | undefined;
}

/** Talos' common link checks (N is the 0-based list index; `at` prefixes the paths, e.g. the veth peer). */
export function validateCommon(c: CommonLinkConfig, at: ReadonlyArray<string | number> = []): Problem[] {
  const out: Problem[] = [];
  c.addresses?.forEach((a, i) => {
    if (a.address === undefined || a.address === '') out.push({ path: [...at, 'addresses', i], message: `address ${i} must be specified` });
    else if (!specifiedPrefix(a.address)) out.push({ path: [...at, 'addresses', i, 'address'], message: `address ${i} must be a valid IP address` });
  });
  c.routes?.forEach((r, i) => {
    if (r.destination !== undefined && r.destination !== '' && !specifiedPrefix(r.destination)) {
      out.push({ path: [...at, 'routes', i, 'destination'], message: `route ${i} destination must be a valid IP prefix (a default route is written without a destination)` });
    } else if (r.destination !== undefined && r.destination !== '') {
      // Talos keeps it as written (the kernel refuses it for IPv4, masks it for IPv6); netcfg routes to the network
      const masked = hostBitsCleared(r.destination);
      if (masked !== undefined) out.push({ path: [...at, 'routes', i, 'destination'], message: `route ${i} destination ${r.destination} has host bits set: the route is to ${masked}`, warning: true });
    }
    if (r.gateway !== undefined && r.gateway !== '' && !specifiedAddr(r.gateway)) out.push({ path: [...at, 'routes', i, 'gateway'], message: `route ${i} gateway must be a valid IP address` });
    if (r.source !== undefined && r.source !== '' && !specifiedAddr(r.source)) out.push({ path: [...at, 'routes', i, 'source'], message: `route ${i} source must be a valid IP address` });
  });
  return out;
}

/** `name must be specified`, for documents that need a name. */
export function requireName(name: string | undefined, message = 'name must be specified'): Problem[] {
  return name === undefined || name === '' ? [{ path: ['name'], message }] : [];
}

export const nameField = (what: string) => text(what).optional().describe(what);
