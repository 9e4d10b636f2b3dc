// NetworkRuleConfig and NetworkDefaultActionConfig documents → the ingress
// firewall's nftables table at the configuration layer (talos-multidoc.md §3.19;
// the chains are described in src/nftables/firewall.ts). No table while the
// default action is accept and there is no rule; the table netcfg made goes
// when the documents go. Kubernetes' subnets (KubeNetworkConfig, else v1alpha1
// cluster.network) and host DNS' service addresses open what Talos opens.
import { NS } from '../../resources/resource.js';
import { layeredId, nftTableId } from '../../resources/network/ids.js';
import { T, type NftTableSpec } from '../../resources/network/types.js';
import type { Controller, ReconcileContext } from '../../runtime/controller.js';
import { firewallRuleset, type FirewallRule } from '../../nftables/firewall.js';
import { syncOutputs } from '../sync.js';
import { DocumentsInput, configContainer } from './documents.js';
import { MachineConfigInput } from './machine-config.js';
import { HOST_DNS_SERVICE_V4, HOST_DNS_SERVICE_V6 } from './address-config.js';
import { prefixFamily } from '../../net/ip.js';

export class FirewallConfigController implements Controller {
  readonly name = 'FirewallConfigController';
  readonly inputs = [MachineConfigInput, DocumentsInput];
  readonly outputs = [{ namespace: NS.networkConfig, type: T.NftTableSpec, kind: 'shared' as const }];

  async reconcile(ctx: ReconcileContext): Promise<void> {
    const config = configContainer(ctx);
    const defaultAction = config.ofKind('NetworkDefaultActionConfig')[0]?.spec.ingress ?? 'accept';
    const rules: FirewallRule[] = [];
    for (const d of config.ofKind('NetworkRuleConfig')) {
      const protocol = d.spec.portSelector?.protocol;
      // Talos takes a rule without a protocol as protocol 0, which no packet has
      if (protocol === undefined) {
        ctx.log.warn({ rule: d.spec.name }, 'firewall rule without portSelector.protocol: it matches no traffic');
        continue;
      }
      rules.push({
        name: d.spec.name ?? '',
        protocol,
        ports: d.spec.portSelector?.ports ?? [],
        ingress: (d.spec.ingress ?? []).flatMap((i) => (i.subnet ? [{ subnet: i.subnet, except: i.except }] : [])),
      });
    }
    const network = config.kubernetesNetwork();
    const kubernetes = network ? [...network.podSubnets, ...network.serviceSubnets] : [];
    // Talos: IPv4's service address always, IPv6's too with an IPv6 pod subnet
    const hostDNS = config.hostDNS();
    const v6Pods = network?.podSubnets.some((s) => prefixFamily(s) === 'inet6') === true;
    const dnsTargets = hostDNS?.enabled === true && hostDNS.forwardKubeDNSToHost ? [HOST_DNS_SERVICE_V4, ...(v6Pods ? [HOST_DNS_SERVICE_V6] : [])] : [];
    const desired = new Map<string, NftTableSpec>();
    const table = firewallRuleset({ defaultAction, rules, kubernetes, hostDNS: dnsTargets });
    if (table) desired.set(layeredId('configuration', nftTableId(table)), { ...table, layer: 'configuration' });
    syncOutputs(ctx, this.name, NS.networkConfig, T.NftTableSpec, desired);
  }
}
