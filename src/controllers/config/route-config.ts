// Machine config device routes → RouteSpecs at the configuration layer.
import { canonicalIP, formatPrefix, isMulticast, parseIP, parsePrefix } from '../../net/ip.js';
import type { RouteConfig } from '../../config/schema.js';
import { tableNumber } from '../../config/schema.js';
import { NS } from '../../resources/resource.js';
import { RoutingTable } from '../../resources/network/enums.js';
import { layeredId, routeId } from '../../resources/network/ids.js';
import { T, type RouteSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { MachineConfigInput, configuredDevices, machineConfig } from './machine-config.js';

export const DEFAULT_ROUTE_METRIC = 1024;

/** A configured route as a RouteSpec (Talos Normalize rules). */
export function routeSpecFromConfig(route: RouteConfig, linkName: string): RouteSpec | undefined {
  const dstPrefix = route.network ? parsePrefix(route.network) : undefined;
  const gateway = route.gateway ? parseIP(route.gateway) : undefined;
  const family = dstPrefix?.family ?? gateway?.family;
  if (!family) return undefined;
  const isDefault = !dstPrefix || dstPrefix.bits === 0;
  return {
    family,
    dst: isDefault ? '' : formatPrefix(dstPrefix),
    src: route.source ? (canonicalIP(route.source) ?? '') : '',
    gateway: gateway ? (canonicalIP(route.gateway!) ?? '') : '',
    outLinkName: linkName,
    table: RoutingTable.name(tableNumber(route.table)),
    priority: route.metric || DEFAULT_ROUTE_METRIC,
    scope: gateway ? 'global' : 'link',
    type: dstPrefix && !isDefault && isMulticast(dstPrefix) ? 'multicast' : 'unicast',
    flags: '',
    protocol: 'static',
    mtu: route.mtu ?? 0,
    layer: 'configuration',
  };
}

export class RouteConfigController implements Controller {
  readonly name = 'RouteConfigController';
  readonly inputs = [MachineConfigInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.RouteSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, RouteSpec>();
    for (const { device } of configuredDevices(machineConfig(ctx))) {
      for (const route of device.routes ?? []) {
        const spec = routeSpecFromConfig(route, device.interface);
        if (spec) desired.set(layeredId('configuration', routeId(spec)), spec);
      }
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.RouteSpec, desired);
  }
}
