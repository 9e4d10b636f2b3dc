// The native socket and the codec against the real kernel.
import { describe, expect, it } from 'vitest';
import { NETLINK_GENERIC, NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NetlinkConnection } from '../../src/netlink/connection.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import { RTM_NEWLINK, RTNLGRP_LINK } from '../../src/netlink/rtnetlink/constants.js';
import { newLinkRequest, setLinkRequest, deleteLinkRequest } from '../../src/netlink/rtnetlink/link.js';
import { addRouteRequest } from '../../src/netlink/rtnetlink/route.js';
import { NativeTransport } from '../../src/netlink/transport.js';
import { createTestNet } from '../helpers/netns.js';

describe('native netlink socket', () => {
  it('opens sockets inside a named namespace and stays in ours', async () => {
    const net = createTestNet();
    const inside = RtnlClient.open({ netns: net.ns });
    const names = (await inside.listLinks()).map((l) => l.name).sort();
    inside.close();
    expect(names).toEqual(['eth0', 'lo']);
    // the process itself never left its namespace
    const outside = RtnlClient.open({ netns: net.router });
    expect((await outside.listLinks()).map((l) => l.name).sort()).toEqual(['lo', 'peer0']);
    outside.close();
  });

  it('reports a missing namespace with errno and code', () => {
    expect(() => new NativeTransport(NETLINK_ROUTE, { netns: 'netcfg-no-such-namespace' })).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'open(netns)' }) as Error,
    );
  });

  it('has a receive buffer of at least 1 MiB and opens generic netlink too', () => {
    const t = new NativeTransport(NETLINK_ROUTE, {});
    expect(t.receiveBuffer).toBeGreaterThanOrEqual(1 << 20);
    t.close();
    const g = new NativeTransport(NETLINK_GENERIC, {});
    expect(g.portId).toBeGreaterThan(0);
    g.close();
  });

  it('creates, changes and deletes a link through the kind registry; errors carry the extended ack', async () => {
    const net = createTestNet();
    const c = RtnlClient.open({ netns: net.ns });
    try {
      await c.exec(newLinkRequest({ name: 'vx0', kind: 'veth', data: { peerName: 'vx1' }, mtu: 1400 }));
      const links = await c.listLinks();
      const vx0 = links.find((l) => l.name === 'vx0')!;
      expect((await c.getLink('vx0'))?.index).toBe(vx0.index);
      expect(await c.getLink('nosuchlink0')).toBeUndefined();
      expect(vx0).toMatchObject({ mtu: 1400, info: { kind: 'veth' } });
      expect(links.find((l) => l.name === 'vx1')).toBeDefined();
      await c.exec(setLinkRequest(vx0.index, 'vx0', { mtu: 70000 })).then(
        () => expect.fail('the kernel accepted MTU 70000'),
        (err: unknown) => {
          expect(err).toBeInstanceOf(NetlinkError);
          expect((err as NetlinkError).code).toBe('EINVAL');
          expect((err as NetlinkError).extack?.message).toMatch(/MTU/i);
        },
      );
      await expect(c.exec(addRouteRequest({ family: 'inet4', dst: '10.0.0.0', dstLen: 8, gateway: '203.0.113.1', table: 254, priority: 1, protocol: 4, scope: 0, type: 1, label: 'route 10.0.0.0/8' }))).rejects.toThrow(
        'add route 10.0.0.0/8: Nexthop has invalid gateway [ENETUNREACH]',
      );
      await c.exec(deleteLinkRequest(vx0.index, 'vx0'));
      expect((await c.listLinks()).map((l) => l.name).sort()).toEqual(['eth0', 'lo']);
    } finally {
      c.close();
    }
  });

  it('delivers multicast link notifications', async () => {
    const net = createTestNet();
    const events = NetlinkConnection.open(NETLINK_ROUTE, { netns: net.ns });
    const seen: number[] = [];
    const got = new Promise<void>((resolve) => {
      events.onNotification = (m) => {
        seen.push(m.type);
        if (m.type === RTM_NEWLINK) resolve();
      };
    });
    events.subscribe([RTNLGRP_LINK]);
    net.ip('link', 'set', 'eth0', 'mtu', '1280');
    await got;
    events.close();
    expect(seen).toContain(RTM_NEWLINK);
  });
});
