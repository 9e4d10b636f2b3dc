// Machine config device routes (and the kernel command line's, and route
// documents') → RouteSpecs at their layers, held as one RouteSpecSet a layer.
import { canonicalIP, formatPrefix, isKernelIPv4Prefix, isMulticast, isMulticastIPv4Text, networkOf, parsePrefix } from '../../net/ip.js';
import type { RouteConfig } from '../../config/schema.js';
import { tableNumber } from '../../config/defaults.js';
import { NS, type Resource } from '../../resources/resource.js';
import { RoutingTable } from '../../resources/network/enums.js';
import { routeId } from '../../resources/network/ids.js';
import { T, type AppliedRoute, type ConfigLayer, type RouteSpec, type RouteSpecSet } from '../../resources/network/types.js';
import { deepEqual } from '../../util/equal.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline, ignoredLinks } from './cmdline.js';
import { vlanLinkName } from '../../config/cmdline.js';
import { DeviceConfigInput, MachineConfigInput, configuredDevices, ignoredInConfig, machineConfig } from './machine-config.js';
import { DocumentsInput, configContainer } from './documents.js';
import { documentBlocks } from './address-config.js';
import type { RouteConfig as DocumentRoute } from '../../config/documents/common.js';
import { parseIP } from '../../net/ip.js';

export const DEFAULT_ROUTE_METRIC = 1024;

/** Canonical text of IPs that repeat across many routes (gateways, sources). */
class CanonicalIPs {
  private readonly cache = new Map<string, string>();
  get(text: string): string {
    let c = this.cache.get(text);
    if (c === undefined) {
      c = canonicalIP(text) ?? '';
      this.cache.set(text, c);
    }
    return c;
  }
}

/** A configured route as a RouteSpec (Talos Normalize rules). */
export function routeSpecFromConfig(route: RouteConfig, linkName: string, ips = new CanonicalIPs(), source = 'v1alpha1'): RouteSpec | undefined {
  const gateway = route.gateway ? ips.get(route.gateway) : '';
  const network = route.network;
  // an IPv4 network as the kernel writes it (most of a bulk config) is taken as it is, with nothing allocated
  // to look at it (parsePrefix: an object and a byte array per route, ~60 MB of garbage at 100k routes)
  if (network !== undefined && isKernelIPv4Prefix(network)) return routeSpec('inet4', network, isMulticastIPv4Text(network) ? 'multicast' : 'unicast', gateway, route, linkName, ips, source);
  const dstPrefix = network ? parsePrefix(network) : undefined;
  const family = dstPrefix?.family ?? (gateway === '' ? undefined : gateway.includes(':') ? 'inet6' : 'inet4');
  if (!family) return undefined;
  const isDefault = !dstPrefix || dstPrefix.bits === 0;
  const dst = isDefault ? '' : dstPrefix.family === 'inet4' ? network! : formatPrefix(dstPrefix);
  return routeSpec(family, dst, dstPrefix && !isDefault && isMulticast(dstPrefix) ? 'multicast' : 'unicast', gateway, route, linkName, ips, source);
}

function routeSpec(family: 'inet4' | 'inet6', dst: string, type: 'unicast' | 'multicast', gateway: string, route: RouteConfig, linkName: string, ips: CanonicalIPs, source: string): RouteSpec {
  return {
    family,
    dst,
    src: route.source ? ips.get(route.source) : '',
    gateway,
    outLinkName: linkName,
    table: route.table === undefined ? 'main' : RoutingTable.name(tableNumber(route.table)),
    priority: route.metric || DEFAULT_ROUTE_METRIC,
    scope: gateway !== '' ? 'global' : 'link',
    type,
    flags: '',
    protocol: 'static',
    mtu: route.mtu ?? 0,
    layer: 'configuration',
    // in the literal: a field added later would go to a separate store (40 B per route)
    source,
  };
}

/** A document route as a RouteSpec (§2.3): no destination is the default route of the gateway's family. */
export function routeSpecFromDocument(route: DocumentRoute, linkName: string, source: string, ips = new CanonicalIPs()): RouteSpec {
  const dstPrefix = route.destination ? parsePrefix(route.destination) : undefined;
  const gateway = route.gateway ? ips.get(route.gateway) : '';
  const family = dstPrefix?.family === 'inet6' || gateway.includes(':') ? 'inet6' : 'inet4';
  const isDefault = !dstPrefix || dstPrefix.bits === 0;
  const loopback = dstPrefix !== undefined && !isDefault && (dstPrefix.family === 'inet4' ? dstPrefix.bytes[0] === 127 : parseIP('::1')!.bytes.every((b, i) => b === dstPrefix.bytes[i]));
  return {
    family,
    // host bits cleared (Talos keeps them; the kernel refuses them for IPv4 and clears them for IPv6)
    dst: isDefault ? '' : formatPrefix(networkOf(dstPrefix)),
    src: route.source ? ips.get(route.source) : '',
    gateway,
    outLinkName: linkName,
    table: route.table === undefined ? 'main' : RoutingTable.name(route.table),
    priority: route.metric || DEFAULT_ROUTE_METRIC,
    scope: gateway === '' && !isDefault ? 'link' : loopback ? 'host' : 'global',
    type: dstPrefix && !isDefault && isMulticast(dstPrefix) ? 'multicast' : 'unicast',
    flags: '',
    protocol: 'static',
    mtu: route.mtu ?? 0,
    layer: 'configuration',
    source,
  };
}

/**
 * The routes of each layer by merged ID: an identical ID written later
 * replaces the earlier (in its place). A route that the record netcfg keeps of
 * it (loaded from the state file) says exactly is that record: a re-apply then
 * holds one object per route, not two (the record is the spec it was made
 * from, see SpecAsRouteRecord; 100k routes: ~13 MB).
 */
class LayerRoutes {
  private readonly byLayer = new Map<ConfigLayer, Map<string, RouteSpec>>();

  constructor(private readonly recorded: (id: string) => Resource<AppliedRoute> | undefined) {}

  add(spec: RouteSpec): void {
    let routes = this.byLayer.get(spec.layer);
    if (!routes) this.byLayer.set(spec.layer, (routes = new Map()));
    const id = routeId(spec);
    const found = this.recorded(id);
    if (!found) return void routes.set(id, spec);
    // the record's ID string too: a re-apply holds each ID once (see MergeRule.recorded)
    const record = found.spec;
    routes.set(found.metadata.id, 'layer' in record && deepEqual(record, spec) ? record : spec);
  }

  /** One set per layer that has routes, by layer (the sets' IDs). */
  sets(): Map<string, RouteSpecSet> {
    const out = new Map<string, RouteSpecSet>();
    for (const [layer, routes] of this.byLayer) out.set(layer, { layer, specs: [...routes.values()], ids: [...routes.keys()] });
    return out;
  }
}

/**
 * The config's routes, one RouteSpecSet per layer (cmdline, configuration):
 * the merge reads them as it reads layered RouteSpecs (see T.RouteSpecSet).
 */
export class RouteConfigController implements Controller {
  readonly name = 'RouteConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, DeviceConfigInput, DocumentsInput, { namespace: NS.state, type: T.AppliedRoute, passive: true }];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.RouteSpecSet, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = machineConfig(ctx);
    const ignored = ignoredLinks(ctx, ignoredInConfig(config));
    const desired = new LayerRoutes((id) => ctx.get<AppliedRoute>(NS.state, T.AppliedRoute, id));
    const ips = new CanonicalIPs();
    for (const r of cmdline(ctx)?.routes ?? []) {
      if (ignored.has(r.linkName)) continue;
      desired.add({
        family: r.family,
        dst: r.dst,
        src: '',
        gateway: r.gateway,
        outLinkName: r.linkName,
        table: 'main',
        priority: r.metric,
        scope: r.gateway === '' ? 'link' : 'global',
        type: 'unicast',
        flags: '',
        protocol: 'boot',
        mtu: 0,
        layer: 'cmdline',
      });
    }
    for (const { device } of configuredDevices(ctx)) {
      const blocks = [{ link: device.interface, routes: device.routes ?? [] }, ...(device.vlans ?? []).map((v) => ({ link: vlanLinkName(device.interface, v.vlanId), routes: v.routes ?? [] }))];
      for (const { link, routes } of blocks) {
        if (ignored.has(link)) continue;
        for (const route of routes) {
          const spec = routeSpecFromConfig(route, link, ips);
          if (spec) desired.add(spec);
        }
      }
    }
    // documents after v1alpha1: an identical route ID is the document's
    const c = configContainer(ctx);
    for (const [link, block, source] of documentBlocks(c)) {
      for (const route of block.routes ?? []) desired.add(routeSpecFromDocument(route, link, source, ips));
    }
    for (const d of c.ofKind('BlackholeRouteConfig')) {
      const dst = parsePrefix(d.name);
      if (!dst) continue;
      desired.add({
        family: dst.family,
        dst: dst.bits === 0 ? '' : dst.family === 'inet4' && isKernelIPv4Prefix(d.name) ? d.name : formatPrefix(networkOf(dst)),
        src: '',
        gateway: '',
        outLinkName: dst.family === 'inet6' ? 'lo' : '',
        table: 'main',
        priority: d.spec.metric || DEFAULT_ROUTE_METRIC,
        scope: 'global',
        type: 'blackhole',
        flags: '',
        protocol: 'static',
        mtu: 0,
        layer: 'configuration',
        source: d.id,
      });
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.RouteSpecSet, desired.sets());
  }
}
