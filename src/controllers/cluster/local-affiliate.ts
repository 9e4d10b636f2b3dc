// LocalAffiliateController: this node's own affiliate, cluster/Affiliate
// `<nodeId>` (Talos controllers/cluster/local_affiliate.go), while discovery is
// enabled: node ID, node addresses, hostname (FQDN), node name (the short
// hostname), machine type, "netcfg (vX.Y.Z)", the control-plane API port, and
// KubeSpan data from the hook below.
import { NS } from '../../resources/resource.js';
import { T, type AddressStatus, type HostnameStatus, type LinkStatus } from '../../resources/network/types.js';
import {
  CLUSTER_NS,
  CT,
  LOCAL_IDENTITY_ID,
  type AffiliateKubeSpan,
  type AffiliateSpec,
  type DiscoveredAddressSpec,
  type DiscoveryConfigSpec,
  type NodeIdentitySpec,
} from '../../resources/cluster/types.js';
import type { Controller, Input, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { linkUp } from '../status/link-status.js';
import { DISCOVERY_CONFIG_ID } from './discovery-config.js';
import { nodeAddresses } from './node-addresses.js';

/** The public addresses discovery services saw this node at (cluster/AddressStatus). */
export const PUBLIC_IP_ID = 'service';

/**
 * Where the local affiliate's KubeSpan data comes from (issue 14 fills it from
 * the KubeSpan identity and config). `read` returns undefined while KubeSpan is
 * off or has no identity yet; its `endpoints` are what the node announces.
 */
export interface KubeSpanAffiliateSource {
  /** The resources `read` looks at: the controller is woken when they change. */
  readonly inputs: readonly Input[];
  read(ctx: ReconcileContext, node: { addresses: readonly string[]; publicIPs: readonly string[] }): AffiliateKubeSpan | undefined;
}

export class LocalAffiliateController implements Controller {
  readonly name = 'LocalAffiliateController';
  readonly inputs: Input[];
  readonly outputs = [{ namespace: CLUSTER_NS.cluster, type: CT.Affiliate, kind: 'shared' as const }];

  constructor(
    private readonly version: string,
    private readonly kubespan?: KubeSpanAffiliateSource,
  ) {
    this.inputs = [
      { namespace: CLUSTER_NS.cluster, type: CT.NodeIdentity },
      { namespace: CLUSTER_NS.config, type: CT.DiscoveryConfig },
      { namespace: CLUSTER_NS.cluster, type: CT.AddressStatus },
      { namespace: NS.network, type: T.AddressStatus },
      { namespace: NS.network, type: T.LinkStatus },
      { namespace: NS.network, type: T.HostnameStatus },
      ...(kubespan?.inputs ?? []),
    ];
  }

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, AffiliateSpec>();
    const config = ctx.get<DiscoveryConfigSpec>(CLUSTER_NS.config, CT.DiscoveryConfig, DISCOVERY_CONFIG_ID)?.spec;
    const identity = ctx.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID)?.spec;
    if (config?.enabled && identity) {
      const up = new Set(
        ctx
          .list<LinkStatus>(NS.network, T.LinkStatus)
          .filter((r) => linkUp(r.spec))
          .map((r) => r.metadata.id),
      );
      const addresses = nodeAddresses(
        ctx.list<AddressStatus>(NS.network, T.AddressStatus).map((r) => r.spec),
        up,
      );
      const names = ctx.get<HostnameStatus>(NS.network, T.HostnameStatus, 'hostname')?.spec;
      const publicIPs = ctx.list<DiscoveredAddressSpec>(CLUSTER_NS.cluster, CT.AddressStatus).map((r) => r.spec.address.replace(/\/\d+$/, ''));
      const spec: AffiliateSpec = {
        nodeId: identity.nodeId,
        addresses,
        hostname: names ? (names.domainname ? `${names.hostname}.${names.domainname}` : names.hostname) : '',
        nodename: names?.hostname ?? '',
        operatingSystem: `netcfg (v${this.version})`,
        machineType: config.machineType,
      };
      const kubespan = this.kubespan?.read(ctx, { addresses, publicIPs });
      if (kubespan) spec.kubespan = kubespan;
      if (config.machineType === 'controlplane' && config.apiServerPort > 0) spec.controlPlane = { apiServerPort: config.apiServerPort };
      desired.set(identity.nodeId, spec);
    }
    syncOutputs(ctx, this.name, CLUSTER_NS.cluster, CT.Affiliate, desired);
  }
}
