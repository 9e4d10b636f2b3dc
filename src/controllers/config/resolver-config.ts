// Resolver sources per layer: defaults (1.1.1.1, 8.8.8.8; the hostname's domain
// as search domain unless disabled), kernel command line DNS fields, and
// the configured resolvers (ResolverConfig, else machine.network nameservers/searchDomains).
import { canonicalIP } from '../../net/ip.js';
import { NS } from '../../resources/resource.js';
import { layeredId } from '../../resources/network/ids.js';
import { T, type HostnameStatus, type ResolverSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { syncOutputs } from '../sync.js';
import { CmdlineInput, cmdline } from './cmdline.js';
import { MachineConfigInput, machineConfig } from './machine-config.js';
import { DocumentsInput, configContainer } from './documents.js';

export const DEFAULT_RESOLVERS = ['1.1.1.1', '8.8.8.8'];

export class ResolverConfigController implements Controller {
  readonly name = 'ResolverConfigController';
  readonly inputs = [MachineConfigInput, CmdlineInput, DocumentsInput, { namespace: NS.network, type: T.HostnameStatus }];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.ResolverSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const network = machineConfig(ctx)?.machine?.network;
    const setting = configContainer(ctx).resolver();
    const desired = new Map<string, ResolverSpec>();
    const domain = ctx.get<HostnameStatus>(NS.network, T.HostnameStatus, 'hostname')?.spec.domainname ?? '';
    desired.set(layeredId('default', 'resolvers'), {
      dnsServers: DEFAULT_RESOLVERS,
      searchDomains: domain !== '' && setting?.disableDefaultSearchDomain !== true ? [domain] : [],
      searchDomainsOverridden: false,
      layer: 'default',
      source: 'default',
    });
    const fromCmdline = cmdline(ctx)?.resolvers ?? [];
    if (fromCmdline.length > 0) {
      desired.set(layeredId('cmdline', 'resolvers'), { dnsServers: fromCmdline, searchDomains: [], searchDomainsOverridden: false, layer: 'cmdline', source: 'cmdline' });
    }
    // v1alpha1: present keys (even empty lists); ResolverConfig: at least one nameserver, or search domains given
    const configured = setting?.source === 'v1alpha1' ? network?.nameservers !== undefined || network?.searchDomains !== undefined : setting !== undefined && (setting.nameServers.length > 0 || setting.searchDomains !== undefined);
    if (setting && configured) {
      const spec: ResolverSpec = {
        dnsServers: setting.nameServers.map((n) => canonicalIP(n.addr) ?? n.addr),
        searchDomains: setting.searchDomains ?? [],
        searchDomainsOverridden: setting.searchDomains !== undefined,
        layer: 'configuration',
        source: setting.source,
      };
      const encrypted = setting.nameServers.filter((n) => n.protocol !== 'Do53').map((n) => ({ ...n, addr: canonicalIP(n.addr) ?? n.addr }));
      if (encrypted.length > 0) spec.encrypted = encrypted;
      desired.set(layeredId('configuration', 'resolvers'), spec);
    }
    syncOutputs(ctx, this.name, NS.networkConfig, T.ResolverSpec, desired);
  }
}
