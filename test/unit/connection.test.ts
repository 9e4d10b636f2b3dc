import { describe, expect, it } from 'vitest';
import { NetlinkConnection, type Request } from '../../src/netlink/connection.js';
import { NLMSG_NOOP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP } from '../../src/netlink/constants.js';
import { DumpInterruptedError, NetlinkDecodeError, NetlinkError, NetlinkOverrunError } from '../../src/netlink/errors.js';
import { RTM_GETLINK, RTM_NEWLINK, RTM_NEWROUTE } from '../../src/netlink/rtnetlink/constants.js';
import { addRouteRequest } from '../../src/netlink/rtnetlink/route.js';
import { FakeTransport, ack, done, message, messageOffsets, restamp } from '../helpers/fake-transport.js';
import type { NlMessage } from '../../src/netlink/message.js';
import { decodeLink, dumpLinksRequest, getLinkRequest } from '../../src/netlink/rtnetlink/link.js';
import { decodeRoute } from '../../src/netlink/rtnetlink/route.js';
import { fixture } from '../helpers/fixtures.js';

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

// Recorded replies with one thing broken: the reply fails the request it
// answers, nothing else; nothing is thrown at the socket (that would kill the
// process: the transport calls in from the event loop).
describe('NetlinkConnection with malformed replies', () => {
  const links = fixture('links-dump'); // lo, veth1, veth0, NLMSG_DONE
  const [lo, veth1, veth0, doneAt] = messageOffsets(links) as [number, number, number, number];
  const decodeLinks = (m: NlMessage) => (m.type === RTM_NEWLINK ? decodeLink(m) : undefined);

  /** A transport answering each dump with the recorded link dump, one message per datagram, after `edit`. */
  function linkKernel(edit: (reply: Buffer, dumpNo: number) => Buffer[] = (r) => [r]) {
    let dumps = 0;
    return new FakeTransport((m) => {
      if ((m.flags & NLM_F_DUMP) !== NLM_F_DUMP) return [ack(m)];
      const reply = restamp(links, m);
      return edit(reply, dumps++);
    });
  }
  const split = (reply: Buffer) => [reply.subarray(lo, veth1), reply.subarray(veth1, veth0), reply.subarray(veth0, doneAt), reply.subarray(doneAt)];
  const logger = () => {
    const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    return { lines, warn: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }) };
  };

  it('the recorded dump decodes (the base of the cases below)', async () => {
    const c = new NetlinkConnection(linkKernel((r) => split(r)));
    expect((await c.dump(dumpLinksRequest(), decodeLinks)).map((l) => l.name)).toEqual(['lo', 'veth1', 'veth0']);
  });

  it('a dump with one undecodable message fails with NetlinkDecodeError naming the request; the next dump works', async () => {
    const c = new NetlinkConnection(
      linkKernel((r, n) => {
        // the first dump: veth1's IFLA_IFNAME (its first attribute) claims more bytes than the message has
        if (n === 0) r.writeUInt16LE(0xfff0, veth1 + 16 + 16);
        return split(r);
      }),
    );
    const failed = c.dump(dumpLinksRequest(), decodeLinks);
    await expect(failed).rejects.toBeInstanceOf(NetlinkDecodeError);
    await expect(failed).rejects.toThrow(/^list links: malformed netlink data at byte \d+: attribute length 65520 does not fit/);
    // the failed dump ran to its NLMSG_DONE: the next one gets only its own messages
    expect((await c.dump(dumpLinksRequest(), decodeLinks)).map((l) => l.name)).toEqual(['lo', 'veth1', 'veth0']);
  });

  it('a dump whose framing breaks fails at once; its late parts are dropped quietly; the next dump works', async () => {
    const log = logger();
    const notes: number[] = [];
    const c = new NetlinkConnection(
      linkKernel((r, n) => {
        const parts = split(r);
        // the first dump: veth1's nlmsg_len runs past its datagram
        if (n === 0) parts[1]!.writeUInt32LE(4000, 0);
        return parts;
      }),
      { log },
    );
    c.onNotification = (m) => notes.push(m.type);
    await expect(c.dump(dumpLinksRequest(), decodeLinks)).rejects.toThrow(/^list links: malformed netlink data at byte 0: message length 4000 does not fit/);
    expect((await c.dump(dumpLinksRequest(), decodeLinks)).map((l) => l.name)).toEqual(['lo', 'veth1', 'veth0']);
    expect(notes, 'late parts of the failed dump are not notifications').toEqual([]);
    expect(log.lines).toEqual([]);
  });

  it('a malformed error reply fails its own request of a batch; the others succeed', async () => {
    const t: FakeTransport = new FakeTransport((m, self) => {
      if (m.type === NLMSG_NOOP) return [ack(m)];
      if (m.seq !== self.sent[0]!.seq + 1) return [];
      // NLMSG_ERROR for the second route, its payload cut to the error code
      return [message(2, 0, m.seq, m.portId, (w) => w.s32(-22))];
    });
    const c = new NetlinkConnection(t);
    const outcomes = await c.execAll([route(1), route(2), route(3)]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const err = (outcomes[1] as { ok: false; error: Error }).error;
    expect(err).toBeInstanceOf(NetlinkDecodeError);
    expect(err.message).toMatch(/^add route 2: malformed netlink data at byte 16: NLMSG_ERROR payload of 4 bytes/);
  });

  it('a malformed answer to a single GET fails that query', async () => {
    const t = new FakeTransport((m) => {
      const reply = restamp(links, m).subarray(veth0, doneAt);
      reply.writeUInt16LE(0, 6); // no NLM_F_MULTI: a single-part answer
      reply.writeUInt16LE(3, 16 + 16); // IFLA_IFNAME of 3 bytes: shorter than an attribute header
      return [Buffer.from(reply)];
    });
    const c = new NetlinkConnection(t);
    await expect(c.query(getLinkRequest('veth0'), decodeLinks)).rejects.toThrow(/^get link veth0: malformed netlink data at byte \d+: attribute length 3 does not fit/);
  });

  it('a decoder that throws something else fails its dump with a NetlinkDecodeError carrying the cause', async () => {
    const c = new NetlinkConnection(linkKernel((r) => split(r)));
    const bug = new TypeError('x is undefined');
    const failed = c.dump(dumpLinksRequest(), () => {
      throw bug;
    });
    await expect(failed).rejects.toThrow(/^list links: malformed netlink data at byte 16: decoder failed: TypeError: x is undefined/);
    await expect(failed.catch((e: Error) => e.cause)).resolves.toBe(bug);
  });

  it('a notification its listener cannot decode is logged once and dropped; the next one is delivered', async () => {
    const log = logger();
    const t = new FakeTransport(() => []);
    const c = new NetlinkConnection(t, { log });
    const routes: string[] = [];
    c.onNotification = (m) => {
      const r = decodeRoute(m);
      if (r) routes.push(`${r.dst}/${r.dstLen}`);
    };
    c.subscribe([1]);
    const event = (dstLen: number) =>
      message(RTM_NEWROUTE, 0, 0, 0, (w) => {
        w.u8(2).u8(dstLen).u8(0).u8(0).u8(254).u8(4).u8(0).u8(1).u32(0);
        w.attrBytes(1, Buffer.from([10, 1, 2, 0])); // RTA_DST
      });
    const bad = event(24);
    bad.writeUInt16LE(9, 16 + 12); // RTA_DST: 9 bytes, past the message's end
    t.push(bad);
    t.push(event(16));
    expect(routes).toEqual(['10.1.2.0/16']);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.msg).toBe('malformed netlink notification dropped');
    expect(log.lines[0]!.obj).toMatchObject({ type: RTM_NEWROUTE, seq: 0, portId: 0 });
    expect(String(log.lines[0]!.obj.err)).toMatch(/attribute length 9 does not fit/);
  });

  it('bytes that break framing and answer no request are logged and dropped', () => {
    const log = logger();
    const t = new FakeTransport(() => []);
    const c = new NetlinkConnection(t, { log });
    const seen: number[] = [];
    c.onNotification = (m) => seen.push(m.type);
    c.subscribe([1]);
    const bytes = message(RTM_NEWLINK, 0, 5, 0, (w) => w.zeros(16));
    bytes.writeUInt32LE(999, 0);
    expect(() => t.push(bytes)).not.toThrow();
    expect(() => t.push(Buffer.from([1, 2, 3]))).not.toThrow();
    expect(seen).toEqual([]);
    expect(log.lines.map((l) => l.msg)).toEqual(['malformed netlink message dropped', 'malformed netlink message dropped']);
    expect(log.lines[0]!.obj).toMatchObject({ type: RTM_NEWLINK, seq: 5, portId: 0 });
  });

  it('dropped messages are logged at most 10 times a minute, the rest counted', () => {
    const log = logger();
    const t = new FakeTransport(() => []);
    const c = new NetlinkConnection(t, { log });
    c.onNotification = () => {
      throw new NetlinkDecodeError('bad', 0);
    };
    for (let i = 0; i < 100; i++) t.push(message(RTM_NEWLINK, 0, 0, 0));
    expect(log.lines).toHaveLength(10);
  });
});
