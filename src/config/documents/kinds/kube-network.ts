// KubeNetworkConfig: Kubernetes' pod and service subnets and DNS domain, the
// document form of v1alpha1 cluster.network. netcfg reads the subnets through
// ConfigContainer.kubernetesNetwork(): the ingress firewall lets traffic between
// them pass in block mode and lets pods reach host DNS; the families of the pod
// subnets choose host DNS' service addresses. Rules as Talos' Validate().
import { z } from 'zod';
import { formatPrefix, hasHostBits, parsePrefix } from '../../../net/ip.js';
import { defineKind, documentSchema, rawAt } from '../definition.js';
import { list, prefix, text, type Problem } from '../fields.js';

export const KubeNetworkConfigSchema = documentSchema('KubeNetworkConfig', "Kubernetes' base network: pod and service subnets, DNS domain.", () => ({
  dnsDomain: text('a DNS domain').optional().describe('The domain of Kubernetes DNS (default cluster.local). Not used by netcfg.'),
  podSubnets: list(prefix('pod subnet')).optional().describe('The pod subnet (CIDR): one, or one per family for dual-stack.'),
  serviceSubnets: list(prefix('service subnet')).optional().describe('The service subnet (CIDR): one, or one per family for dual-stack.'),
}));

export type KubeNetworkConfigSpec = z.infer<typeof KubeNetworkConfigSchema>;

/** Talos' validateSubnets: 1 or 2 subnets, masked, at least 4 host bits, at most one per family. */
function subnetProblems(subnets: readonly string[]): string | undefined {
  if (subnets.length === 0) return 'at least one subnets must be specified';
  if (subnets.length > 2) return 'at most two subnets can be specified for dual-stack clusters';
  const count = { inet4: 0, inet6: 0 };
  for (const s of subnets) {
    const p = parsePrefix(s);
    if (!p) return `invalid subnet: ${s}`; // the decoder rejects it first
    if (hasHostBits(p)) return `invalid subnet: ${formatPrefix(p)} is not a valid CIDR`;
    count[p.family]++;
    const hostBits = (p.family === 'inet4' ? 32 : 128) - p.bits;
    if (hostBits < 4) return `invalid subnet: ${formatPrefix(p)} is too small, it must be at least /4 IPs`;
  }
  if (count.inet4 > 1 || count.inet6 > 1) return 'at most one IPv4 and one IPv6 subnet can be specified for dual-stack clusters';
  return undefined;
}

export const kubeNetworkConfig = defineKind<KubeNetworkConfigSpec>({
  kind: 'KubeNetworkConfig',
  schema: KubeNetworkConfigSchema,
  validate(d): Problem[] {
    const out: Problem[] = [];
    const pods = d.podSubnets ?? [];
    const services = d.serviceSubnets ?? [];
    const podProblem = subnetProblems(pods);
    // Talos says "pod subnets: …"; the path names the field here
    if (podProblem) out.push({ path: ['podSubnets'], message: podProblem });
    const serviceProblem = subnetProblems(services);
    if (serviceProblem) out.push({ path: ['serviceSubnets'], message: serviceProblem });
    if (pods.length !== services.length) out.push({ path: [], message: 'the number of pod subnets must match the number of service subnets' });
    return out;
  },
  v1alpha1Conflicts: (_d, machine) =>
    rawAt(machine, 'cluster', 'network') !== undefined
      ? [{ path: [], message: "cluster network config in v1alpha1 config (.cluster.network) can't be used with KubeNetworkConfig document, please remove it to avoid conflicts" }]
      : [],
  use: { applied: 'accessor' },
});
