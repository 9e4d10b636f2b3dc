// Per-type merge rules (Talos §2.4).
import { addressId, routeId } from '../../resources/network/ids.js';
import { T, type AddressSpec, type LinkSpec, type RouteSpec } from '../../resources/network/types.js';
import { MergeController, type MergeRule } from './merge.js';

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
};

export function mergeControllers(): MergeController<LinkSpec | AddressSpec | RouteSpec>[] {
  return [
    new MergeController(linkRule) as MergeController<LinkSpec | AddressSpec | RouteSpec>,
    new MergeController(addressRule) as MergeController<LinkSpec | AddressSpec | RouteSpec>,
    new MergeController(routeRule) as MergeController<LinkSpec | AddressSpec | RouteSpec>,
  ];
}
