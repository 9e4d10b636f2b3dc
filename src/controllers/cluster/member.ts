// MemberController (Talos controllers/cluster/member.go): every affiliate with
// a node name, this node's included, becomes cluster/Member `<nodename>`.
import { CLUSTER_NS, CT, type AffiliateSpec, type MemberSpec } from '../../resources/cluster/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { compareText } from '../../util/compare.js';
import { syncOutputs } from '../sync.js';

export function memberOf(a: AffiliateSpec): MemberSpec {
  const m: MemberSpec = { nodeId: a.nodeId, addresses: [...a.addresses], hostname: a.hostname, machineType: a.machineType, operatingSystem: a.operatingSystem };
  if (a.controlPlane) m.controlPlane = { ...a.controlPlane };
  return m;
}

export class MemberController implements Controller {
  readonly name = 'MemberController';
  readonly inputs = [{ namespace: CLUSTER_NS.cluster, type: CT.Affiliate }];
  readonly outputs = [{ namespace: CLUSTER_NS.cluster, type: CT.Member, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const members = new Map<string, MemberSpec>();
    const affiliates = ctx.list<AffiliateSpec>(CLUSTER_NS.cluster, CT.Affiliate).sort((a, b) => compareText(a.metadata.id, b.metadata.id));
    for (const a of affiliates) if (a.spec.nodename !== '') members.set(a.spec.nodename, memberOf(a.spec));
    syncOutputs(ctx, this.name, CLUSTER_NS.cluster, CT.Member, members);
  }
}
