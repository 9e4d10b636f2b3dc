// KubeSpanConfig and KubeSpanEndpointsConfig (talos-multidoc.md §3.22, §3.23): read through the accessors (container.ts).
import { z } from 'zod';
import { defineKind, documentSchema, rawAt } from '../definition.js';
import { addrPort, bool, list, prefix, text, uint32, type Problem } from '../fields.js';
import { ipFamily, prefixFamily } from '../../../net/ip.js';

export const KubeSpanConfigSchema = documentSchema('KubeSpanConfig', 'KubeSpan: a WireGuard mesh between cluster nodes (needs cluster discovery).', () => ({
  enabled: bool().optional(),
  advertiseKubernetesNetworks: bool().optional(),
  allowDownPeerBypass: bool().optional(),
  harvestExtraEndpoints: bool().optional(),
  mtu: uint32('mtu').optional().describe('KubeSpan link MTU (default 1420, at least 1280).'),
  filters: z
    .strictObject({
      endpoints: list(text('an endpoint filter'), 'a list of endpoint filters').optional().describe('CIDRs or IPs, "!" negates; in order.'),
      excludeAdvertisedNetworks: list(prefix('network'), 'a list of prefixes').optional(),
    })
    .optional(),
}));

export const KubeSpanEndpointsConfigSchema = documentSchema('KubeSpanEndpointsConfig', 'Extra KubeSpan endpoints to announce (e.g. a NAT mapping).', () => ({
  extraAnnouncedEndpoints: list(addrPort('endpoint'), 'a list of ip:port endpoints').optional(),
}));

export type KubeSpanConfigSpec = z.infer<typeof KubeSpanConfigSchema>;
export type KubeSpanEndpointsConfigSpec = z.infer<typeof KubeSpanEndpointsConfigSchema>;

export const KUBESPAN_MIN_MTU = 1280;

export const kubeSpanConfig = defineKind<KubeSpanConfigSpec>({
  kind: 'KubeSpanConfig',
  schema: KubeSpanConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    if (d.mtu !== undefined && d.mtu !== 0 && d.mtu < KUBESPAN_MIN_MTU) out.push({ path: ['mtu'], message: 'kubespan link MTU must be at least 1280' });
    d.filters?.endpoints?.forEach((e, i) => {
      const v = e.startsWith('!') ? e.slice(1) : e;
      if (!(v.includes('/') ? prefixFamily(v) : ipFamily(v))) out.push({ path: ['filters', 'endpoints', i], message: `KubeSpan endpoint filter is not valid: "${v}"` });
    });
    return out;
  },
  v1alpha1Conflicts: (_d, machine) => (rawAt(machine, 'machine', 'network', 'kubespan') !== undefined ? [{ path: [], message: 'kubespan is already configured in v1alpha1 machine.network.kubespan' }] : []),
  use: { applied: 'accessor' },
});

export const kubeSpanEndpointsConfig = defineKind<KubeSpanEndpointsConfigSpec>({ kind: 'KubeSpanEndpointsConfig', schema: KubeSpanEndpointsConfigSchema, use: { applied: 'accessor' } });
