// One KubeSpan node for the unit tests: the cluster's ID and secret, the node's
// WireGuard key and KubeSpan identity, and its config (forced routing, MTU 1420).
import { publicKey } from '../../src/net/wgkey.js';
import type { KubeSpanConfigSpec, KubeSpanIdentitySpec } from '../../src/resources/cluster/types.js';

export const CLUSTER_ID = '8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=';
export const SECRET = 'dAmFcyNmDXusqnTSkPJrsgLJ38W8oEEXGZKM0x6Orpc=';
export const PRIVATE = 'gNoasoKOJzl+/B+uXhvsBVxv81OcVLrlcmQ5jQwZO08=';

export const IDENTITY: KubeSpanIdentitySpec = { address: 'fd7f:175a:b97c:5602:42:acff:fe11:2/128', subnet: 'fd7f:175a:b97c:5602::/64', privateKey: PRIVATE, publicKey: publicKey(PRIVATE) };

export function kubespanConfig(over: Partial<KubeSpanConfigSpec> = {}): KubeSpanConfigSpec {
  return {
    enabled: true,
    forceRouting: true,
    advertiseKubernetesNetworks: false,
    harvestExtraEndpoints: false,
    mtu: 1420,
    endpointFilters: [],
    excludeAdvertisedNetworks: [],
    extraEndpoints: [],
    clusterId: CLUSTER_ID,
    sharedSecret: SECRET,
    ...over,
  };
}
