// DHCPv4Config and DHCPv6Config: a DHCP client on a link (talos-multidoc.md §3.10).
import { z } from 'zod';
import { nameField, requireName } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { bool, enumOf, hwaddr, uint32, type Problem } from '../fields.js';

export const CLIENT_IDENTIFIERS = ['none', 'mac', 'duid'] as const;

const dhcpFields = () => ({
  name: nameField('The link to run DHCP on (name, alias or altname).'),
  routeMetric: uint32('routeMetric').optional().describe('Metric of DHCP routes (default 1024).'),
  ignoreHostname: bool().optional().describe('Neither request nor use a hostname from the server.'),
  clientIdentifier: enumOf(CLIENT_IDENTIFIERS, 'ClientIdentifier').optional().describe('none, mac (default) or duid.'),
  duidRaw: hwaddr('duidRaw').optional().describe('Raw DUID (hex bytes), only with clientIdentifier: duid.'),
});

export const DHCPv4ConfigSchema = documentSchema('DHCPv4Config', 'Runs a DHCPv4 client on a link.', () => ({
  ...dhcpFields(),
  ignoreRoutes: bool().optional().describe('Ignore the router and classless-route options (the lease\'s subnet route stays).'),
}));

export const DHCPv6ConfigSchema = documentSchema('DHCPv6Config', 'Runs a DHCPv6 client on a link.', dhcpFields);

export type DHCPv4ConfigSpec = z.infer<typeof DHCPv4ConfigSchema>;
export type DHCPv6ConfigSpec = z.infer<typeof DHCPv6ConfigSchema>;

function validate(d: DHCPv4ConfigSpec | DHCPv6ConfigSpec): Problem[] {
  const out: Problem[] = [...requireName(d.name)];
  const duid = d.clientIdentifier === 'duid';
  const raw = d.duidRaw !== undefined && d.duidRaw !== '';
  if (raw && !duid) out.push({ path: ['duidRaw'], message: "duidRaw can only be set if clientIdentifier is 'duid'" });
  if (duid && !raw) out.push({ path: ['clientIdentifier'], message: "duidRaw must be set if clientIdentifier is 'duid'" });
  return out;
}

export const dhcpv4Config = defineKind<DHCPv4ConfigSpec>({ kind: 'DHCPv4Config', schema: DHCPv4ConfigSchema, validate, use: { applied: true } });
export const dhcpv6Config = defineKind<DHCPv6ConfigSpec>({ kind: 'DHCPv6Config', schema: DHCPv6ConfigSchema, validate, use: { applied: true } });
