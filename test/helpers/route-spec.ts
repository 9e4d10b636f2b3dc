// A configured route spec for tests: 10.0.0.0/8 via 192.0.2.1 on eth0, main
// table, metric 1024, configuration layer, with `over` changed.
import type { RouteSpec } from '../../src/resources/network/types.js';

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
