// The route status controller's index of kernel routes (columns, one row per
// route): what it gives back is what it was given, found by identity only.
import { describe, expect, it } from 'vitest';
import { KernelRoutes, kernelRoute, type KernelRoute } from '../../src/controllers/status/kernel-routes.js';
import type { RouteMessage } from '../../src/netlink/rtnetlink/route.js';

const message = (m: Partial<RouteMessage>): RouteMessage => ({ family: 'inet4', dstLen: 0, srcLen: 0, tos: 0, table: 254, protocol: 4, scope: 0, type: 1, flags: 0, priority: 0, ...m });

describe('KernelRoutes', () => {
  it('gives back every field of a stored route, from a message or a KernelRoute', () => {
    const routes = new KernelRoutes();
    const messages = [
      message({ dst: '10.0.0.0', dstLen: 8, gateway: '192.0.2.1', oif: 3, priority: 1024, prefsrc: '192.0.2.10', mtu: 1400 }),
      // the largest table and metric numbers a route can have; a next hop's gateway; link scope
      message({ family: 'inet6', dst: '2001:db8::', dstLen: 64, table: 0xffffffff, priority: 0xffffffff, protocol: 255, scope: 253, type: 2, nextHops: [{ gateway: 'fe80::1', oif: 7, weight: 1, flags: 0 }], oif: 7 }),
      message({ priority: 100, type: 6 }), // a default route (no destination), blackhole
    ];
    for (const m of messages) routes.addRow(routes.store(m));
    const own: KernelRoute = { family: 'inet4', dst: '198.51.100.0/24', table: 100, priority: 5, gateway: '', oif: 2, scope: 253, type: 1, protocol: 3, src: '', mtu: 0 };
    routes.add(own);
    expect(routes.size).toBe(4);
    expect([...routes]).toEqual([...messages.map(kernelRoute), own]);
    expect(routes.find('inet6', 0xffffffff, '2001:db8::/64', 'fe80::1', 0xffffffff, 7)).toEqual(kernelRoute(messages[1]!));
    expect(routes.find('inet4', 254, '', '', 100, undefined)).toMatchObject({ dst: '', type: 6 });
  });

  it('finds a route by family, table, destination, gateway and metric, and an IPv6 one also by its link', () => {
    const routes = new KernelRoutes();
    routes.addRow(routes.store(message({ dst: '10.0.0.0', dstLen: 8, gateway: '192.0.2.1', priority: 1024, oif: 3 })));
    routes.addRow(routes.store(message({ dst: '10.0.0.0', dstLen: 8, gateway: '192.0.2.2', priority: 1024, oif: 3 })));
    routes.addRow(routes.store(message({ family: 'inet6', dst: '2001:db8::', dstLen: 64, priority: 1024, oif: 3 })));
    expect(routes.find('inet4', 254, '10.0.0.0/8', '192.0.2.2', 1024, undefined)).toMatchObject({ gateway: '192.0.2.2' });
    expect(routes.find('inet4', 254, '10.0.0.0/8', '192.0.2.1', 1024, 9)).toMatchObject({ gateway: '192.0.2.1' }); // IPv4: the link does not matter
    expect(routes.find('inet4', 254, '10.0.0.0/8', '192.0.2.3', 1024, undefined)).toBeUndefined();
    expect(routes.find('inet4', 100, '10.0.0.0/8', '192.0.2.1', 1024, undefined)).toBeUndefined();
    expect(routes.find('inet4', 254, '10.0.0.0/8', '192.0.2.1', 100, undefined)).toBeUndefined();
    expect(routes.find('inet6', 254, '10.0.0.0/8', '192.0.2.1', 1024, undefined)).toBeUndefined();
    expect(routes.find('inet6', 254, '2001:db8::/64', '', 1024, 3)).toMatchObject({ oif: 3 });
    expect(routes.find('inet6', 254, '2001:db8::/64', '', 1024, undefined)).toMatchObject({ oif: 3 });
    expect(routes.find('inet6', 254, '2001:db8::/64', '', 1024, 4)).toBeUndefined();
    expect(routes.find('inet4', 254, '10.1.0.0/16', '', 1024, undefined)).toBeUndefined();
  });

  it('keeps only the last attempt of a listing that was retried: the rows before it are dropped, never found', () => {
    const routes = new KernelRoutes();
    routes.addRow(routes.store(message({ dst: '10.0.0.0', dstLen: 8, gateway: '192.0.2.1' }))); // an earlier table's listing
    const start = routes.stored;
    // two attempts stored as they were decoded, both interrupted; the third is what the dump returns
    for (const n of [9, 8]) for (let i = 0; i < 3; i++) routes.store(message({ dst: `10.${n}.${i}.0`, dstLen: 24, gateway: '192.0.2.9' }));
    const last = [0, 1].map((i) => routes.store(message({ dst: `10.1.${i}.0`, dstLen: 24, gateway: '192.0.2.1', mtu: 1400 + i })));
    const kept = routes.settle(start, last);
    expect(kept).toEqual([1, 2]);
    expect(routes.stored).toBe(3);
    for (const row of kept) routes.addRow(row);
    expect(routes.size).toBe(3);
    expect([...routes].map((r) => `${r.dst} ${r.gateway} ${r.mtu}`)).toEqual(['10.0.0.0/8 192.0.2.1 0', '10.1.0.0/24 192.0.2.1 1400', '10.1.1.0/24 192.0.2.1 1401']);
    expect(routes.find('inet4', 254, '10.9.0.0/24', '192.0.2.9', 0, undefined)).toBeUndefined();
    // an attempt that returned nothing drops what the ones before it stored; a listing not retried is kept as is
    routes.store(message({ dst: '10.9.0.0', dstLen: 16 }));
    expect(routes.settle(3, [])).toEqual([]);
    expect(routes.stored).toBe(3);
    const once = [routes.store(message({ dst: '10.2.0.0', dstLen: 16 }))];
    expect(routes.settle(3, once)).toBe(once);
  });

  it('grows past its first columns without losing a route', () => {
    const routes = new KernelRoutes();
    const n = 5000;
    for (let i = 0; i < n; i++) routes.addRow(routes.store(message({ dst: `10.${i >> 8}.${i & 255}.0`, dstLen: 24, gateway: '192.0.2.1', priority: i, oif: i + 1, mtu: i })));
    expect(routes.size).toBe(n);
    for (const i of [0, 63, 64, 65, 1000, n - 1]) {
      expect(routes.find('inet4', 254, `10.${i >> 8}.${i & 255}.0/24`, '192.0.2.1', i, undefined)).toEqual({ family: 'inet4', dst: `10.${i >> 8}.${i & 255}.0/24`, table: 254, priority: i, gateway: '192.0.2.1', oif: i + 1, scope: 0, type: 1, protocol: 4, src: '', mtu: i });
    }
  });
});
