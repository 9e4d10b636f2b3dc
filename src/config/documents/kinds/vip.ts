// Layer2VIPConfig and HCloudVIPConfig: a shared IP on a link (talos-multidoc.md §3.11); the name is the IP.
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { text, type Problem } from '../fields.js';
import { ipFamily } from '../../../net/ip.js';

const vipFields = () => ({
  name: nameField('The shared IP address (IPv4 or IPv6).'),
  link: text('a link name').optional().describe('The link that holds the IP (name, alias or altname).'),
});

export const Layer2VIPConfigSchema = documentSchema('Layer2VIPConfig', 'A shared IP announced with gratuitous ARP by the elected control-plane node.', vipFields);
export const HCloudVIPConfigSchema = documentSchema('HCloudVIPConfig', 'A Hetzner Cloud floating IP moved to the elected control-plane node through the Hetzner API.', () => ({
  ...vipFields(),
  apiToken: text('an API token').optional().describe('Hetzner Cloud API token. Secret.'),
}));

export type Layer2VIPConfigSpec = z.infer<typeof Layer2VIPConfigSchema>;
export type HCloudVIPConfigSpec = z.infer<typeof HCloudVIPConfigSchema>;

function validate(d: Layer2VIPConfigSpec | HCloudVIPConfigSpec): Problem[] {
  const out: Problem[] = [];
  if (d.name === undefined || d.name === '') out.push({ path: ['name'], message: 'name must be specified' });
  else if (!ipFamily(d.name)) out.push({ path: ['name'], message: `name must be a valid IP address: ParseAddr(${JSON.stringify(d.name)}): unable to parse IP` });
  if (d.link === undefined || d.link === '') out.push({ path: [], message: 'link must be specified' });
  if (d.kind === 'HCloudVIPConfig') {
    const token = (d as HCloudVIPConfigSpec).apiToken;
    if (token === undefined || token === '') out.push({ path: [], message: 'apiToken must be specified' });
  }
  return out;
}

// OperatorSpecs (as v1alpha1 `vip` is): the daemon's VIP operator runs the election
const use = { applied: true } as const;

export const layer2VIPConfig = defineKind<Layer2VIPConfigSpec>({ kind: 'Layer2VIPConfig', schema: Layer2VIPConfigSchema, validate, use });
export const hcloudVIPConfig = defineKind<HCloudVIPConfigSpec>({ kind: 'HCloudVIPConfig', schema: HCloudVIPConfigSchema, validate, use });
