// RouteStatusController: one RouteStatus per kernel route in every table.
import type { RouteMessage } from '../../netlink/rtnetlink/route.js';
import { NS } from '../../resources/resource.js';
import { RouteProtocol, RouteType, RoutingTable, Scope } from '../../resources/network/enums.js';
import { routeId } from '../../resources/network/ids.js';
import { T, type RouteStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { LinkIndex, type Kernel } from '../kernel.js';
import { syncOutputs } from '../sync.js';

export function routeStatus(r: RouteMessage, links: LinkIndex): RouteStatus {
  return {
    family: r.family,
    dst: r.dst !== undefined && r.dstLen > 0 ? `${r.dst}/${r.dstLen}` : '',
    src: r.prefsrc ?? '',
    gateway: r.gateway ?? r.nextHops?.[0]?.gateway ?? '',
    outLinkIndex: r.oif ?? 0,
    outLinkName: r.oif !== undefined ? links.nameOf(r.oif) : '',
    table: RoutingTable.name(r.table),
    priority: r.priority,
    scope: Scope.name(r.scope),
    type: RouteType.name(r.type),
    flags: '',
    protocol: RouteProtocol.name(r.protocol),
    mtu: r.mtu ?? 0,
  };
}

export class RouteStatusController implements Controller {
  readonly name = 'RouteStatusController';
  readonly inputs = [];
  readonly outputs = [{ namespace: NS.network, type: T.RouteStatus, kind: 'exclusive' as const }];

  constructor(private readonly kernel: Kernel) {}

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const [linkList, routes] = await Promise.all([this.kernel.listLinks(), this.kernel.listRoutes()]);
    const links = new LinkIndex(linkList);
    const desired = new Map<string, RouteStatus>();
    for (const r of routes) {
      if (r.type === 0) continue;
      const status = routeStatus(r, links);
      desired.set(routeId(status), status);
    }
    syncOutputs(ctx, this.name, NS.network, T.RouteStatus, desired);
  }
}
