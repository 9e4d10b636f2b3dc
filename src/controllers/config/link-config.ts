// LinkSpecs per layer: `lo` up (default), links from the kernel command line
// (ip= devices up, bond=, vlan=), and machine config devices (configuration).
// Ignored links get nothing at any layer.
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type ConfigLayer, type LinkSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline, ignoredLinks } from './cmdline.js';
import { MachineConfigInput, configuredDevices, ignoredInConfig, machineConfig } from './machine-config.js';

export function physicalLink(name: string, layer: ConfigLayer, mtu = 0): LinkSpec {
  return { name, logical: false, up: true, mtu, kind: '', type: 'ether', layer };
}

export class LinkConfigController implements Controller {
  readonly name = 'LinkConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.LinkSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = machineConfig(ctx);
    const ignored = ignoredLinks(ctx, ignoredInConfig(config));
    const desired = new Map<string, LinkSpec>();
    const add = (spec: LinkSpec): void => {
      if (ignored.has(spec.name)) return;
      const id = layeredId(spec.layer, spec.name);
      const previous = desired.get(id);
      // a later block for the same link overrides non-zero fields, as layers do
      desired.set(id, previous ? { ...spec, mtu: spec.mtu || previous.mtu } : spec);
    };
    add({ ...physicalLink('lo', 'default'), type: 'loopback' });
    const cmd = cmdline(ctx);
    for (const name of cmd?.configuredLinks ?? []) add(physicalLink(name, 'cmdline'));
    for (const bond of cmd?.bonds ?? []) {
      add({ name: bond.name, logical: true, up: true, mtu: bond.mtu ?? 0, kind: 'bond', type: 'ether', layer: 'cmdline' });
      for (const slave of bond.slaves) add(physicalLink(slave, 'cmdline'));
    }
    for (const vlan of cmd?.vlans ?? []) {
      add({ name: vlan.name, logical: true, up: true, mtu: 0, kind: 'vlan', type: 'ether', parentName: vlan.parent, layer: 'cmdline' });
    }
    for (const { device } of configuredDevices(config)) add(physicalLink(device.interface, 'configuration', device.mtu ?? 0));
    syncOutputs(ctx, this.name, NS.networkConfig, T.LinkSpec, desired);
  }
}
