// Per-type merge rules (Talos §2.4).
import { NS } from '../../resources/resource.js';
import { addressId, nftTableId, probeId, routeId, routingRuleId } from '../../resources/network/ids.js';
import {
  T,
  type AddressSpec,
  type HostnameSpec,
  type LinkSpec,
  type NftTableSpec,
  type OperatorSpec,
  type ProbeSpec,
  type ResolverSpec,
  type RouteSpec,
  type RoutingRuleSpec,
  type TimeServerSpec,
} from '../../resources/network/types.js';
import { operatorId } from '../config/operator-config.js';
import { MergeController, type MergeRule } from './merge.js';

/** "v1alpha1, LinkConfig/eth0": every source that contributed, once each. */
export function joinSources(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a.split(', '), ...b.split(', ')])].join(', ');
}

/** Links: a higher layer overrides a field only with a non-zero value. */
export const linkRule: MergeRule<LinkSpec> = {
  type: T.LinkSpec,
  id: (s) => s.name,
  merge(lower, higher) {
    const out: LinkSpec = { ...lower };
    for (const [k, v] of Object.entries(higher) as Array<[keyof LinkSpec, LinkSpec[keyof LinkSpec]]>) {
      if (v === undefined || v === '' || v === 0 || v === false) continue;
      (out as unknown as Record<string, unknown>)[k] = v;
    }
    out.layer = higher.layer;
    const sources = joinSources(lower.source, higher.source);
    if (sources !== undefined) out.source = sources;
    return out;
  },
};

/** Addresses: union by link/prefix; the higher layer wins (unmanaged flags are ignored when applying). */
export const addressRule: MergeRule<AddressSpec> = {
  type: T.AddressSpec,
  id: addressId,
  merge: (_lower, higher) => higher,
};

/** Routes: union by route identity; the higher layer wins. */
export const routeRule: MergeRule<RouteSpec> = {
  type: T.RouteSpec,
  id: routeId,
  merge: (_lower, higher) => higher,
  recorded: { namespace: NS.state, type: T.AppliedRoute },
  sets: T.RouteSpecSet,
};

/** Routing rules: union by family and priority; the higher layer wins (Talos RoutingRuleMergeController). */
export const routingRuleRule: MergeRule<RoutingRuleSpec> = {
  type: T.RoutingRuleSpec,
  id: routingRuleId,
  merge: (_lower, higher) => higher,
};

/** nftables tables: one per family and name; the higher layer's whole table wins. */
export const nftTableRule: MergeRule<NftTableSpec> = {
  type: T.NftTableSpec,
  id: nftTableId,
  merge: (_lower, higher) => higher,
};

/** Probes: one per target; the higher layer wins (Talos ProbeMergeController). */
export const probeRule: MergeRule<ProbeSpec> = {
  type: T.ProbeSpec,
  id: probeId,
  merge: (_lower, higher) => higher,
};

/** Hostname: the highest layer with a non-empty hostname wins. */
export const hostnameRule: MergeRule<HostnameSpec> = {
  type: T.HostnameSpec,
  id: () => 'hostname',
  merge: (lower, higher) => (higher.hostname !== '' ? higher : lower),
};

function union(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first, ...second])];
}

const isV6 = (s: string) => s.includes(':');

/**
 * Resolvers (Talos §2.4): the same layer appends; the configuration layer
 * replaces servers only when it has some and search domains when it overrides
 * them; other layers replace per address family, keeping the lower layer's
 * servers of a family they do not provide.
 */
export const resolverRule: MergeRule<ResolverSpec> = {
  type: T.ResolverSpec,
  id: () => 'resolvers',
  merge(lower, higher) {
    if (higher.layer === lower.layer) {
      return withProtocols(lower, higher, {
        dnsServers: union(lower.dnsServers, higher.dnsServers),
        searchDomains: union(lower.searchDomains, higher.searchDomains),
        searchDomainsOverridden: lower.searchDomainsOverridden || higher.searchDomainsOverridden,
        layer: higher.layer,
      });
    }
    if (higher.layer === 'configuration') {
      return withProtocols(lower, higher, {
        dnsServers: higher.dnsServers.length > 0 ? higher.dnsServers : lower.dnsServers,
        searchDomains: higher.searchDomainsOverridden ? higher.searchDomains : union(lower.searchDomains, higher.searchDomains),
        searchDomainsOverridden: higher.searchDomainsOverridden,
        layer: higher.layer,
      });
    }
    let servers = higher.dnsServers;
    if (servers.length === 0) servers = lower.dnsServers;
    else {
      const keep4 = !servers.some((s) => !isV6(s)) ? lower.dnsServers.filter((s) => !isV6(s)) : [];
      const keep6 = !servers.some(isV6) ? lower.dnsServers.filter(isV6) : [];
      servers = [...servers, ...keep4, ...keep6];
    }
    return withProtocols(lower, higher, {
      dnsServers: servers,
      searchDomains: union(higher.searchDomains, lower.searchDomains),
      searchDomainsOverridden: lower.searchDomainsOverridden,
      layer: higher.layer,
    });
  },
};

/** The merged servers keep their protocols (DoT/DoH entries of either side) and the merged sources. */
function withProtocols(lower: ResolverSpec, higher: ResolverSpec, merged: ResolverSpec): ResolverSpec {
  const encrypted = [...(higher.encrypted ?? []), ...(lower.encrypted ?? [])].filter((e, i, all) => merged.dnsServers.includes(e.addr) && all.findIndex((x) => x.addr === e.addr) === i);
  if (encrypted.length > 0) merged.encrypted = encrypted;
  const source = joinSources(lower.source, higher.source);
  if (source !== undefined) merged.source = source;
  return merged;
}

/** Operators: union by operator ID; the higher layer wins. */
export const operatorRule: MergeRule<OperatorSpec> = {
  type: T.OperatorSpec,
  id: operatorId,
  merge: (_lower, higher) => higher,
};

/** Time servers: the highest layer wins; the same layer concatenates. */
export const timeServerRule: MergeRule<TimeServerSpec> = {
  type: T.TimeServerSpec,
  id: () => 'timeservers',
  merge(lower, higher) {
    if (higher.layer !== lower.layer) return higher;
    // the same layer: lists concatenated, NTS only if both ask for it
    const out: TimeServerSpec = { ntpServers: union(lower.ntpServers, higher.ntpServers), layer: higher.layer };
    if (lower.useNTS !== undefined || higher.useNTS !== undefined) out.useNTS = (lower.useNTS ?? false) && (higher.useNTS ?? false);
    const source = joinSources(lower.source, higher.source);
    if (source !== undefined) out.source = source;
    return out;
  },
};

type AnySpec = LinkSpec | AddressSpec | RouteSpec | RoutingRuleSpec | HostnameSpec | ResolverSpec | OperatorSpec | TimeServerSpec | NftTableSpec | ProbeSpec;

export function mergeControllers(): MergeController<AnySpec>[] {
  return [
    new MergeController(linkRule) as MergeController<AnySpec>,
    new MergeController(addressRule) as MergeController<AnySpec>,
    new MergeController(routeRule) as MergeController<AnySpec>,
    new MergeController(routingRuleRule) as MergeController<AnySpec>,
    new MergeController(hostnameRule) as MergeController<AnySpec>,
    new MergeController(resolverRule) as MergeController<AnySpec>,
    new MergeController(operatorRule) as MergeController<AnySpec>,
    new MergeController(timeServerRule) as MergeController<AnySpec>,
    new MergeController(nftTableRule) as MergeController<AnySpec>,
    new MergeController(probeRule) as MergeController<AnySpec>,
  ];
}
