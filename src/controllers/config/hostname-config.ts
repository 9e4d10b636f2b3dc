// Hostname sources per layer: kernel command line (talos.hostname=, ip= field 5)
// and machine.network.hostname. netcfg has no default-layer hostname (Talos
// derives one from an address; on a general host that would rename the machine).
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type HostnameSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline } from './cmdline.js';
import { MachineConfigInput, machineConfig, splitFqdn } from './machine-config.js';

export class HostnameConfigController implements Controller {
  readonly name = 'HostnameConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.HostnameSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, HostnameSpec>();
    const fromCmdline = cmdline(ctx)?.hostname;
    if (fromCmdline && fromCmdline.hostname !== '') desired.set(layeredId('cmdline', 'hostname'), { ...fromCmdline, layer: 'cmdline' });
    const configured = machineConfig(ctx)?.machine?.network?.hostname;
    if (configured) desired.set(layeredId('configuration', 'hostname'), { ...splitFqdn(configured), layer: 'configuration' });
    syncOutputs(ctx, this.name, NS.networkConfig, T.HostnameSpec, desired);
  }
}
