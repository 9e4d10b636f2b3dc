// The loaded machine config as a resource, and helpers to read its devices.
import type { DeviceConfig, MachineConfig } from '../../config/schema.js';
import { NS } from '../../resources/resource.js';
import { T } from '../../resources/network/types.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import { compareText } from '../../util/compare.js';

export const MACHINE_CONFIG_ID = 'v1alpha1';
export const MachineConfigInput = { namespace: NS.config, type: T.MachineConfig } as const;

export function machineConfig(ctx: ReconcileContext): MachineConfig | undefined {
  return ctx.get<MachineConfig>(NS.config, T.MachineConfig, MACHINE_CONFIG_ID)?.spec;
}

export const DeviceConfigInput = { namespace: NS.network, type: T.DeviceConfigSpec } as const;

/** Configured devices with their links resolved (selectors expanded), in config order. */
export function configuredDevices(ctx: ReconcileContext): Array<{ device: DeviceConfig & { interface: string }; index: number }> {
  return ctx
    .list<{ device: DeviceConfig & { interface: string }; index: number }>(NS.network, T.DeviceConfigSpec)
    .map((r) => r.spec)
    .sort((a, b) => a.index - b.index || compareText(a.device.interface, b.device.interface));
}

/** Interface names marked `ignore: true`. */
export function ignoredInConfig(config: MachineConfig | undefined): string[] {
  const out: string[] = [];
  for (const d of config?.machine?.network?.interfaces ?? []) if (d.ignore === true && d.interface !== undefined) out.push(d.interface);
  return out;
}

/** Splits an FQDN at the first dot into hostname and domain name. */
export function splitFqdn(name: string): { hostname: string; domainname: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { hostname: name, domainname: '' } : { hostname: name.slice(0, dot), domainname: name.slice(dot + 1).replace(/\.$/, '') };
}
