// This node's KubeSpan data in its affiliate (Talos local_affiliate.go, spec
// §7.3), for LocalAffiliateController's hook: the public key, the KubeSpan
// address, the endpoints it announces (its addresses and the public IPs
// discovery saw, through filters.endpoints, at port 51820, then the
// KubeSpanEndpointsConfig extras) and the networks peers must not route here.
// No advertised networks: advertiseKubernetesNetworks would add the node's pod
// CIDRs, which come from the Kubernetes API netcfg does not talk to.
import { localEndpoints } from '../../kubespan/endpoints.js';
import { CLUSTER_NS, CT, KUBESPAN_CONFIG_ID, KUBESPAN_IDENTITY_ID, type AffiliateKubeSpan, type KubeSpanConfigSpec, type KubeSpanIdentitySpec } from '../../resources/cluster/types.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import type { KubeSpanAffiliateSource } from '../cluster/local-affiliate.js';

export function kubespanAffiliate(config: KubeSpanConfigSpec, identity: KubeSpanIdentitySpec, node: { addresses: readonly string[]; publicIPs: readonly string[] }): AffiliateKubeSpan {
  return {
    publicKey: identity.publicKey,
    address: identity.address.replace(/\/\d+$/, ''),
    additionalAddresses: [],
    endpoints: localEndpoints({
      addresses: node.addresses,
      kubespanAddress: identity.address,
      publicIPs: node.publicIPs,
      endpointFilters: config.endpointFilters,
      extraEndpoints: config.extraEndpoints,
    }),
    excludeAdvertisedNetworks: [...config.excludeAdvertisedNetworks],
  };
}

export const kubespanAffiliateSource: KubeSpanAffiliateSource = {
  inputs: [
    { namespace: CLUSTER_NS.config, type: CT.KubeSpanConfig },
    { namespace: CLUSTER_NS.kubespan, type: CT.KubeSpanIdentity },
  ],
  read(ctx: ReconcileContext, node) {
    const config = ctx.get<KubeSpanConfigSpec>(CLUSTER_NS.config, CT.KubeSpanConfig, KUBESPAN_CONFIG_ID)?.spec;
    const identity = ctx.get<KubeSpanIdentitySpec>(CLUSTER_NS.kubespan, CT.KubeSpanIdentity, KUBESPAN_IDENTITY_ID)?.spec;
    if (!config?.enabled || !identity) return undefined;
    return kubespanAffiliate(config, identity, node);
  },
};
