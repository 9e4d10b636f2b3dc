// Layer merging (Talos §2.4): links field by field with non-zero overrides,
// addresses and routes by identity with the higher layer winning.
import { describe, expect, it } from 'vitest';
import { MergeController } from '../../src/controllers/merge/merge.js';
import { addressRule, linkRule, routeRule } from '../../src/controllers/merge/rules.js';
import { silentLogger } from '../../src/log.js';
import { NS } from '../../src/resources/resource.js';
import { T, type AddressSpec, type LinkSpec, type RouteSpec } from '../../src/resources/network/types.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { routeSet, routeSpec } from '../helpers/route-spec.js';

const link = (over: Partial<LinkSpec>): LinkSpec => ({ name: 'eth0', logical: false, up: false, mtu: 0, kind: '', type: 'ether', layer: 'default', ...over });
const route = routeSpec;

async function merged<S extends { layer: LinkSpec['layer'] }>(rule: ConstructorParameters<typeof MergeController<S>>[0], inputs: Array<[string, S]>) {
  const rt = new Runtime({ log: silentLogger(), mode: 'oneshot' });
  rt.register(new MergeController(rule));
  for (const [id, spec] of inputs) rt.store.put(NS.networkConfig, rule.type, id, spec, `writer-${spec.layer}`);
  await rt.start();
  await rt.settle();
  return { rt, out: rt.store.list<S>(NS.network, rule.type).map((r) => [r.metadata.id, r.spec] as const) };
}

describe('merge rules', () => {
  it('links: a higher layer overrides only with non-zero values, whatever the input order', async () => {
    const { out } = await merged(linkRule, [
      ['configuration/eth0', link({ up: true, layer: 'configuration' })],
      ['operator/eth0', link({ mtu: 1400, up: true, layer: 'operator' })],
      ['default/eth0', link({ mtu: 1500, layer: 'default' })],
    ]);
    // the DHCP (operator) MTU wins over the default layer; the configuration layer sets no MTU, so it does not zero it
    expect(out).toEqual([['eth0', link({ up: true, mtu: 1400, layer: 'configuration' })]]);
  });

  it('links: a configured MTU overrides one from DHCP', async () => {
    const { out } = await merged(linkRule, [
      ['operator/eth0', link({ mtu: 1400, up: true, layer: 'operator' })],
      ['configuration/eth0', link({ mtu: 9000, up: true, layer: 'configuration' })],
    ]);
    expect(out[0]![1].mtu).toBe(9000);
  });

  it('routes: union by identity, the higher layer wins a duplicate', async () => {
    const { out } = await merged(routeRule, [
      ['operator/a', route({ protocol: 'boot', layer: 'operator', mtu: 1400 })],
      ['configuration/a', route({ layer: 'configuration' })],
      ['operator/b', route({ dst: '172.16.0.0/12', protocol: 'boot', layer: 'operator' })],
    ]);
    expect(new Map(out)).toEqual(
      new Map([
        ['inet4/192.0.2.1/10.0.0.0/8/1024', route({ layer: 'configuration' })],
        ['inet4/192.0.2.1/172.16.0.0/12/1024', route({ dst: '172.16.0.0/12', protocol: 'boot', layer: 'operator' })],
      ]),
    );
  });

  it('routes: the records of what netcfg applied change no merged ID, add none and remove none', async () => {
    const rt = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    rt.register(new MergeController(routeRule));
    const record = { ...route({}), created: true };
    // a re-apply: the records are in the store before the specs are merged (one of them without a spec any more)
    rt.store.put(NS.state, T.AppliedRoute, 'inet4/192.0.2.1/10.0.0.0/8/1024', record, 'RouteSpecController');
    rt.store.put(NS.state, T.AppliedRoute, 'inet4/192.0.2.1/198.51.100.0/24/1024', { ...record, dst: '198.51.100.0/24' }, 'RouteSpecController');
    rt.store.put(NS.networkConfig, routeRule.type, 'configuration/a', route({}), 'writer-configuration');
    rt.store.put(NS.networkConfig, routeRule.type, 'configuration/b', route({ dst: '172.16.0.0/12' }), 'writer-configuration');
    await rt.start();
    await rt.settle();
    expect(rt.store.list<RouteSpec>(NS.network, routeRule.type).map((r) => [r.metadata.id, r.spec.dst])).toEqual([
      ['inet4/192.0.2.1/10.0.0.0/8/1024', '10.0.0.0/8'],
      ['inet4/192.0.2.1/172.16.0.0/12/1024', '172.16.0.0/12'],
    ]);
    expect(rt.failures()).toEqual([]);
  });

  it('routes: a layer held as one RouteSpecSet merges as if each route were its own resource', async () => {
    const rt = new Runtime({ log: silentLogger(), mode: 'oneshot' });
    rt.register(new MergeController(routeRule));
    // the configuration layer as a set; an operator's route of the same identity as one of its routes, on its own
    rt.store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', routeSet([route({}), route({ dst: '172.16.0.0/12' })]), 'RouteConfigController');
    rt.store.put(NS.networkConfig, T.RouteSpec, 'operator/a', route({ protocol: 'boot', mtu: 1400, layer: 'operator' }), 'writer-operator');
    await rt.start();
    await rt.settle();
    const out = () => rt.store.list<RouteSpec>(NS.network, routeRule.type).map((r) => [r.metadata.id, r.spec.layer, r.spec.mtu]);
    // the configuration layer wins over the operator's
    expect(out()).toEqual([
      ['inet4/192.0.2.1/10.0.0.0/8/1024', 'configuration', 0],
      ['inet4/192.0.2.1/172.16.0.0/12/1024', 'configuration', 0],
    ]);
    // the set loses a route: its merged spec goes, and the one the operator also gives falls back to the operator's
    rt.store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', routeSet([route({ dst: '172.16.0.0/12' })]), 'RouteConfigController');
    await rt.settle();
    expect(out()).toEqual([
      ['inet4/192.0.2.1/10.0.0.0/8/1024', 'operator', 1400],
      ['inet4/192.0.2.1/172.16.0.0/12/1024', 'configuration', 0],
    ]);
    // the set goes: only the operator's route stays
    rt.store.destroy(NS.networkConfig, T.RouteSpecSet, 'configuration', 'RouteConfigController');
    await rt.settle();
    expect(out()).toEqual([['inet4/192.0.2.1/10.0.0.0/8/1024', 'operator', 1400]]);
    expect(rt.failures()).toEqual([]);
  });

  it('addresses: keyed by link and prefix', async () => {
    const a = (over: Partial<AddressSpec>): AddressSpec => ({ address: '192.0.2.10/24', linkName: 'eth0', family: 'inet4', scope: 'global', flags: 'permanent', announceWithARP: false, priority: 0, layer: 'default', ...over });
    const { out } = await merged(addressRule, [
      ['default/x', a({})],
      ['operator/x', a({ priority: 1024, layer: 'operator' })],
      ['operator/y', a({ linkName: 'eth1', layer: 'operator' })],
    ]);
    expect(out.map(([id, s]) => [id, s.priority])).toEqual([
      ['eth0/192.0.2.10/24', 1024],
      ['eth1/192.0.2.10/24', 0],
    ]);
  });

  it('tears down merged specs whose inputs are gone', async () => {
    const { rt } = await merged(routeRule, [
      ['configuration/a', route({})],
      ['configuration/b', route({ dst: '172.16.0.0/12' })],
    ]);
    rt.store.destroy(NS.networkConfig, routeRule.type, 'configuration/b', 'writer-configuration');
    await rt.settle();
    expect(rt.store.list(NS.network, routeRule.type).map((r) => r.metadata.id)).toEqual(['inet4/192.0.2.1/10.0.0.0/8/1024']);
  });
});

describe('routing tables', () => {
  it('names and numbers map to the kernel number; an unknown name is an error, never main', async () => {
    const { routeTableNumber, UnknownRouteTableError } = await import('../../src/resources/network/enums.js');
    expect(routeTableNumber(undefined)).toBe(254);
    expect(routeTableNumber('main')).toBe(254);
    expect(routeTableNumber('local')).toBe(255);
    expect(routeTableNumber('default')).toBe(253);
    expect(routeTableNumber('1000')).toBe(1000);
    expect(() => routeTableNumber('mian')).toThrow(UnknownRouteTableError);
    expect(() => routeTableNumber('mian')).toThrow(/unknown routing table "mian"/);
  });

  it('the config refuses an unknown table name with the names it knows', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    expect(() => parseConfig('c.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        routes: [{network: 10.0.0.0/8, gateway: 192.0.2.1, table: mian}]\n')).toThrow(/c\.yaml:5:\d+: error: .*table.*main, local, default/);
  });
});
