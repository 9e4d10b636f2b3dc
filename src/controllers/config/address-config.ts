// Machine config device addresses → AddressSpecs at the configuration layer.
import { formatPrefix, parseIPOrPrefix } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { addressId, layeredId } from '../../resources/network/ids.js';
import { T, type AddressSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline, ignoredLinks } from './cmdline.js';
import { vlanLinkName } from '../../config/cmdline.js';
import { DeviceConfigInput, MachineConfigInput, configuredDevices, ignoredInConfig, machineConfig } from './machine-config.js';
import { DocumentsInput, configContainer } from './documents.js';
import type { CommonLinkConfig } from '../../config/documents/common.js';
import { parsePrefix } from '../../net/ip.js';

/** Each device and VLAN with the link it configures and its address texts. */
function addressBlocks(ctx: ReconcileContext) {
  const out: Array<{ link: string; texts: string[] }> = [];
  for (const { device } of configuredDevices(ctx)) {
    out.push({ link: device.interface, texts: [...(device.addresses ?? []), ...(device.cidr !== undefined ? [device.cidr] : [])] });
    for (const vlan of device.vlans ?? []) {
      out.push({ link: vlanLinkName(device.interface, vlan.vlanId), texts: [...(vlan.addresses ?? []), ...(vlan.cidr !== undefined ? [vlan.cidr] : [])] });
    }
  }
  return out;
}

/** Every link document's common block (a veth's peer too) with the link name as written and the document. */
export function documentBlocks(c: import('../../config/container.js').ConfigContainer): Array<[string, CommonLinkConfig, string]> {
  const out: Array<[string, CommonLinkConfig, string]> = [];
  for (const d of c.linkDocuments()) {
    out.push([d.name, d.spec, d.id]);
    if (d.kind === 'VethConfig' && d.spec.peer?.name) out.push([d.spec.peer.name, d.spec.peer, d.id]);
  }
  return out;
}

export class AddressConfigController implements Controller {
  readonly name = 'AddressConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, DeviceConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.AddressSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = machineConfig(ctx);
    const ignored = ignoredLinks(ctx, ignoredInConfig(config));
    const desired = new Map<string, AddressSpec>();
    const add = (spec: AddressSpec): void => {
      spec.source ??= spec.layer === 'configuration' ? 'v1alpha1' : spec.layer;
      if (!ignored.has(spec.linkName)) desired.set(layeredId(spec.layer, addressId(spec)), spec);
    };
    add({ address: '127.0.0.1/8', linkName: 'lo', family: 'inet4', scope: 'host', flags: 'permanent', announceWithARP: false, priority: 0, layer: 'default' });
    for (const a of cmdline(ctx)?.addresses ?? []) {
      add({ address: a.address, linkName: a.linkName, family: a.family, scope: 'global', flags: 'permanent', announceWithARP: false, priority: 0, layer: 'cmdline' });
    }
    for (const { link, texts } of addressBlocks(ctx)) {
      for (const text of texts) {
        const prefix = parseIPOrPrefix(text);
        if (!prefix) continue; // rejected by validation
        const spec: AddressSpec = {
          address: formatPrefix(prefix),
          linkName: link,
          family: prefix.family,
          scope: 'global',
          flags: 'permanent',
          announceWithARP: false,
          priority: 0,
          layer: 'configuration',
        };
        add(spec);
      }
    }
    // documents (not filtered by `ignore`): the link name as written; the same ID replaces the v1alpha1 spec
    const container = configContainer(ctx);
    for (const [link, c, source] of documentBlocks(container)) {
      for (const a of c.addresses ?? []) {
        const prefix = a.address ? parsePrefix(a.address) : undefined;
        if (!prefix) continue; // rejected by validation
        const spec: AddressSpec = { address: formatPrefix(prefix), linkName: link, family: prefix.family, scope: 'global', flags: 'permanent', announceWithARP: false, priority: a.routePriority ?? 0, layer: 'configuration', source };
        desired.set(layeredId('configuration', addressId(spec)), spec);
      }
    }
    // host DNS for pods (hostDNS.forwardKubeDNSToHost): its service address on lo, per pod-subnet family (Talos)
    const hostDNS = container.hostDNS();
    if (hostDNS?.enabled === true && hostDNS.forwardKubeDNSToHost) {
      for (const address of hostDNSServiceAddresses(container.kubernetesNetwork()?.podSubnets ?? [])) {
        const prefix = parsePrefix(address)!;
        // scope host, as Talos asks; the kernel gives an IPv6 address the scope of its kind (global), so that is asked for it
        add({ address, linkName: 'lo', family: prefix.family, scope: prefix.family === 'inet4' ? 'host' : 'global', flags: 'permanent', announceWithARP: false, priority: 0, layer: 'operator', source: 'hostDNS' });
      }
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.AddressSpec, desired);
  }
}

/** Where pods reach host DNS (Talos' service addresses): one per family of the pod subnets (IPv4 when none are given, as Talos' default is). */
export function hostDNSServiceAddresses(podSubnets: readonly string[]): string[] {
  const families = new Set(podSubnets.map((s) => parsePrefix(s)?.family));
  if (podSubnets.length === 0) families.add('inet4');
  return [...(families.has('inet4') ? [HOST_DNS_SERVICE_V4] : []), ...(families.has('inet6') ? [HOST_DNS_SERVICE_V6] : [])];
}
export const HOST_DNS_SERVICE_V4 = '169.254.116.108/32';
/** fd54:616c:6f73::204f:5320:444e:531 as the kernel writes it (one zero group is not shortened). */
export const HOST_DNS_SERVICE_V6 = 'fd54:616c:6f73:0:204f:5320:444e:531/128';
