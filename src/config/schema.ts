// The v1alpha1 machine config schema (the parts netcfg reads). Types used by
// the controllers are inferred from it.
import { z } from 'zod';
import { ipFamily, prefixFamily } from '../net/ip.js';
import { RoutingTable } from '../resources/network/enums.js';
import { bool, expected, int, ip, ipOrCidr, linkName, list, network, str, uint32 } from './fields.js';

/** Route `table` (a netcfg extension): a number or main/local/default. */
const routeTable = z
  .union([z.number(), z.string()], { error: (iss) => expected('a routing table: a number from 1 to 4294967295 or main, local, default', iss.input) })
  .superRefine((v, ctx) => {
    const ok = typeof v === 'number' ? Number.isInteger(v) && v >= 1 && v <= 4294967295 : ['main', 'local', 'default'].includes(v) || /^[1-9][0-9]*$/.test(v);
    if (!ok) ctx.addIssue({ code: 'custom', message: expected('a routing table: a number from 1 to 4294967295 or main, local, default', v), input: v });
  });

export const RouteSchema = z
  .strictObject({
    network: z.union([z.literal(''), network()]).optional().describe('Destination in CIDR form; empty or 0.0.0.0/0 for a default route.'),
    gateway: z.union([z.literal(''), ip('a gateway IP address')]).optional().describe('Next hop; empty for a link-scope route.'),
    source: z.union([z.literal(''), ip('a source IP address')]).optional().describe('Preferred source address.'),
    metric: uint32('a route metric from 0 to 4294967295').optional().describe('Route priority; 0 means 1024.'),
    mtu: uint32('a route MTU from 0 to 4294967295').optional().describe('Route MTU (RTAX_MTU).'),
    table: routeTable.optional().describe('netcfg extension: routing table, a number or main/local/default (default main).'),
  })
  .superRefine((r, ctx) => {
    const hasNetwork = typeof r.network === 'string' && r.network !== '';
    const hasGateway = typeof r.gateway === 'string' && r.gateway !== '';
    if (!hasNetwork && !hasGateway) {
      ctx.addIssue({ code: 'custom', message: 'a route needs a network, a gateway, or both', path: [] });
      return;
    }
    // Families, when the fields are valid (their own checks report them otherwise).
    const network = hasNetwork ? prefixFamily(r.network as string) : undefined;
    const gateway = hasGateway ? ipFamily(r.gateway as string) : undefined;
    const source = typeof r.source === 'string' && r.source !== '' ? ipFamily(r.source) : undefined;
    const name = (f: string) => (f === 'inet4' ? 'IPv4' : 'IPv6');
    // An IPv4 route may use an IPv6 gateway (RFC 5549); everything else must agree.
    if (network === 'inet6' && gateway === 'inet4') {
      ctx.addIssue({ code: 'custom', message: `gateway is IPv4 but network is IPv6`, path: ['gateway'] });
    }
    const reference = network ? ['network', network] : gateway ? ['gateway', gateway] : undefined;
    if (reference && source && source !== reference[1]) {
      ctx.addIssue({ code: 'custom', message: `source is ${name(source)} but ${reference[0]} is ${name(reference[1]!)}`, path: ['source'] });
    }
  }, { when: () => true });

/** Fields of a device that netcfg parses but does not act on yet. */
export const PENDING_DEVICE_FIELDS = ['deviceSelector', 'bond', 'bridge', 'bridgePort', 'vlans', 'dhcp', 'dhcpOptions', 'dummy', 'wireguard', 'vip'] as const;

export const DeviceSchema = z
  .strictObject({
    interface: linkName().optional().describe('Link name, alias or altname.'),
    addresses: list(ipOrCidr(), 'a list of addresses').optional().describe('Static addresses, CIDR or bare IP (/32, /128).'),
    cidr: ipOrCidr().optional().describe('Legacy single address; use addresses.'),
    routes: list(RouteSchema, 'a list of routes').optional(),
    mtu: int(0, 65536, 'an MTU: 0 (leave as is) or 68 to 65536').refine((v) => v === 0 || v >= 68, { error: (iss) => expected('an MTU: 0 (leave as is) or 68 to 65536', iss.input) }).optional(),
    ignore: bool().optional().describe('Leave this link alone entirely.'),
    deviceSelector: z.unknown().optional(),
    bond: z.unknown().optional(),
    bridge: z.unknown().optional(),
    bridgePort: z.unknown().optional(),
    vlans: z.unknown().optional(),
    dhcp: z.unknown().optional(),
    dhcpOptions: z.unknown().optional(),
    dummy: z.unknown().optional(),
    wireguard: z.unknown().optional(),
    vip: z.unknown().optional(),
  })
  .superRefine((d, ctx) => {
    if (d.ignore === true) return;
    if (d.interface === undefined && d.deviceSelector === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a device needs "interface" (or "deviceSelector")', path: [] });
    }
    if (d.interface !== undefined && d.deviceSelector !== undefined) {
      ctx.addIssue({ code: 'custom', message: '"interface" and "deviceSelector" are mutually exclusive', path: ['deviceSelector'] });
    }
    if (d.cidr !== undefined && d.addresses !== undefined) {
      ctx.addIssue({ code: 'custom', message: '"cidr" and "addresses" are mutually exclusive; move the cidr into addresses', path: ['cidr'] });
    }
  }, { when: () => true });

export const NetworkSchema = z.strictObject({
  interfaces: list(DeviceSchema, 'a list of interfaces').optional(),
  hostname: z.unknown().optional(),
  nameservers: z.unknown().optional(),
  searchDomains: z.unknown().optional(),
  disableSearchDomain: z.unknown().optional(),
  extraHostEntries: z.unknown().optional(),
  kubespan: z.unknown().optional(),
});

export const MachineSchema = z.looseObject({
  type: str('a machine type').optional(),
  network: NetworkSchema.optional(),
});

export const MachineConfigSchema = z.looseObject({
  version: z.literal('v1alpha1', { error: (iss) => expected('"v1alpha1"', iss.input) }).optional(),
  machine: MachineSchema.optional(),
  cluster: z.unknown().optional(),
});

export type RouteConfig = z.infer<typeof RouteSchema>;
export type DeviceConfig = z.infer<typeof DeviceSchema>;
export type NetworkConfig = z.infer<typeof NetworkSchema>;
export type MachineConfig = z.infer<typeof MachineConfigSchema>;

/** Route table as a kernel number. */
export function tableNumber(table: RouteConfig['table']): number {
  if (table === undefined) return 254;
  if (typeof table === 'number') return table;
  return RoutingTable.number(table) ?? 254;
}
