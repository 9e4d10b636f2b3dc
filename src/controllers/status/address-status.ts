// AddressStatusController: one AddressStatus per kernel address (ID <link>/<prefix>).
import { addressOf } from '../../netlink/rtnetlink/address.js';
import { NS } from '../../resources/resource.js';
import { Scope, addressFlagsText } from '../../resources/network/enums.js';
import { T, type AddressStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel } from '../kernel.js';
import { syncOutputs } from '../sync.js';

export class AddressStatusController implements Controller {
  readonly name = 'AddressStatusController';
  readonly inputs = [];
  readonly outputs = [{ namespace: NS.network, type: T.AddressStatus, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const [linkList, addresses] = await Promise.all([this.kernel.listLinks(), this.kernel.listAddresses()]);
    const links = new LinkIndex(linkList);
    const desired = new Map<string, AddressStatus>();
    for (const a of addresses) {
      const ip = addressOf(a);
      if (ip === undefined) continue;
      const linkName = links.nameOf(a.index);
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
