// The parts of a v1alpha1 machine config around machine.network: machine.type,
// machine.env, cluster.id/secret/discovery and cluster.network's pod and service
// subnets (for the ingress firewall). Every other Talos section is
// known by name (accepted, ignored with one informational line); anything else
// is an unknown key.
import { z } from 'zod';
import { bool, cidr, expected, int, list, oneOf, str } from '../fields.js';
import { NetworkSchema } from './network.js';
import { CA_BUNDLE_PATHS, DEFAULT_DISCOVERY_ENDPOINT, UNUSED_CLUSTER_KEYS, UNUSED_MACHINE_KEYS } from '../defaults.js';

export { CA_BUNDLE_PATHS, DEFAULT_DISCOVERY_ENDPOINT, UNUSED_CLUSTER_KEYS, UNUSED_MACHINE_KEYS };

const ignored = <K extends readonly string[]>(keys: K) => Object.fromEntries(keys.map((k) => [k, z.unknown().optional()])) as { [P in K[number]]: z.ZodOptional<z.ZodUnknown> };

export const MACHINE_TYPES = ['controlplane', 'worker', 'init', 'join'] as const;

const urlProblem = (v: string): string | undefined => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `scheme ${u.protocol} is not http or https`;
  if (u.pathname !== '' && u.pathname !== '/') return 'the discovery service URL must have no path';
  return undefined;
};

export const DiscoverySchema = z
  .strictObject({
    enabled: bool().optional(),
    registries: z
      .strictObject({
        kubernetes: z.strictObject({ disabled: bool().optional() }).optional(),
        service: z
          .strictObject({
            disabled: bool().optional(),
            endpoint: str('a URL')
              .superRefine((v, ctx) => {
                const problem = urlProblem(v);
                if (problem) ctx.addIssue({ code: 'custom', message: `invalid discovery service endpoint "${v}": ${problem}`, input: v });
              })
              .optional()
              .describe(`Discovery service URL (default ${DEFAULT_DISCOVERY_ENDPOINT}).`),
          })
          .optional(),
      })
      .optional(),
  })
  .describe('Cluster discovery (node identity, affiliates) for KubeSpan.');

const clusterSecret = str('a cluster secret (base64 of 32 bytes)').superRefine((v, ctx) => {
  const ok = /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0 && Buffer.from(v, 'base64').length === 32;
  if (!ok) ctx.addIssue({ code: 'custom', message: 'invalid cluster secret: expected standard base64 of exactly 32 bytes (as talosctl gen secrets writes)', input: '[redacted]' });
});

export const ClusterSchema = z.strictObject({
  id: str('a cluster ID')
    .superRefine((v, ctx) => {
      if (v.length === 0 || Buffer.byteLength(v) > 256) ctx.addIssue({ code: 'custom', message: `invalid cluster ID: expected 1 to 256 bytes, got ${Buffer.byteLength(v)}` });
    })
    .optional(),
  secret: clusterSecret.optional(),
  discovery: DiscoverySchema.optional(),
  network: z
    .looseObject({
      podSubnets: list(cidr('pod subnet'), 'a list of subnets').optional(),
      serviceSubnets: list(cidr('service subnet'), 'a list of subnets').optional(),
    })
    .optional()
    .describe("Kubernetes' pod and service subnets: in block mode the ingress firewall accepts traffic between them, as Talos does. The other keys (cni, dnsDomain) are ignored."),
  ...ignored(UNUSED_CLUSTER_KEYS),
});

export const MachineFileSchema = z
  .strictObject({
    content: str('the file content').optional(),
    permissions: int(0, 0o7777, 'file permissions (e.g. 0644)').optional(),
    path: str('an absolute path').optional(),
    op: oneOf(['create', 'append', 'overwrite'] as const, 'file op', false).optional(),
  })
  .describe('A file Talos writes. netcfg writes none: it reads PEM certificates added to the CA bundle path as extra trust roots of the discovery client.');

export const MachineSchema = z.strictObject({
  type: oneOf(MACHINE_TYPES, 'machine type', false).optional().describe('controlplane or worker (a VIP needs controlplane).'),
  env: z
    .record(z.string(), str('an environment value'), { error: (iss) => expected('a mapping of environment variables to strings', iss.input) })
    .optional()
    .describe('Environment: http_proxy, https_proxy and no_proxy are used to reach the discovery service.'),
  network: NetworkSchema.optional(),
  files: list(MachineFileSchema, 'a list of files').optional(),
  ...ignored(UNUSED_MACHINE_KEYS),
});

export const TopSchema = z.strictObject({
  version: z.literal('v1alpha1', { error: (iss) => expected('"v1alpha1"', iss.input) }).optional(),
  debug: z.unknown().optional(),
  persist: z.unknown().optional(),
  machine: MachineSchema.optional(),
  cluster: ClusterSchema.optional(),
});
