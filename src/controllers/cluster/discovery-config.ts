// DiscoveryConfigController: config/DiscoveryConfig `cluster` (Talos
// controllers/cluster/config.go): the services (v1alpha1 cluster.discovery as
// "legacy" when it yields one, else every DiscoveryServiceConfig document), the
// identity (cluster.id/secret when set, else the DiscoveryIdentityConfig), the
// deprecated Kubernetes registry (noted, not run), machine.type, the proxy
// settings of machine.env (over talos.environment= on the kernel command
// line), and PEM certificates that machine.files adds to the CA bundle.
// Unlike Talos (which needs a v1alpha1 document for it, being incomplete for
// boot otherwise), documents alone configure discovery: netcfg has no
// maintenance mode.
import type { CmdlineNetwork } from '../../config/cmdline.js';
import type { MachineConfig } from '../../config/schema.js';
import { CA_BUNDLE_PATHS } from '../../config/defaults.js';
import { ConfigContainer } from '../../config/container.js';
import { DocumentsInput, configContainer } from '../config/documents.js';
import { NS } from '../../resources/resource.js';
import { T } from '../../resources/network/types.js';
import { CLUSTER_NS, CT, type DiscoveryConfigSpec, type DiscoveryServiceEndpoint } from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { CMDLINE_ID } from '../config/cmdline.js';
import { MachineConfigInput, machineConfig } from '../config/machine-config.js';

export const DISCOVERY_CONFIG_ID = 'cluster';
const DEFAULT_API_SERVER_PORT = 6443;

/** Environment variables: uppercase first, as Go's httpproxy reads them. */
function envValue(env: Record<string, string>, name: string): string {
  return env[name.toUpperCase()] ?? env[name] ?? '';
}

export function discoveryConfigFrom(config: MachineConfig | undefined, cmdline: CmdlineNetwork | undefined, container = new ConfigContainer(config, [])): DiscoveryConfigSpec {
  const discovery = config?.cluster?.discovery;
  const on = discovery?.enabled === true;
  const services: DiscoveryServiceEndpoint[] = container.discoveryServices();
  const identity = container.discoveryIdentity();
  const kubernetes = discovery?.registries?.kubernetes;
  const env = { ...(cmdline?.environment ?? {}), ...(config?.machine?.env ?? {}) };
  const extraCAs = (config?.machine?.files ?? [])
    .filter((f) => f.path !== undefined && (CA_BUNDLE_PATHS as readonly string[]).includes(f.path) && (f.content ?? '').includes('-----BEGIN CERTIFICATE-----'))
    .map((f) => f.content!)
    .join('\n');
  const type = config?.machine?.type;
  const machineType = type === 'controlplane' || type === 'init' ? 'controlplane' : type === 'worker' || type === 'join' ? 'worker' : 'unknown';
  const controlPlane = config?.cluster?.controlPlane as { localAPIServerPort?: unknown } | undefined;
  const port = typeof controlPlane?.localAPIServerPort === 'number' ? controlPlane.localAPIServerPort : DEFAULT_API_SERVER_PORT;
  return {
    enabled: services.length > 0,
    services,
    clusterId: identity?.clusterId ?? '',
    clusterSecret: identity?.clusterSecret ?? '',
    kubernetesRegistry: on && kubernetes !== undefined && kubernetes.disabled !== true,
    proxy: { httpsProxy: envValue(env, 'https_proxy'), httpProxy: envValue(env, 'http_proxy'), noProxy: envValue(env, 'no_proxy') },
    extraCAs,
    machineType,
    apiServerPort: machineType === 'controlplane' ? port : 0,
  };
}

export class DiscoveryConfigController implements Controller {
  readonly name = 'DiscoveryConfigController';
  readonly inputs = [MachineConfigInput, DocumentsInput, { namespace: NS.config, type: T.Cmdline }];
  readonly outputs = [{ namespace: CLUSTER_NS.config, type: CT.DiscoveryConfig, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const cmdline = ctx.get<CmdlineNetwork>(NS.config, T.Cmdline, CMDLINE_ID)?.spec;
    ctx.put(CLUSTER_NS.config, CT.DiscoveryConfig, DISCOVERY_CONFIG_ID, discoveryConfigFrom(machineConfig(ctx), cmdline, configContainer(ctx)));
  }
}
