// LinkStatusController: one LinkStatus per kernel link, from a full re-list.
import type { LinkMessage } from '../../netlink/rtnetlink/link.js';
import { NS } from '../../resources/resource.js';
import { LinkType, linkFlagsText } from '../../resources/network/enums.js';
import { T, type LinkStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import type { Kernel } from '../kernel.js';
import { syncOutputs } from '../sync.js';

export function linkStatus(l: LinkMessage): LinkStatus {
  return {
    index: l.index,
    type: LinkType.name(l.type),
    linkIndex: l.linkIndex ?? 0,
    flags: linkFlagsText(l.flags),
    hardwareAddr: l.hardwareAddr ?? '',
    permanentAddr: l.permanentAddr ?? '',
    broadcastAddr: l.broadcastAddr ?? '',
    mtu: l.mtu,
    queueDisc: l.qdisc ?? '',
    masterIndex: l.masterIndex ?? 0,
    operationalState: l.operState,
    kind: l.info?.kind ?? '',
    slaveKind: l.info?.slaveKind ?? '',
    alias: l.alias ?? '',
    altNames: l.altNames,
    linkState: l.carrier ?? false,
  };
}

export class LinkStatusController implements Controller {
  readonly name = 'LinkStatusController';
  readonly inputs = [];
  readonly outputs = [{ namespace: NS.network, type: T.LinkStatus, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, LinkStatus>();
    for (const l of await this.kernel.listLinks()) desired.set(l.name, linkStatus(l));
    syncOutputs(ctx, this.name, NS.network, T.LinkStatus, desired);
  }
}
