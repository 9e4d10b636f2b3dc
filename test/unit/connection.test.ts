import { describe, expect, it } from 'vitest';
import { NetlinkConnection, type Request } from '../../src/netlink/connection.js';
import { NLMSG_NOOP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP } from '../../src/netlink/constants.js';
import { DumpInterruptedError, NetlinkError, NetlinkOverrunError } from '../../src/netlink/errors.js';
import { RTM_GETLINK, RTM_NEWLINK, RTM_NEWROUTE } from '../../src/netlink/rtnetlink/constants.js';
import { addRouteRequest } from '../../src/netlink/rtnetlink/route.js';
import { FakeTransport, ack, done, message } from '../helpers/fake-transport.js';
import type { NlMessage } from '../../src/netlink/message.js';

const route = (i: number): Request =>
  addRouteRequest({ family: 'inet4', dst: `10.0.${i >> 8}.${i & 255}`, dstLen: 32, gateway: '192.0.2.1', table: 254, priority: 1024, protocol: 4, scope: 0, type: 1, label: `route ${i}` });

/** The kernel's behaviour: acknowledge only what asks for it, answer failures always. */
const barrierOnly = (m: NlMessage): Buffer[] => ((m.flags & NLM_F_ACK) !== 0 ? [ack(m)] : []);

const dumpReq: Request = { type: RTM_GETLINK, write: false, encode: (w) => w.zeros(16), describe: () => 'list links' };

describe('NetlinkConnection', () => {
  it('sends requests without acks, closed by an acknowledged NOOP barrier, and counts writes', async () => {
    const t = new FakeTransport(barrierOnly);
    const c = new NetlinkConnection(t);
    const outcomes = await c.execAll([route(1), route(2), route(3)]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(c.stats.writes).toBe(3);
    expect(t.datagrams).toEqual([4]); // three requests and the barrier in one sendto
    expect(t.sent.map((m) => [m.type, m.flags & NLM_F_ACK])).toEqual([
      [RTM_NEWROUTE, 0],
      [RTM_NEWROUTE, 0],
      [RTM_NEWROUTE, 0],
      [NLMSG_NOOP, NLM_F_ACK],
    ]);
    const seqs = t.sent.map((m) => m.seq);
    expect(seqs).toEqual([seqs[0]!, seqs[0]! + 1, seqs[0]! + 2, seqs[0]! + 3]);
    expect(t.sent.every((m) => m.portId === t.portId)).toBe(true);
  });

  it('sends large batches in segments of at most `window` requests, many per datagram', async () => {
    const t = new FakeTransport(barrierOnly);
    const c = new NetlinkConnection(t, { window: 64 });
    const outcomes = await c.execAll(Array.from({ length: 1000 }, (_, i) => route(i)));
    expect(outcomes).toHaveLength(1000);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    let sinceBarrier = 0;
    let most = 0;
    for (const m of t.sent) {
      if (m.type === NLMSG_NOOP) sinceBarrier = 0;
      else most = Math.max(most, ++sinceBarrier);
    }
    expect(most).toBe(64);
    expect(t.sent.filter((m) => m.type === NLMSG_NOOP)).toHaveLength(16);
    expect(Math.max(...t.datagrams)).toBe(65);
  });

  it('turns NLMSG_ERROR into NetlinkError with the extended ack and the offending attribute', async () => {
    const t = new FakeTransport((m) => {
      if (m.type === NLMSG_NOOP) return [ack(m)];
      // point the ext-ack offset at RTA_GATEWAY (type 5) in the request
      const start = m.offset - 16;
      const bytes = m.buf.subarray(start, m.offset + m.length);
      let off = 16 + 12;
      while (off < bytes.length && bytes.readUInt16LE(off + 2) !== 5) off += (bytes.readUInt16LE(off) + 3) & ~3;
      return [ack(m, 101, { message: 'Nexthop has invalid gateway', offset: off })];
    });
    const c = new NetlinkConnection(t);
    const [outcome] = await c.execAll([route(7)]);
    expect(outcome!.ok).toBe(false);
    const err = (outcome as { ok: false; error: Error }).error as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('ENETUNREACH');
    expect(err.extack?.message).toBe('Nexthop has invalid gateway');
    expect(err.attribute).toBe('RTA_GATEWAY');
    expect(err.message).toBe('add route 7: Nexthop has invalid gateway (attribute RTA_GATEWAY) [ENETUNREACH]');
    await expect(c.exec(route(8))).rejects.toThrow(/ENETUNREACH/);
  });

  it('treats listed error codes as success', async () => {
    const t = new FakeTransport((m) => [ack(m, m.type === NLMSG_NOOP ? 0 : 3)]); // ESRCH
    const c = new NetlinkConnection(t);
    const req = route(1);
    req.okErrors = ['ESRCH'];
    const [o] = await c.execAll([req]);
    expect(o!.ok).toBe(true);
  });

  it('collects a multipart dump until NLMSG_DONE', async () => {
    const t = new FakeTransport((m) => {
      expect(m.flags & NLM_F_DUMP).toBe(NLM_F_DUMP);
      return [
        Buffer.concat([message(RTM_NEWLINK, NLM_F_MULTI, m.seq, m.portId, (w) => w.zeros(16)), message(RTM_NEWLINK, NLM_F_MULTI, m.seq, m.portId, (w) => w.zeros(16))]),
        Buffer.concat([message(RTM_NEWLINK, NLM_F_MULTI, m.seq, m.portId, (w) => w.zeros(16)), done(m)]),
      ];
    });
    const c = new NetlinkConnection(t);
    const messages = await c.dump(dumpReq);
    expect(messages).toHaveLength(3);
    expect(c.stats.writes).toBe(0);
  });

  it('retries a dump interrupted by concurrent changes (NLM_F_DUMP_INTR)', async () => {
    let calls = 0;
    const t = new FakeTransport((m) => {
      calls++;
      const flags = calls < 3 ? NLM_F_DUMP_INTR : 0;
      return [Buffer.concat([message(RTM_NEWLINK, NLM_F_MULTI | flags, m.seq, m.portId, (w) => w.zeros(16)), done(m, flags)])];
    });
    const c = new NetlinkConnection(t);
    const messages = await c.dump(dumpReq);
    expect(calls).toBe(3);
    expect(messages).toHaveLength(1);
    expect(c.stats.dumpRetries).toBe(2);
  });

  it('gives up after repeated interruptions', async () => {
    const t = new FakeTransport((m) => [done(m, NLM_F_DUMP_INTR)]);
    const c = new NetlinkConnection(t, { dumpAttempts: 4 });
    await expect(c.dump(dumpReq)).rejects.toBeInstanceOf(DumpInterruptedError);
  });

  it('runs one dump at a time on a socket', async () => {
    const events: string[] = [];
    const t = new FakeTransport((m) => {
      events.push('send');
      return [done(m)];
    });
    const c = new NetlinkConnection(t);
    const deliver = t.onData;
    t.onData = (err, data) => {
      events.push('done');
      deliver(err, data);
    };
    await Promise.all([c.dump(dumpReq), c.dump(dumpReq), c.dump(dumpReq)]);
    expect(events).toEqual(['send', 'done', 'send', 'done', 'send', 'done']);
  });

  it('reports requests of a segment hit by ENOBUFS as unknown and tells the listener to re-list', async () => {
    let overrun = 0;
    const t = new FakeTransport((m) => (m.type === NLMSG_NOOP ? [{ error: Object.assign(new Error('recvmsg failed: ENOBUFS'), { code: 'ENOBUFS', errno: 105 }) }, ack(m)] : []));
    const c = new NetlinkConnection(t);
    c.onOverrun = () => overrun++;
    const [o] = await c.execAll([route(1)]);
    expect(o!.ok).toBe(false);
    expect((o as { error: Error }).error).toBeInstanceOf(NetlinkOverrunError);
    expect(overrun).toBe(1);
    expect(c.stats.overruns).toBe(1);
  });

  it('delivers messages that answer no request as notifications, ignoring other ports', async () => {
    const t = new FakeTransport(() => []);
    const c = new NetlinkConnection(t);
    const seen: number[] = [];
    c.onNotification = (m) => seen.push(m.type);
    c.subscribe([1]);
    t.push(message(RTM_NEWROUTE, 0, 0, 0));
    t.push(message(RTM_NEWLINK, 0, 99, 777)); // another process's request, multicast to us
    expect(seen).toEqual([RTM_NEWROUTE, RTM_NEWLINK]);
    expect(t.groups).toEqual([1]);
  });

  it('times out when the kernel never answers', async () => {
    const t = new FakeTransport(() => []);
    const c = new NetlinkConnection(t, { timeoutMs: 50 });
    await expect(c.exec(route(1))).rejects.toThrow(/ETIMEDOUT/);
  });
});
