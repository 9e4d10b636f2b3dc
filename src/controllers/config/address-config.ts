// Machine config device addresses → AddressSpecs at the configuration layer.
import { formatPrefix, parseIPOrPrefix } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { addressId, layeredId } from '../../resources/network/ids.js';
import { T, type AddressSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { MachineConfigInput, configuredDevices, machineConfig } from './machine-config.js';

export class AddressConfigController implements Controller {
  readonly name = 'AddressConfigController';
  readonly inputs = [MachineConfigInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.AddressSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, AddressSpec>();
    for (const { device } of configuredDevices(machineConfig(ctx))) {
      const texts = [...(device.addresses ?? []), ...(device.cidr !== undefined ? [device.cidr] : [])];
      for (const text of texts) {
        const prefix = parseIPOrPrefix(text);
        if (!prefix) continue; // rejected by validation
        const spec: AddressSpec = {
          address: formatPrefix(prefix),
          linkName: device.interface,
          family: prefix.family,
          scope: 'global',
          flags: 'permanent',
          announceWithARP: false,
          priority: 0,
          layer: 'configuration',
        };
        desired.set(layeredId('configuration', addressId(spec)), spec);
      }
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.AddressSpec, desired);
  }
}
