// A RouteSpecSet is seen by `get` and watches as the network-config RouteSpecs
// it holds: one resource per route, with its layered ID and the set's metadata.
import { describe, expect, it } from 'vitest';
import { NS, type Resource } from '../../src/resources/resource.js';
import { Store, type WatchEventType } from '../../src/resources/store.js';
import { plain } from '../../src/daemon/daemon.js';
import { listResources, watchResources } from '../../src/resources/network/spec-sets.js';
import { T, type RouteSpec } from '../../src/resources/network/types.js';
import { routeSet, routeSpec } from '../helpers/route-spec.js';

const route = routeSpec;

const set = routeSet;
const OWNER = 'RouteConfigController';

describe('route spec sets as resources', () => {
  it('are listed as one network-config RouteSpec per route, beside the ones stored on their own', () => {
    const store = new Store();
    store.put(NS.networkConfig, T.RouteSpec, 'operator/inet4/192.0.2.1//1024', route({ dst: '', layer: 'operator' }), 'dhcp4');
    store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', set([route({}), route({ dst: '172.16.0.0/12', table: '100' })]), OWNER);
    const listed = listResources(store, NS.networkConfig, T.RouteSpec);
    expect(listed.map((r) => [r.metadata.id, r.metadata.type, r.metadata.owner, r.metadata.version, (r.spec as RouteSpec).dst])).toEqual([
      ['operator/inet4/192.0.2.1//1024', 'RouteSpec', 'dhcp4', 1, ''],
      ['configuration/inet4/192.0.2.1/10.0.0.0/8/1024', 'RouteSpec', OWNER, 1, '10.0.0.0/8'],
      ['configuration/100/inet4/192.0.2.1/172.16.0.0/12/1024', 'RouteSpec', OWNER, 1, '172.16.0.0/12'],
    ]);
    // made plain, as the daemon sends them
    expect(JSON.parse(JSON.stringify(plain(listed[1]!)))).toEqual({ metadata: { ...listed[1]!.metadata, finalizers: [] }, spec: route({}) });
    // other kinds and namespaces are the store's own
    expect(listResources(store, NS.network, T.RouteSpec)).toEqual([]);
    expect(listResources(store, NS.networkConfig, T.AddressSpec)).toEqual([]);
  });

  it('a watch hears a set change as the changes of its routes, and nothing once stopped', () => {
    const store = new Store();
    const heard: string[] = [];
    const stop = watchResources(store, NS.networkConfig, T.RouteSpec, (event: WatchEventType, r: Resource, old: Resource | undefined) => {
      heard.push(`${event} ${r.metadata.id} v${r.metadata.version}${old ? ` (was mtu ${(old.spec as RouteSpec).mtu})` : ''}`);
    });
    const a = route({});
    const b = route({ dst: '172.16.0.0/12' });
    store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', set([a, b]), OWNER);
    expect(heard.splice(0)).toEqual(['created configuration/inet4/192.0.2.1/10.0.0.0/8/1024 v1', 'created configuration/inet4/192.0.2.1/172.16.0.0/12/1024 v1']);
    // a changed, b unchanged, c new; then b gone
    store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', set([{ ...a, mtu: 1400 }, b, route({ dst: '192.168.0.0/16' })]), OWNER);
    expect(heard.splice(0)).toEqual(['updated configuration/inet4/192.0.2.1/10.0.0.0/8/1024 v2 (was mtu 0)', 'created configuration/inet4/192.0.2.1/192.168.0.0/16/1024 v2']);
    store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', set([{ ...a, mtu: 1400 }, route({ dst: '192.168.0.0/16' })]), OWNER);
    expect(heard.splice(0)).toEqual(['destroyed configuration/inet4/192.0.2.1/172.16.0.0/12/1024 v2']);
    // tearing down changes every route's phase; destroying removes each
    store.teardown(NS.networkConfig, T.RouteSpecSet, 'configuration', OWNER);
    expect(heard.splice(0)).toEqual(['updated configuration/inet4/192.0.2.1/10.0.0.0/8/1024 v4 (was mtu 1400)', 'updated configuration/inet4/192.0.2.1/192.168.0.0/16/1024 v4 (was mtu 0)']);
    store.destroy(NS.networkConfig, T.RouteSpecSet, 'configuration', OWNER);
    expect(heard.splice(0)).toEqual(['destroyed configuration/inet4/192.0.2.1/10.0.0.0/8/1024 v4', 'destroyed configuration/inet4/192.0.2.1/192.168.0.0/16/1024 v4']);
    // routes stored on their own are heard as before
    store.put(NS.networkConfig, T.RouteSpec, 'operator/x', route({ layer: 'operator' }), 'dhcp4');
    expect(heard.splice(0)).toEqual(['created operator/x v1']);
    stop();
    store.put(NS.networkConfig, T.RouteSpecSet, 'configuration', set([a]), OWNER);
    store.put(NS.networkConfig, T.RouteSpec, 'operator/y', route({ layer: 'operator' }), 'dhcp4');
    expect(heard).toEqual([]);
  });
});
