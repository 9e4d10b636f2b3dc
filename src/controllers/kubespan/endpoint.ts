// KubeSpanEndpointController: kubespan/KubeSpanEndpoint `<public key>` (Talos
// controllers/kubespan/endpoint.go, spec §7.7): for each peer that is up, the
// endpoint WireGuard talks to it on, with the affiliate it belongs to. With
// harvestExtraEndpoints the discovery client reports them for those
// affiliates, so that other nodes can try them too (Talos makes these
// resources only then; netcfg always shows them: they are what works).
import { harvestedEndpoints } from '../../kubespan/routed.js';
import { CLUSTER_NS, CT, type KubeSpanEndpointSpec, type KubeSpanPeerSpecSpec, type KubeSpanPeerStatusSpec } from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';

export class KubeSpanEndpointController implements Controller {
  readonly name = 'KubeSpanEndpointController';
  readonly inputs = [
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanPeerStatus },
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanPeerSpec },
  ];
  readonly outputs = [{ namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanEndpoint, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const statuses = new Map(ctx.list<KubeSpanPeerStatusSpec>(CLUSTER_NS.kubespan, CT.KubeSpanPeerStatus).map((r) => [r.metadata.id, r.spec]));
    const affiliateOf = new Map<string, string>();
    for (const r of ctx.list<KubeSpanPeerSpecSpec>(CLUSTER_NS.kubespan, CT.KubeSpanPeerSpec)) if (r.spec.affiliateId !== '') affiliateOf.set(r.metadata.id, r.spec.affiliateId);
    const desired = new Map<string, KubeSpanEndpointSpec>();
    for (const e of harvestedEndpoints(statuses, affiliateOf)) desired.set(e.publicKey, { endpoint: e.endpoint, affiliateId: e.affiliateId });
    syncOutputs(ctx, this.name, CLUSTER_NS.kubespan, CT.KubeSpanEndpoint, desired);
  }
}
