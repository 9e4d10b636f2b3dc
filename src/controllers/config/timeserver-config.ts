// Time server sources per layer (Talos §7.4): the default time.cloudflare.com and
// the kernel command line's ip= NTP field, the TimeSyncConfig document's servers
// (or PTP devices). (DHCP adds its own at the operator layer.)
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type TimeServerSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline } from './cmdline.js';
import { DocumentsInput, configContainer } from './documents.js';
import { MachineConfigInput } from './machine-config.js';
import { timeSyncOf } from '../../config/container.js';

export const DEFAULT_TIME_SERVER = 'time.cloudflare.com';

export class TimeServerConfigController implements Controller {
  readonly name = 'TimeServerConfigController';
  readonly inputs = [CmdlineInput, DocumentsInput, MachineConfigInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.TimeServerSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, TimeServerSpec>();
    desired.set(layeredId('default', 'timeservers'), { ntpServers: [DEFAULT_TIME_SERVER], useNTS: true, layer: 'default', source: 'default' });
    const fromCmdline = cmdline(ctx)?.timeServers ?? [];
    if (fromCmdline.length > 0) desired.set(layeredId('cmdline', 'timeservers'), { ntpServers: fromCmdline, layer: 'cmdline', source: 'cmdline' });
    // the document only (machine.time is one of the sections netcfg does not use)
    const doc = configContainer(ctx).ofKind('TimeSyncConfig')[0];
    const sync = doc ? timeSyncOf(doc.spec, doc.id) : undefined;
    if (sync && sync.servers.length > 0) desired.set(layeredId('configuration', 'timeservers'), { ntpServers: sync.servers, useNTS: sync.useNTS, layer: 'configuration', source: sync.source });
    syncOutputs(ctx, this.name, NS.networkConfig, T.TimeServerSpec, desired);
  }
}
