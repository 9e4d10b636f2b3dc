// Resolver sources per layer: defaults (1.1.1.1, 8.8.8.8; the hostname's domain
// as search domain unless disabled), kernel command line DNS fields, and
// machine.network nameservers/searchDomains.
import { canonicalIP } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type HostnameStatus, type ResolverSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline } from './cmdline.js';
import { MachineConfigInput, machineConfig } from './machine-config.js';

export const DEFAULT_RESOLVERS = ['1.1.1.1', '8.8.8.8'];

export class ResolverConfigController implements Controller {
  readonly name = 'ResolverConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, { namespace: NS.network, type: T.HostnameStatus }];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.ResolverSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = machineConfig(ctx)?.machine?.network;
    const desired = new Map<string, ResolverSpec>();
    const domain = ctx.get<HostnameStatus>(NS.network, T.HostnameStatus, 'hostname')?.spec.domainname ?? '';
    desired.set(layeredId('default', 'resolvers'), {
      dnsServers: DEFAULT_RESOLVERS,
      searchDomains: domain !== '' && config?.disableSearchDomain !== true ? [domain] : [],
      searchDomainsOverridden: false,
      layer: 'default',
    });
    const fromCmdline = cmdline(ctx)?.resolvers ?? [];
    if (fromCmdline.length > 0) {
      desired.set(layeredId('cmdline', 'resolvers'), { dnsServers: fromCmdline, searchDomains: [], searchDomainsOverridden: false, layer: 'cmdline' });
    }
    if (config && (config.nameservers !== undefined || config.searchDomains !== undefined)) {
      desired.set(layeredId('configuration', 'resolvers'), {
        dnsServers: (config.nameservers ?? []).map((s) => canonicalIP(s) ?? s),
        searchDomains: config.searchDomains ?? [],
        searchDomainsOverridden: config.searchDomains !== undefined,
        layer: 'configuration',
      });
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.ResolverSpec, desired);
  }
}
