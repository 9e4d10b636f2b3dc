// OperatorSpecs: DHCPv4/DHCPv6 for devices and VLANs with dhcp: true (and
// ip=<dev>:dhcp on the kernel command line), VIPs. The operators themselves run
// in a later netcfg version; the specs are carried now.
import { vlanLinkName } from '../../config/cmdline.js';
import { canonicalIP } from '../../net/ip.js';
import type { DHCPOptionsConfig, VIPConfig } from '../../config/schema.js';
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type ConfigLayer, type OperatorSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { DEFAULT_ROUTE_METRIC } from './route-config.js';
import { CmdlineInput, cmdline, ignoredLinks } from './cmdline.js';
import { DeviceConfigInput, MachineConfigInput, configuredDevices, ignoredInConfig, machineConfig } from './machine-config.js';
import { DocumentsInput, configContainer } from './documents.js';
import { LinkResolver } from '../link-resolver.js';
import type { LinkStatus } from '../../resources/network/types.js';

export function operatorId(s: Pick<OperatorSpec, 'operator' | 'linkName' | 'vip'>): string {
  return s.operator === 'vip' ? `vip/${s.linkName}/${s.vip?.ip ?? ''}` : `${s.operator}/${s.linkName}`;
}

function dhcp(link: string, options: DHCPOptionsConfig | undefined, layer: ConfigLayer): OperatorSpec[] {
  const metric = options?.routeMetric || DEFAULT_ROUTE_METRIC;
  const out: OperatorSpec[] = [];
  if (options?.ipv4 !== false) out.push({ operator: 'dhcp4', linkName: link, requireUp: true, dhcp4: { routeMetric: metric, skipHostnameRequest: false, clientIdentifier: 'none' }, layer });
  if (options?.ipv6 === true) out.push({ operator: 'dhcp6', linkName: link, requireUp: true, dhcp6: { routeMetric: metric, skipHostnameRequest: false, duid: options.duidv6 ?? '' }, layer });
  return out;
}

function vip(link: string, v: VIPConfig): OperatorSpec {
  const spec: OperatorSpec = { operator: 'vip', linkName: link, requireUp: true, vip: { ip: v.ip, gratuitousARP: !v.equinixMetal && !v.hcloud }, layer: 'configuration' };
  if (v.equinixMetal) spec.vip!.equinixMetalToken = v.equinixMetal.apiToken;
  if (v.hcloud) spec.vip!.hcloudToken = v.hcloud.apiToken;
  return spec;
}

export class OperatorConfigController implements Controller {
  readonly name = 'OperatorConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, DeviceConfigInput, DocumentsInput, { namespace: NS.network, type: T.LinkStatus }];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.OperatorSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = machineConfig(ctx);
    const ignored = ignoredLinks(ctx, ignoredInConfig(config));
    const desired = new Map<string, OperatorSpec>();
    const add = (spec: OperatorSpec): void => {
      spec.source ??= spec.layer === 'configuration' ? 'v1alpha1' : spec.layer;
      if (!ignored.has(spec.linkName)) desired.set(layeredId(spec.layer, operatorId(spec)), spec);
    };
    for (const link of cmdline(ctx)?.dhcp4 ?? []) {
      add({ operator: 'dhcp4', linkName: link, requireUp: true, dhcp4: { routeMetric: DEFAULT_ROUTE_METRIC, skipHostnameRequest: false, clientIdentifier: 'none' }, layer: 'cmdline' });
    }
    for (const { device } of configuredDevices(ctx)) {
      if (device.dhcp === true) dhcp(device.interface, device.dhcpOptions, 'configuration').forEach(add);
      if (device.vip) add(vip(device.interface, device.vip));
      for (const v of device.vlans ?? []) {
        const link = vlanLinkName(device.interface, v.vlanId);
        if (v.dhcp === true) dhcp(link, v.dhcpOptions, 'configuration').forEach(add);
        if (v.vip) add(vip(link, v.vip));
      }
    }
    // documents, after v1alpha1 (the same operator ID is the document's); link names resolved through aliases and altnames
    const c = configContainer(ctx);
    const resolver = new LinkResolver(ctx.list<LinkStatus>(NS.network, T.LinkStatus).map((r) => ({ ...r.spec, name: r.metadata.id })));
    const resolve = (name: string) => resolver.resolve(name)?.name ?? name;
    const put = (spec: OperatorSpec) => desired.set(layeredId('configuration', operatorId(spec)), spec);
    for (const d of c.ofKind('DHCPv4Config')) {
      const o = d.spec;
      const duid = o.clientIdentifier === 'duid' && o.duidRaw ? { duidRawHex: o.duidRaw.replaceAll(':', '').toLowerCase() } : {};
      put({
        operator: 'dhcp4',
        linkName: resolve(d.name),
        requireUp: true,
        dhcp4: { routeMetric: o.routeMetric || DEFAULT_ROUTE_METRIC, skipHostnameRequest: o.ignoreHostname === true, clientIdentifier: o.clientIdentifier ?? 'mac', skipRoutes: o.ignoreRoutes === true, ...duid },
        layer: 'configuration',
        source: d.id,
      });
    }
    for (const d of c.ofKind('DHCPv6Config')) {
      const o = d.spec;
      const duid = o.clientIdentifier === 'duid' && o.duidRaw ? o.duidRaw.replaceAll(':', '').toLowerCase() : '';
      put({
        operator: 'dhcp6',
        linkName: resolve(d.name),
        requireUp: true,
        dhcp6: { routeMetric: o.routeMetric || DEFAULT_ROUTE_METRIC, skipHostnameRequest: o.ignoreHostname === true, duid, clientIdentifier: o.clientIdentifier ?? 'mac' },
        layer: 'configuration',
        source: d.id,
      });
    }
    for (const d of c.ofKind('Layer2VIPConfig', 'HCloudVIPConfig')) {
      const vip: OperatorSpec['vip'] = { ip: canonicalIP(d.name) ?? d.name, gratuitousARP: d.kind === 'Layer2VIPConfig' };
      if (d.kind === 'HCloudVIPConfig') vip.hcloudToken = d.spec.apiToken ?? '';
      put({ operator: 'vip', linkName: resolve(d.spec.link ?? ''), requireUp: true, vip, layer: 'configuration', source: d.id });
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.OperatorSpec, desired);
  }
}
