// The native socket and the codec against the real kernel.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { newNodeId } from '../../src/controllers/cluster/node-identity.js';
import { native } from '../../src/native/index.js';
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

  it('a closed socket is garbage: neither its callback nor its closure is kept (netlink and datagram sockets)', () => {
    const net = createTestNet();
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
    // a child with --expose-gc: opens and closes 50 sockets of each kind, each callback holding 1 MB, and counts
    // how many of those closures a FinalizationRegistry saw collected
    const script = `
      const { NativeTransport } = await import(${JSON.stringify(`${dist}/netlink/transport.js`)});
      const { native } = await import(${JSON.stringify(`${dist}/native/index.js`)});
      let collected = 0;
      const registry = new FinalizationRegistry(() => collected++);
      const once = () => {
        const big = new Uint8Array(1 << 20);
        const t = new NativeTransport(0, { netns: ${JSON.stringify(net.ns)} });
        t.onData = () => big.length;
        registry.register(big, 'netlink');
        t.close();
        const held = new Uint8Array(1 << 20);
        const d = new (native().DatagramSocket)({ kind: 'udp4', netns: ${JSON.stringify(`/var/run/netns/${net.ns}`)}, address: '127.0.0.1', port: 0 }, () => held.length);
        registry.register(held, 'datagram');
        d.close();
      };
      for (let i = 0; i < 50; i++) once();
      for (let i = 0; i < 20 && collected < 100; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify({ collected, heapMB: Math.round(process.memoryUsage().heapUsed / 1e6) }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' })) as { collected: number; heapMB: number };
    expect(out.collected).toBe(100);
  });

  it('once loaded, freed blocks from 1 MiB up go back to the system: a freed 8 MiB block does not make glibc keep later ones', () => {
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
    // a child frees one 8 MiB buffer (glibc, left alone, then serves blocks up to 8 MiB from its heap), then
    // allocates twelve of 1.5 MiB, and reports how much the heap ([heap] in smaps) grew
    const script = (load: boolean) => `
      import fs from 'node:fs';
      const { native } = await import(${JSON.stringify(`${dist}/native/index.js`)});
      if (${load}) native();
      const heapKB = () => {
        let name = '', kb = 0;
        for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
          const m = /^[0-9a-f]+-[0-9a-f]+ \\S+ \\S+ \\S+ \\S+\\s*(.*)$/.exec(line);
          if (m) name = m[1];
          else if (name === '[heap]' && line.startsWith('Rss:')) kb += Number(line.split(/\\s+/)[1]);
        }
        return kb;
      };
      const anonKB = () => Number(/RssAnon:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
      let big = Buffer.allocUnsafeSlow(8 << 20);
      big.fill(1);
      const filled = anonKB();
      big = undefined;
      // until the block is really freed: V8 frees array buffers on a thread of its own, late on a busy machine
      let freed = false;
      for (let i = 0; i < 250 && !freed; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
        freed = anonKB() <= filled - 7 * 1024;
      }
      const before = heapKB();
      const kept = [];
      for (let i = 0; i < 12; i++) kept.push(Buffer.allocUnsafeSlow(1536 << 10).fill(2));
      console.log(JSON.stringify({ freed, grewMB: (heapKB() - before) / 1024, kept: kept.length }));
    `;
    const run = (load: boolean) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script(load)], { encoding: 'utf8' })) as { freed: boolean; grewMB: number };
    const alone = run(false);
    expect(alone.freed).toBe(true);
    expect(alone.grewMB).toBeGreaterThan(12); // glibc's own behaviour: what the addon turns off
    const loaded = run(true);
    expect(loaded.freed).toBe(true);
    expect(loaded.grewMB).toBeLessThan(2);
  });

  it("caps V8's young generation while the process runs, and lifts the cap: a bulk of surviving objects grows it no further", () => {
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
    // a child keeps 400k small objects (what a bulk apply does) in three rounds: before the cap is lifted,
    // after, and reports the young generation's size (both semi-spaces) after the first and the last round
    const script = (cap: number) => `
      import v8 from 'node:v8';
      const { native } = await import(${JSON.stringify(`${dist}/native/index.js`)});
      const youngMB = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
      const kept = [];
      const bulk = () => { for (let i = 0; i < 400000; i++) kept.push({ i, s: 'route ' + i }); };
      native().capYoungGeneration(${cap});
      bulk();
      const capped = youngMB();
      native().capYoungGeneration(0);
      bulk();
      bulk();
      console.log(JSON.stringify({ capped, lifted: youngMB(), kept: kept.length }));
    `;
    const run = (cap: number) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script(cap)], { encoding: 'utf8' })) as { capped: number; lifted: number };
    // V8 alone grows it to 16 MiB a semi-space: what the cap stops
    expect(run(0).capped).toBeGreaterThan(16);
    const withCap = run(2 << 20);
    expect(withCap.capped).toBeLessThanOrEqual(4);
    // lifted, it grows again as V8 would (the growth factor is back)
    expect(withCap.lifted).toBeGreaterThan(4);
    expect(() => native().capYoungGeneration(-1)).toThrow(/capYoungGeneration/);
  });

  it('reads a file into memory of its own, as a latin1 string or a Buffer, byte for byte (what bin/netcfg.js loads the bundle with)', () => {
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-native-read-'));
    try {
      const script = `
        const fs = require('node:fs');
        const addon = require(${JSON.stringify(path.join(dist, '../build/Release/netcfg_native.node'))});
        const dir = ${JSON.stringify(dir)};
        const bytes = Buffer.alloc(3 * 4096 + 17);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
        fs.writeFileSync(dir + '/bytes', bytes);
        fs.writeFileSync(dir + '/empty', '');
        const out = {};
        out.latin1 = addon.readLatin1External(dir + '/bytes') === bytes.toString('latin1');
        out.buffer = addon.readBufferPopulated(dir + '/bytes').equals(bytes);
        out.emptyString = addon.readLatin1External(dir + '/empty');
        out.emptyBuffer = addon.readBufferPopulated(dir + '/empty').length;
        // the bundle itself, as bin/netcfg.js reads it
        out.bundle = addon.readLatin1External(${JSON.stringify(path.join(dist, 'bundle/netcfg.cjs'))}) === fs.readFileSync(${JSON.stringify(path.join(dist, 'bundle/netcfg.cjs'))}, 'latin1');
        try { addon.readBufferPopulated(dir + '/missing'); } catch (e) { out.missing = { message: e.message, errno: e.errno, syscall: e.syscall }; }
        try { addon.readLatin1External(dir); } catch (e) { out.directory = { errno: e.errno, syscall: e.syscall }; }
        // the mappings are released with the values: many reads do not add up
        const before = process.memoryUsage().rss;
        for (let i = 0; i < 200; i++) addon.readBufferPopulated(dir + '/bytes');
        for (let i = 0; i < 5; i++) globalThis.gc();
        out.grewKB = Math.round((process.memoryUsage().rss - before) / 1024);
        console.log(JSON.stringify(out));
      `;
      const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' })) as Record<string, unknown>;
      expect(out).toMatchObject({ latin1: true, buffer: true, emptyString: '', emptyBuffer: 0, bundle: true });
      expect(out.missing).toEqual({ message: `open ${dir}/missing: No such file or directory`, errno: 2, syscall: 'open' });
      expect(out.directory).toEqual({ errno: 21, syscall: 'read' });
      // 200 reads of 16 KiB kept would be 3.2 MB
      expect(out.grewKB).toBeLessThan(1500);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives random bytes from getrandom(2): as many as asked, different every time, a clear error past 64 KiB', () => {
    const addon = native();
    const a = addon.getRandom(32);
    const b = addon.getRandom(32);
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(false);
    expect(addon.getRandom(0).length).toBe(0);
    expect(addon.getRandom(65536).length).toBe(65536);
    // not all zero, and every byte value shows up in 64 KiB
    expect(new Set(addon.getRandom(65536)).size).toBe(256);
    expect(() => addon.getRandom(65537)).toThrow(/integer from 0 to 65536/);
    expect(() => addon.getRandom(1.5)).toThrow(/integer from 0 to 65536/);
    // what a new node identity is made of: 32 bytes, base62
    const ids = new Set(Array.from({ length: 20 }, () => newNodeId()));
    expect(ids.size).toBe(20);
    // Talos's base62 writes 6 bits a character, 5 when the group would be one of the two left over: 256 bits
    // are 43 (no group compacted) to 52 characters (every one); 45 came up in a full run and failed {40,44}
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{43,52}$/);
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
