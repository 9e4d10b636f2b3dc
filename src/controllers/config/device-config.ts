// DeviceConfigController: machine config devices with their links resolved
// (Talos device_config.go). A device with a deviceSelector becomes one device
// per matching link (Talos ≥ 1.5 clones the block); bond deviceSelectors fill
// bond.interfaces in selector order (the bond itself excluded). A selector that
// matches nothing is reported and waits: it is evaluated again when links change.
import type { DeviceConfig, DeviceSelectorConfig } from '../../config/schema.js';
import { NS } from '../../resources/resource.js';
import { T, type LinkStatus } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { globMatch } from '../../util/glob.js';
import { hasName } from '../link-resolver.js';
import { syncOutputs } from '../sync.js';
import { MachineConfigInput, machineConfig } from './machine-config.js';
import { compareText } from '../../util/compare.js';

export interface DeviceConfigSpec {
  device: DeviceConfig & { interface: string };
  /** Position of the block in machine.network.interfaces. */
  index: number;
}

/** Whether a link's facts satisfy every field of a selector (all ANDed, globs case-sensitive). */
export function selectorMatches(selector: DeviceSelectorConfig, link: LinkStatus & { name: string }): boolean {
  const fields = [
    [selector.hardwareAddr, link.hardwareAddr],
    [selector.permanentAddr, link.permanentAddr],
    [selector.pciID, link.pciID],
    [selector.driver, link.driver],
    [selector.busPath, link.busPath],
  ] as const;
  for (const [pattern, value] of fields) if (pattern !== undefined && pattern !== '' && !globMatch(pattern, value)) return false;
  if (selector.physical !== undefined && selector.physical !== link.physical) return false;
  return true;
}

function describeSelector(s: DeviceSelectorConfig): string {
  return Object.entries(s)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export class DeviceConfigController implements Controller {
  readonly name = 'DeviceConfigController';
  readonly inputs = [MachineConfigInput, { namespace: NS.network, type: T.LinkStatus }];
  readonly outputs = [{ namespace: NS.network, type: T.DeviceConfigSpec, kind: 'exclusive' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const links = ctx
      .list<LinkStatus>(NS.network, T.LinkStatus)
      .map((r) => ({ ...r.spec, name: r.metadata.id }))
      .sort((a, b) => compareText(a.name, b.name));
    const desired = new Map<string, DeviceConfigSpec>();
    const pad = (n: number) => String(n).padStart(3, '0');
    machineConfig(ctx)?.machine?.network?.interfaces?.forEach((device, index) => {
      if (device.ignore === true) return;
      let resolved: DeviceConfig = device;
      const selectors = device.bond?.deviceSelectors;
      if (device.bond && selectors && selectors.length > 0) {
        const members: string[] = [];
        for (const selector of selectors) {
          for (const l of links) {
            const isBond = device.interface !== undefined && hasName(l, device.interface); // the bond itself, by any of its names
            if (!isBond && selectorMatches(selector, l) && !members.includes(l.name)) members.push(l.name);
          }
        }
        if (members.length === 0) {
          ctx.changes.wait(`device/${index}`, `interfaces[${index}] (${device.interface ?? 'bond'}): no link matches the bond's deviceSelectors`);
          return;
        }
        resolved = { ...device, bond: { ...device.bond, interfaces: members } };
      }
      if (resolved.interface !== undefined) {
        desired.set(`${resolved.interface}/${pad(index)}`, { device: resolved as DeviceConfigSpec['device'], index });
        return;
      }
      const selector = resolved.deviceSelector;
      if (!selector) return;
      const matches = links.filter((l) => selectorMatches(selector, l));
      if (matches.length === 0) {
        ctx.changes.wait(`device/${index}`, `interfaces[${index}]: no link matches deviceSelector ${describeSelector(selector)}`);
        ctx.log.warn({ index, selector }, 'device selector matches no link');
        return;
      }
      matches.forEach((l, j) => {
        const { deviceSelector: _, ...rest } = resolved;
        desired.set(`${l.name}/${pad(index)}/${pad(j)}`, { device: { ...rest, interface: l.name }, index });
      });
    });
    syncOutputs(ctx, this.name, NS.network, T.DeviceConfigSpec, desired);
  }
}
