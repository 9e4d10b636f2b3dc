// The loaded machine config as a resource, and helpers to read its devices.
import type { DeviceConfig, MachineConfig } from '../../config/schema.js';
import { NS } from '../../resources/resource.js';
import { T } from '../../resources/network/types.js';
import type { ReconcileContext } from '../../runtime/controller.js';

export const MACHINE_CONFIG_ID = 'v1alpha1';
export const MachineConfigInput = { namespace: NS.config, type: T.MachineConfig } as const;

export function machineConfig(ctx: ReconcileContext): MachineConfig | undefined {
  return ctx.get<MachineConfig>(NS.config, T.MachineConfig, MACHINE_CONFIG_ID)?.spec;
}

/** Devices that are configured (not ignored) and name their interface, with their index in the config. */
export function configuredDevices(config: MachineConfig | undefined): Array<{ device: DeviceConfig & { interface: string }; index: number }> {
  const out: Array<{ device: DeviceConfig & { interface: string }; index: number }> = [];
  config?.machine?.network?.interfaces?.forEach((device, index) => {
    if (device.ignore === true || device.interface === undefined) return;
    out.push({ device: device as DeviceConfig & { interface: string }, index });
  });
  return out;
}
