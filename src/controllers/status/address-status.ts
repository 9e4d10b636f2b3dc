// AddressStatusController: one AddressStatus per kernel address (ID <link>/<prefix>),
// from a full re-list on each address or link event; link names from the link statuses.
import { addressOf } from '../../netlink/rtnetlink/address.js';
import { NS } from '../../resources/resource.js';
import { Scope, addressFlagsText } from '../../resources/network/enums.js';
import { T, type AddressStatus, type LinkStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { syncOutputs } from '../sync.js';

export class AddressStatusController implements Controller {
  readonly name = 'AddressStatusController';
  readonly inputs = [{ namespace: NS.network, type: T.LinkStatus }];
  readonly outputs = [{ namespace: NS.network, type: T.AddressStatus, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const names = new Map<number, string>();
    for (const l of ctx.list<LinkStatus>(NS.network, T.LinkStatus)) names.set(l.spec.index, l.metadata.id);
    const desired = new Map<string, AddressStatus>();
    for (const a of await this.kernel.listAddresses()) {
      const ip = addressOf(a);
      if (ip === undefined) continue;
      const linkName = names.get(a.index) ?? '';
      const status: AddressStatus = {
        address: `${ip}/${a.prefixLen}`,
        local: a.local ?? '',
        broadcast: a.broadcast ?? '',
        linkIndex: a.index,
        linkName,
        family: a.family,
        scope: Scope.name(a.scope),
        flags: addressFlagsText(a.flags),
        priority: a.priority ?? 0,
      };
      desired.set(`${linkName}/${status.address}`, status);
    }
    syncOutputs(ctx, this.name, NS.network, T.AddressStatus, desired);
  }
}
