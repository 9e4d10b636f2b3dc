// Beside a routing daemon's routes, netcfg costs nothing: the daemon holds no
// route of a table it does not use, nor a foreign one in a table it does use,
// and an event about such a route wakes no controller (it is dropped after its
// header). Its own routes are still repaired. Sizes are small here; the real
// figures (1M routes, churn) come from bench/foreign-routes.mjs.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { call, connect } from '../../src/daemon/client.js';
import type { Resource } from '../../src/resources/resource.js';
import type { RouteStatus } from '../../src/resources/network/types.js';
import { startDaemon, within } from '../helpers/daemon.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const CONFIG = `machine:
  network:
    interfaces:
      - interface: eth0
        addresses: [192.0.2.10/24]
        routes:
          - network: 198.51.100.0/24
            gateway: 192.0.2.1
`;

/** Foreign routes through eth0's router, as a routing daemon would add them (protocol bird). */
function foreignRoutes(net: TestNet, table: string, count: number, second: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`route add 10.${second}.${i >> 8}.${i & 255}/32 via 192.0.2.1 proto bird table ${table}`);
  execFileSync('ip', ['-n', net.ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

async function daemonRoutes(socket: string): Promise<RouteStatus[]> {
  const s = await connect(socket);
  if (!s) throw new Error('no daemon');
  try {
    return (await call<Resource<RouteStatus>[]>(s, { op: 'get', namespaces: ['network'], type: 'RouteStatus' })).map((r) => r.spec);
  } finally {
    s.end();
  }
}

describe('foreign routes', () => {
  it('the daemon holds only the routes it manages, and foreign route events wake no controller', async () => {
    const net = createTestNet();
    const d = await startDaemon(net, net.file('c.yaml', CONFIG));
    await within(5000, () => net.ip('route', 'show').includes('198.51.100.0/24 via 192.0.2.1'), 'the managed route');
    foreignRoutes(net, '100', 2000, 1);
    foreignRoutes(net, 'main', 2000, 2);
    await new Promise((r) => setTimeout(r, 1000));
    const before = d.log().length;

    // more of them, in both tables, after the daemon settled
    foreignRoutes(net, '100', 500, 3);
    foreignRoutes(net, 'main', 500, 4);
    await new Promise((r) => setTimeout(r, 1000));
    const woken = d.log().slice(before).filter((l) => l.msg === 'reconciled');
    expect(woken.map((l) => l.controller)).toEqual([]);

    const held = await daemonRoutes(d.socket);
    expect(held.filter((r) => r.table !== 'main')).toEqual([]);
    expect(held.filter((r) => r.protocol === 'bird')).toEqual([]);
    expect(held.map((r) => r.dst)).toContain('198.51.100.0/24');
    expect(held.length).toBeLessThan(10);
    // the kernel really has them
    expect(net.ip('route', 'show', 'table', '100').split('\n').filter(Boolean).length).toBe(2500);

    // its own route is still watched: deleted, it comes back
    net.ip('route', 'del', '198.51.100.0/24');
    await within(2000, () => net.ip('route', 'show').includes('198.51.100.0/24 via 192.0.2.1'), 'the managed route repaired');
    expect(d.log().slice(before).some((l) => l.msg === 'reconciled' && l.controller === 'RouteStatusController')).toBe(true);
  });
});
