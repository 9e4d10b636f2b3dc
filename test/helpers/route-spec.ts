// A configured route spec for tests: 10.0.0.0/8 via 192.0.2.1 on eth0, main
// table, metric 1024, configuration layer, with `over` changed; and a set of them.
import { routeId } from '../../src/resources/network/ids.js';
import type { RouteSpec, RouteSpecSet } from '../../src/resources/network/types.js';

export const routeSpec = (over: Partial<RouteSpec> = {}): RouteSpec => ({
  family: 'inet4',
  dst: '10.0.0.0/8',
  src: '',
  gateway: '192.0.2.1',
  outLinkName: 'eth0',
  table: 'main',
  priority: 1024,
  scope: 'global',
  type: 'unicast',
  flags: '',
  protocol: 'static',
  mtu: 0,
  layer: 'configuration',
  ...over,
});

/** A configuration layer's routes as one set, each with its merged ID (as RouteConfigController makes it). */
export const routeSet = (specs: RouteSpec[]): RouteSpecSet => ({ layer: 'configuration', specs, ids: specs.map(routeId) });
