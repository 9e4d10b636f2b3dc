// AffiliateMergeController (Talos controllers/cluster/affiliate_merge.go): the
// raw affiliates of every registry (cluster-raw, `service/<nodeId>`), grouped by
// node ID in sorted-ID order and merged into cluster/Affiliate `<nodeId>`; this
// node's own affiliate is LocalAffiliateController's.
import { CLUSTER_NS, CT, LOCAL_IDENTITY_ID, type AffiliateSpec, type NodeIdentitySpec } from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { compareText } from '../../util/compare.js';
import { syncOutputs } from '../sync.js';

function union(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

/** AffiliateSpec.Merge: unions keep first-seen order, non-empty values overwrite, the OS keeps the first. */
export function mergeAffiliate(base: AffiliateSpec, other: AffiliateSpec): AffiliateSpec {
  const out: AffiliateSpec = { ...base, addresses: union(base.addresses, other.addresses) };
  if (other.hostname !== '') out.hostname = other.hostname;
  if (other.nodename !== '') out.nodename = other.nodename;
  if (other.machineType !== 'unknown') out.machineType = other.machineType;
  if (other.controlPlane) out.controlPlane = { ...other.controlPlane };
  if (other.kubespan) {
    const k = base.kubespan;
    out.kubespan = k
      ? {
          publicKey: other.kubespan.publicKey !== '' ? other.kubespan.publicKey : k.publicKey,
          address: other.kubespan.address !== '' ? other.kubespan.address : k.address,
          additionalAddresses: union(k.additionalAddresses, other.kubespan.additionalAddresses),
          endpoints: union(k.endpoints, other.kubespan.endpoints),
          excludeAdvertisedNetworks: union(k.excludeAdvertisedNetworks, other.kubespan.excludeAdvertisedNetworks),
        }
      : { ...other.kubespan };
  }
  return out;
}

export class AffiliateMergeController implements Controller {
  readonly name = 'AffiliateMergeController';
  readonly inputs = [
    { namespace: CLUSTER_NS.clusterRaw, type: CT.Affiliate },
    { namespace: CLUSTER_NS.cluster, type: CT.NodeIdentity },
  ];
  readonly outputs = [{ namespace: CLUSTER_NS.cluster, type: CT.Affiliate, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const self = ctx.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID)?.spec.nodeId;
    const merged = new Map<string, AffiliateSpec>();
    const raw = ctx.list<AffiliateSpec>(CLUSTER_NS.clusterRaw, CT.Affiliate).sort((a, b) => compareText(a.metadata.id, b.metadata.id));
    for (const r of raw) {
      const id = r.spec.nodeId;
      if (id === '' || id === self) continue;
      const base = merged.get(id);
      merged.set(id, base ? mergeAffiliate(base, r.spec) : r.spec);
    }
    syncOutputs(ctx, this.name, CLUSTER_NS.cluster, CT.Affiliate, merged);
  }
}
