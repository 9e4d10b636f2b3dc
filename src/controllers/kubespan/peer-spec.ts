// KubeSpanPeerSpecController: kubespan/KubeSpanPeerSpec `<public key>` (Talos
// controllers/kubespan/peer_spec.go, spec §7.4) while KubeSpan is enabled: one
// peer per other affiliate with KubeSpan data, its allowed IPs the advertised
// networks and node addresses minus the networks it excludes, plus its
// KubeSpan address; ranges an earlier peer (by affiliate ID) already has are
// taken from the later one, with a warning ("peer address overlap").
import { peerSpecs, type KubespanAffiliate, type PeerOverlap } from '../../kubespan/peers.js';
import {
  CLUSTER_NS,
  CT,
  KUBESPAN_CONFIG_ID,
  LOCAL_IDENTITY_ID,
  type AffiliateSpec,
  type KubeSpanConfigSpec,
  type KubeSpanPeerSpecSpec,
  type NodeIdentitySpec,
} from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';

export function kubespanAffiliateOf(a: AffiliateSpec): KubespanAffiliate {
  const out: KubespanAffiliate = { id: a.nodeId, nodename: a.nodename, addresses: a.addresses };
  if (a.kubespan) out.kubespan = a.kubespan;
  return out;
}

/** The peer specs of a set of affiliates, by public key, with what to warn about. */
export function peerSpecsOf(affiliates: readonly AffiliateSpec[], localId: string): { peers: Map<string, KubeSpanPeerSpecSpec>; overlaps: PeerOverlap[]; invalid: Array<{ id: string; error: string }> } {
  const idOf = new Map<string, string>();
  for (const a of affiliates) if (a.kubespan) idOf.set(a.kubespan.publicKey, a.nodeId);
  const result = peerSpecs(affiliates.map(kubespanAffiliateOf), localId);
  const peers = new Map<string, KubeSpanPeerSpecSpec>();
  for (const p of result.peers) peers.set(p.publicKey, { ...p, affiliateId: '' });
  // the affiliate a spec came from (the later one wins a public key seen twice, as the spec does)
  for (const a of [...affiliates].sort((x, y) => (x.nodeId < y.nodeId ? -1 : x.nodeId > y.nodeId ? 1 : 0))) {
    const p = a.kubespan ? peers.get(a.kubespan.publicKey) : undefined;
    if (p && a.nodeId !== localId) p.affiliateId = a.nodeId;
  }
  return { peers, overlaps: result.overlaps, invalid: result.invalid };
}

export class KubeSpanPeerSpecController implements Controller {
  readonly name = 'KubeSpanPeerSpecController';
  readonly inputs = [
    { namespace: CLUSTER_NS.config, type: CT.KubeSpanConfig },
    { namespace: CLUSTER_NS.cluster, type: CT.NodeIdentity },
    { namespace: CLUSTER_NS.cluster, type: CT.Affiliate },
  ];
  readonly outputs = [{ namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanPeerSpec, kind: 'exclusive' as const }];
  /** What was last warned about, so a warning is said once per change. */
  private warned = '';

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = ctx.get<KubeSpanConfigSpec>(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID)?.spec;
    const self = ctx.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, LOCAL_IDENTITY_ID)?.spec.nodeId;
    let peers = new Map<string, KubeSpanPeerSpecSpec>();
    if (config?.enabled && self !== undefined) {
      const result = peerSpecsOf(
        ctx.list<AffiliateSpec>(CLUSTER_NS.cluster, CT.Affiliate).map((r) => r.spec),
        self,
      );
      peers = result.peers;
      const warnings = JSON.stringify([result.overlaps, result.invalid]);
      if (warnings !== this.warned) {
        for (const o of result.overlaps) ctx.log.warn({ peer: o.peer, label: o.label, overlapsWith: o.others, removed: o.removed, nothingLeft: o.empty }, 'KubeSpan peer address overlap: the ranges stay with the earlier peer (by affiliate ID)');
        for (const i of result.invalid) ctx.log.warn({ affiliate: i.id, err: i.error }, 'KubeSpan data of an affiliate does not parse; no peer for it');
        this.warned = warnings;
      }
    }
    syncOutputs(ctx, this.name, CLUSTER_NS.kubespan, CT.KubeSpanPeerSpec, peers);
  }
}
