// Machine config devices → LinkSpecs at the configuration layer.
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type LinkSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { MachineConfigInput, configuredDevices, machineConfig } from './machine-config.js';

export class LinkConfigController implements Controller {
  readonly name = 'LinkConfigController';
  readonly inputs = [MachineConfigInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.LinkSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, LinkSpec>();
    for (const { device } of configuredDevices(machineConfig(ctx))) {
      const id = layeredId('configuration', device.interface);
      const previous = desired.get(id);
      desired.set(id, {
        name: device.interface,
        logical: false,
        up: true,
        // a later block for the same interface overrides non-zero fields, as layers do
        mtu: device.mtu || previous?.mtu || 0,
        kind: '',
        type: 'ether',
        layer: 'configuration',
      });
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.LinkSpec, desired);
  }
}
