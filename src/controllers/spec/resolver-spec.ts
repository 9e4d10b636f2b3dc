// ResolverSpecController: the merged ResolverSpec becomes the ResolverStatus
// (consumed by the resolv.conf writer).
import { NS } from '../../resources/resource.js';
import { T, type ResolverSpec, type ResolverStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';

export class ResolverSpecController implements Controller {
  readonly name = 'ResolverSpecController';
  readonly inputs = [{ namespace: NS.network, type: T.ResolverSpec }];
  readonly outputs = [{ namespace: NS.network, type: T.ResolverStatus, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const spec = ctx.get<ResolverSpec>(NS.network, T.ResolverSpec, 'resolvers');
    if (!spec || spec.metadata.phase !== 'running') {
      if (ctx.teardown(NS.network, T.ResolverStatus, 'resolvers')) ctx.destroy(NS.network, T.ResolverStatus, 'resolvers');
      return;
    }
    const status: ResolverStatus = { dnsServers: spec.spec.dnsServers, searchDomains: spec.spec.searchDomains };
    if (spec.spec.encrypted) status.encrypted = spec.spec.encrypted;
    ctx.put(NS.network, T.ResolverStatus, 'resolvers', status);
  }
}
