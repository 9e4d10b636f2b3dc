// Daemon-mode runtime: kernel events wake the controllers, so a link that
// appears later is configured and a deleted address comes back.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { MACHINE_CONFIG_ID } from '../../src/controllers/config/machine-config.js';
import { CONFIG_OWNER, configRuntime } from '../../src/engine.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { Kernel } from '../../src/controllers/kernel.js';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import { openKernelWatch } from '../../src/netlink/rtnetlink/watch.js';
import { NS } from '../../src/resources/resource.js';
import { T } from '../../src/resources/network/types.js';
import { createTestNet } from '../helpers/netns.js';

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('watch-driven reconcile', () => {
  it('configures a link when it appears and repairs a deleted address', async () => {
    const net = createTestNet({ interfaces: 0 });
    const kernel = RtnlClient.open({ netns: net.ns });
    const log = process.env.NETCFG_DEBUG_TEST ? createLogger('debug') : silentLogger();
    const runtime = configRuntime({ kernel, log, mode: 'daemon' });
    try {
      const { config } = parseConfig('c.yaml', 'machine:\n  network:\n    interfaces:\n      - interface: hot0\n        mtu: 1280\n        addresses: [192.0.2.77/24]\n');
      runtime.store.put(NS.config, T.MachineConfig, MACHINE_CONFIG_ID, config, CONFIG_OWNER);
      await runtime.start();
      await runtime.settle();
      expect(runtime.changes.pending.has('link/hot0')).toBe(true);

      net.ip('link', 'add', 'hot0', 'type', 'veth', 'peer', 'name', 'hot1');
      const addrOf = () => net.json('addr', 'show', 'hot0')[0]?.addr_info as Array<{ local: string }> | undefined;
      await until('hot0 configured', () => {
        const [l] = net.json('link', 'show', 'hot0');
        return l?.mtu === 1280 && (addrOf() ?? []).some((a) => a.local === '192.0.2.77');
      });

      net.ip('addr', 'del', '192.0.2.77/24', 'dev', 'hot0');
      const t0 = Date.now();
      await until('address repaired', () => (addrOf() ?? []).some((a) => a.local === '192.0.2.77'));
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      await runtime.stop();
      kernel.close();
    }
  });

  it('route events stop while paused, and the end of the last pause wakes the watchers once', async () => {
    const net = createTestNet();
    net.ip('link', 'set', 'eth0', 'up');
    const seen: string[] = [];
    const events = openKernelWatch({ kinds: ['route', 'link'], onEvent: (kind) => seen.push(kind), onOverrun: () => seen.push('overrun') }, { netns: net.ns });
    try {
      const routes = () => seen.filter((k) => k === 'route').length;
      net.ip('route', 'add', '198.51.100.0/24', 'dev', 'eth0');
      await events.barrier();
      expect(routes()).toBeGreaterThan(0);

      seen.length = 0;
      const resume = events.pauseRoutes();
      const inner = events.pauseRoutes();
      for (let i = 1; i <= 20; i++) net.ip('route', 'add', `203.0.113.${i}/32`, 'dev', 'eth0');
      inner(); // still paused by the outer pause
      net.ip('route', 'del', '198.51.100.0/24', 'dev', 'eth0');
      net.ip('link', 'set', 'eth0', 'mtu', '1400');
      await events.barrier();
      expect(routes()).toBe(0);
      expect(seen).toContain('link'); // only route events stop
      resume();
      expect(routes()).toBe(1); // the watchers re-list what they missed
      resume(); // a second call is nothing
      expect(routes()).toBe(1);

      net.ip('route', 'del', '203.0.113.1/32', 'dev', 'eth0');
      await events.barrier();
      expect(routes()).toBeGreaterThan(1);
      expect(seen).not.toContain('overrun');
    } finally {
      events.close();
    }
  });

  it('pausing route events does nothing on a watch that has none, or once the watch is closed', async () => {
    const net = createTestNet();
    const seen: string[] = [];
    const events = openKernelWatch({ kinds: ['link'], onEvent: (kind) => seen.push(kind), onOverrun: () => seen.push('overrun') }, { netns: net.ns });
    try {
      events.pauseRoutes()();
      expect(seen).toEqual([]);
    } finally {
      events.close();
    }
    const routes = openKernelWatch({ kinds: ['route'], onEvent: (kind) => seen.push(kind), onOverrun: () => seen.push('overrun') }, { netns: net.ns });
    const resume = routes.pauseRoutes();
    routes.close();
    // a watch closed while paused (the daemon stopping during a write): nothing to join, no one to wake
    expect(() => resume()).not.toThrow();
    expect(() => routes.pauseRoutes()()).not.toThrow();
    expect(seen).toEqual([]);
  });

  it("the daemon reads no events of its own route writes, and repairs a route deleted after them", async () => {
    const net = createTestNet();
    const n = 300;
    const kernel = RtnlClient.open({ netns: net.ns });
    // every route event the daemon's watch reads as far as its filter, counted
    let filtered = 0;
    const counting: Kernel = Object.assign(Object.create(kernel) as RtnlClient, {
      watch: (options: Parameters<RtnlClient['watch']>[0]) =>
        kernel.watch({ ...options, ...(options.routeFilter ? { routeFilter: (h: Parameters<NonNullable<typeof options.routeFilter>>[0]) => (filtered++, options.routeFilter!(h)) } : {}) }),
    });
    const log = process.env.NETCFG_DEBUG_TEST ? createLogger('debug') : silentLogger();
    const runtime = configRuntime({ kernel: counting, log, mode: 'daemon' });
    try {
      const routes = Array.from({ length: n }, (_, i) => `          - network: 10.77.${i >> 8}.${i & 255}/32\n            gateway: 192.0.2.1\n`).join('');
      const { config } = parseConfig('c.yaml', `machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n        routes:\n${routes}`);
      runtime.store.put(NS.config, T.MachineConfig, MACHINE_CONFIG_ID, config, CONFIG_OWNER);
      await runtime.start();
      await runtime.settle();
      const installed = () => net.json('route', 'show', 'proto', 'static').filter((r) => String(r.dst).startsWith('10.77.')).length;
      expect(installed()).toBe(n);
      expect(filtered).toBeLessThan(n / 10);
      // the watch sends the daemon events again: an external delete of a managed route is seen and repaired
      await new Promise((r) => setTimeout(r, 500)); // the daemon idle: only the route's event can wake it
      net.ip('route', 'del', '10.77.0.7/32');
      await until('route repaired', () => installed() === n);
      expect(filtered).toBeGreaterThan(0);
    } finally {
      await runtime.stop();
      kernel.close();
    }
  });
});
