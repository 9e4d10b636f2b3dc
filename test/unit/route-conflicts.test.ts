// A configured route the kernel refuses (EEXIST) because a route of another
// protocol has its identity: netcfg finds that route, replaces it, and puts it
// back when its own goes. The in-memory kernel refuses a route of the
// same IPv4 identity (table, destination, metric) as the real one does,
// whatever its gateway or interface.
import { describe, expect, it } from 'vitest';
import { configSet, parseConfig } from '../../src/config/load.js';
import { applyOnce } from '../../src/engine.js';
import { silentLogger } from '../../src/log.js';
import type { RouteMessage } from '../../src/netlink/rtnetlink/route.js';
import { T, type AppliedRoute } from '../../src/resources/network/types.js';
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
});
