// Hostname sources per layer: kernel command line (talos.hostname=, ip= field
// 5), the configured hostname (HostnameConfig, else machine.network.hostname)
// at the configuration layer, and the stable hostname (HostnameConfig auto:
// stable, or machine.features.stableHostname) at the default layer once the
// node identity exists. netcfg has no address-derived default (Talos'
// talos-<addr>): on a general host that would rename the machine.
import { CLUSTER_NS, CT, type NodeIdentitySpec } from '../../resources/cluster/types.js';
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type HostnameSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline } from './cmdline.js';
import { DocumentsInput, configContainer } from './documents.js';
import { MachineConfigInput, splitFqdn } from './machine-config.js';
import { stableHostname } from './stable-hostname.js';

export const NODE_IDENTITY_ID = 'local';

export class HostnameConfigController implements Controller {
  readonly name = 'HostnameConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, DocumentsInput, { namespace: CLUSTER_NS.cluster, type: CT.NodeIdentity }];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.HostnameSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const desired = new Map<string, HostnameSpec>();
    const fromCmdline = cmdline(ctx)?.hostname;
    if (fromCmdline && fromCmdline.hostname !== '') desired.set(layeredId('cmdline', 'hostname'), { ...fromCmdline, layer: 'cmdline', source: 'cmdline' });
    const setting = configContainer(ctx).hostname();
    if (setting && setting.hostname !== '') desired.set(layeredId('configuration', 'hostname'), { ...splitFqdn(setting.hostname), layer: 'configuration', source: setting.source });
    if (setting?.auto === 'stable') {
      const identity = ctx.get<NodeIdentitySpec>(CLUSTER_NS.cluster, CT.NodeIdentity, NODE_IDENTITY_ID)?.spec;
      if (identity && identity.nodeId !== '') desired.set(layeredId('default', 'hostname'), { hostname: stableHostname(identity.nodeId), domainname: '', layer: 'default', source: setting.source });
      else ctx.changes.wait('hostname/stable', 'stable hostname: waiting for the node identity (cluster/NodeIdentity local)');
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.HostnameSpec, desired);
  }
}
