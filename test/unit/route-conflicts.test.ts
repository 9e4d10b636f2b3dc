// A configured route the kernel refuses (EEXIST) because a route of another
// protocol has its identity: netcfg finds that route, replaces it, and puts it
// back when its own goes; also when the run that first tried it was killed
// between writing its intent (the state records, saved before the kernel
// changes) and the kernel change. The in-memory kernel refuses a route of the
// same IPv4 identity (table, destination, metric) as the real one does,
// whatever its gateway or interface.
import { describe, expect, it } from 'vitest';
import { configSet, parseConfig } from '../../src/config/load.js';
import { applyOnce } from '../../src/engine.js';
import { silentLogger } from '../../src/log.js';
import type { Outcome, Request } from '../../src/netlink/connection.js';
import { RTM_NEWROUTE } from '../../src/netlink/rtnetlink/constants.js';
import type { RouteMessage } from '../../src/netlink/rtnetlink/route.js';
import { T, routeCreated, type AppliedRoute } from '../../src/resources/network/types.js';
import type { StateFile } from '../../src/runtime/state-file.js';
import { FakeKernel } from '../helpers/fake-kernel.js';
import { MemoryState } from '../helpers/memory-state.js';

const RTPROT_BIRD = 12;

const WITH_ROUTE = `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
          - network: 10.64.0.1/32
            gateway: 192.0.2.1
`;
const WITHOUT_ROUTE = `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
`;

/** The in-memory kernel, except that the first batch adding a route never comes back: the process "dies" there. */
class DyingKernel extends FakeKernel {
  dead = false;
  onDeath: (() => void) | undefined;

  override execAll(requests: readonly Request[]): Promise<Outcome[]> {
    if (this.dead) return new Promise(() => {});
    if (requests.some((r) => r.type === RTM_NEWROUTE)) {
      this.dead = true;
      this.onDeath?.();
      return new Promise(() => {});
    }
    return super.execAll(requests);
  }
}

function run(kernel: FakeKernel, state: MemoryState, yaml: string) {
  return applyOnce(configSet(parseConfig('test.yaml', yaml)), { kernel, log: silentLogger(), state: state as unknown as StateFile });
}

function birdRoute(oif: number): RouteMessage {
  return { family: 'inet4', dst: '10.64.0.1', dstLen: 32, srcLen: 0, tos: 0, table: 254, protocol: RTPROT_BIRD, scope: 0, type: 1, flags: 0, gateway: '172.31.0.2', oif, priority: 1024 };
}

function addForeign(k: FakeKernel): number {
  k.addLink('lo');
  k.addLink('eth0');
  const fv0 = k.addLink('fv0');
  // a routing daemon's link, address and route (its gateway reachable through fv0)
  k.addresses.push({ family: 'inet4', prefixLen: 24, flags: 0x80, scope: 0, index: fv0.index, address: '172.31.0.1', local: '172.31.0.1' });
  k.routes.push(birdRoute(fv0.index));
  return fv0.index;
}

describe('a route of the same kernel identity, of another protocol', () => {
  it('through another interface (IPv4: the interface is not part of the identity) is replaced, and put back', async () => {
    const kernel = new FakeKernel();
    const fv0 = addForeign(kernel);
    const state = new MemoryState();
    const first = await run(kernel, state, WITH_ROUTE);
    expect(first.failures).toEqual([]);
    expect(kernel.routes.filter((r) => r.dst === '10.64.0.1').map((r) => `${r.gateway} ${r.protocol}`)).toEqual(['192.0.2.1 4']);
    expect(state.items<AppliedRoute>(T.AppliedRoute)[0]?.spec.replaced).toMatchObject({ gateway: '172.31.0.2', outLinkName: 'fv0', protocol: 'bird' });
    const second = await run(kernel, state, WITHOUT_ROUTE);
    expect(second.failures).toEqual([]);
    expect(kernel.routes.filter((r) => r.dst === '10.64.0.1')).toEqual([birdRoute(fv0)]);
  });

  it('killed between the intent and the add: the run after it still records the route it replaces, and puts it back', async () => {
    const k = new DyingKernel();
    const fv0 = addForeign(k);
    const state = new MemoryState();

    // the first run dies as it sends its routes: what it saved is what the next run finds
    let saved: MemoryState['kinds'] | undefined;
    k.onDeath = () => (saved = structuredClone(state.kinds));
    void run(k, state, WITH_ROUTE);
    await new Promise((r) => setTimeout(r, 200));
    expect(k.dead).toBe(true);
    const intent = new MemoryState();
    intent.kinds = saved!;
    // the intent: the route recorded as netcfg's before it was added (it never was)
    expect(intent.items<AppliedRoute>(T.AppliedRoute).map((i) => routeCreated(i.spec))).toEqual([true]);
    expect(k.routes.filter((r) => r.protocol === RTPROT_BIRD)).toHaveLength(1);

    // the next run completes: the kernel refuses the add (EEXIST), netcfg finds the foreign route and replaces it
    const kernel = new FakeKernel();
    Object.assign(kernel, { links: k.links, addresses: k.addresses, routes: k.routes });
    const second = await run(kernel, intent, WITH_ROUTE);
    expect(second.failures).toEqual([]);
    expect(kernel.routes.filter((r) => r.dst === '10.64.0.1').map((r) => `${r.gateway} ${r.protocol}`)).toEqual(['192.0.2.1 4']);
    const [record] = intent.items<AppliedRoute>(T.AppliedRoute);
    expect(record?.spec.replaced).toMatchObject({ gateway: '172.31.0.2', outLinkName: 'fv0', protocol: 'bird' });

    // the route leaves the config: netcfg's goes, the foreign one is back as it was
    const third = await run(kernel, intent, WITHOUT_ROUTE);
    expect(third.failures).toEqual([]);
    expect(kernel.routes.filter((r) => r.dst === '10.64.0.1')).toEqual([birdRoute(fv0)]);
    expect(intent.items(T.AppliedRoute)).toEqual([]);
  });
});
