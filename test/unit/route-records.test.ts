// The record netcfg keeps of a route it made is the merged spec itself when it
// says all a record would (one object per route, not two), and one written for
// the purpose otherwise. Either way, after the state file's round trip, netcfg
// knows which routes it made: it removes those and leaves the ones it found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSet, parseConfig } from '../../src/config/load.js';
import { putConfig } from '../../src/controllers/config/documents.js';
import { CONFIG_OWNER, configRuntime } from '../../src/engine.js';
import { silentLogger } from '../../src/log.js';
import { IFF_UP } from '../../src/netlink/rtnetlink/constants.js';
import { NS } from '../../src/resources/resource.js';
import { T, routeCreated, type AppliedRoute, type RouteSpec, type RouteSpecSet } from '../../src/resources/network/types.js';
import { StateFile } from '../../src/runtime/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { routeSpec } from '../helpers/route-spec.js';

const V4 = 'inet4/192.0.2.1/10.0.0.0/8/1024';
const FOUND = 'inet4/192.0.2.1/172.16.0.0/12/1024';
const V6 = 'eth0/inet6/2001:db8::1/2001:db8:5::/48/0';

const config = (routes: string) => `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
${routes}`;
const BOTH = config('          - network: 10.0.0.0/8\n            gateway: 192.0.2.1\n          - network: 172.16.0.0/12\n            gateway: 192.0.2.1\n');
const NONE = config('          []\n').replace('routes:\n          []', 'routes: []');

/** An operator's IPv6 route with metric 0: the kernel shows it with 1024, the record says 1024. */
const v6Spec = routeSpec({ family: 'inet6', dst: '2001:db8:5::/48', gateway: '2001:db8::1', priority: 0, layer: 'operator' });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function run(kernel: FakeKernel, state: StateFile, yaml: string, extra?: (rt: ReturnType<typeof configRuntime>) => void) {
  const before = kernel.writes;
  const runtime = configRuntime({ kernel, log: silentLogger(), mode: 'oneshot', state });
  putConfig(runtime.store, configSet(parseConfig('c.yaml', yaml)), CONFIG_OWNER);
  extra?.(runtime);
  await runtime.start();
  await runtime.settle();
  await runtime.stop();
  expect(runtime.failures()).toEqual([]);
  const record = (id: string) => runtime.store.get<AppliedRoute>(NS.state, T.AppliedRoute, id)?.spec;
  const merged = (id: string) => runtime.store.get<RouteSpec>(NS.network, T.RouteSpec, id)?.spec;
  const set = runtime.store.get<RouteSpecSet>(NS.networkConfig, T.RouteSpecSet, 'configuration')?.spec;
  return { writes: kernel.writes - before, record, merged, set };
}

describe('route records', () => {
  it('a made route is recorded by its spec; one with a metric of 0, or found in the kernel, by a record of its own; all survive the state file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-records-'));
    dirs.push(dir);
    const k = new FakeKernel();
    k.addLink('lo');
    k.addLink('eth0', { flags: IFF_UP });
    // someone else's route, the very one the config asks for: found, not made
    k.routes.push({ family: 'inet4', dstLen: 12, srcLen: 0, tos: 0, table: 254, protocol: 4, scope: 0, type: 1, flags: 0, dst: '172.16.0.0', gateway: '192.0.2.1', oif: 2, priority: 1024 });
    const state = () => new StateFile(dir, 'test');
    const operatorRoute = (rt: ReturnType<typeof configRuntime>) => rt.store.put(NS.networkConfig, T.RouteSpec, `operator/${V6}`, v6Spec, 'dhcp6');

    const first = await run(k, state(), BOTH, operatorRoute);
    expect(first.writes).toBeGreaterThan(0);
    // the made IPv4 route: its record is its merged spec, the one object
    expect(first.record(V4)).toBe(first.merged(V4));
    expect(routeCreated(first.record(V4)!)).toBe(true);
    // metric 0: a record of its own, with the metric the kernel shows
    expect(first.record(V6)).not.toBe(first.merged(V6));
    expect(first.record(V6)).toMatchObject({ priority: 1024, created: true });
    // found: a record of its own that says netcfg did not make it
    expect(first.record(FOUND)).toMatchObject({ dst: '172.16.0.0/12', created: false });
    expect(routeCreated(first.record(FOUND)!)).toBe(false);

    // the re-apply loads the records from the file: nothing to write, and the configured routes are the loaded records
    const again = await run(k, state(), BOTH, operatorRoute);
    expect(again.writes).toBe(0);
    expect(routeCreated(again.record(V4)!)).toBe(true);
    expect(routeCreated(again.record(V6)!)).toBe(true);
    expect(routeCreated(again.record(FOUND)!)).toBe(false);
    const held = again.set!.specs.find((s) => s.dst === '10.0.0.0/8');
    expect(held).toBe(again.record(V4));
    expect(again.merged(V4)).toBe(held);

    // the routes leave the config: the made ones go, the found one stays
    const gone = await run(k, state(), NONE);
    expect(gone.record(V4)).toBeUndefined();
    expect(gone.record(FOUND)).toBeUndefined();
    expect(k.routes.map((r) => `${r.dst}/${r.dstLen}`).sort()).toEqual(['172.16.0.0/12']);
  });

  it('a record without `created` that is not a spec is not taken for netcfg’s', () => {
    const route = { family: 'inet4' as const, dst: '10.0.0.0/8', src: '', gateway: '192.0.2.1', outLinkName: 'eth0', table: 'main', priority: 1024, scope: 'global', type: 'unicast', protocol: 'static', mtu: 0 };
    expect(routeCreated(route as unknown as AppliedRoute)).toBe(false);
    expect(routeCreated({ ...route, created: true })).toBe(true);
    expect(routeCreated({ ...route, created: false })).toBe(false);
    expect(routeCreated({ ...route, flags: '', layer: 'configuration' })).toBe(true);
  });
});
