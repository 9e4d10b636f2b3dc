// A planned batch of kernel operations run through a netlink connection (a fake
// transport that refuses some requests): a batch larger than a slice goes in
// several execAll calls, and still every operation learns its own outcome, in
// order, and progress displays see the whole batch from its first request.
import { describe, expect, it } from 'vitest';
import { NetlinkConnection, type Outcome, type Request } from '../../src/netlink/connection.js';
import { NLMSG_NOOP, NLM_F_ACK } from '../../src/netlink/constants.js';
import { RTM_NEWROUTE } from '../../src/netlink/rtnetlink/constants.js';
import { OPS_PER_SLICE, runOperations, type Operation } from '../../src/controllers/outcomes.js';
import type { Kernel } from '../../src/controllers/kernel.js';
import type { NlMessage } from '../../src/netlink/message.js';
import { FakeTransport, ack } from '../helpers/fake-transport.js';

const EEXIST = 17;

/** A write request carrying its number (the fake kernel reads it back); `write: false` for a lookup. */
const request = (n: number, write = true): Request => ({ type: RTM_NEWROUTE, write, encode: (w) => w.u32(n), describe: () => `request ${n}` });

/** The kernel: acknowledges barriers, refuses requests whose number `refuse` picks. */
function transport(refuse: (n: number) => boolean): FakeTransport {
  return new FakeTransport((m: NlMessage) => {
    if (m.type === NLMSG_NOOP) return (m.flags & NLM_F_ACK) !== 0 ? [ack(m)] : [];
    return refuse(m.buf.readUInt32LE(m.offset)) ? [ack(m, EEXIST)] : [];
  });
}

interface Call {
  requests: number;
  writes: number;
  /** Writes the connection counted as queued when the call came. */
  queued: number;
}

/** The kernel as the controllers see it, over a connection; `calls` gets each execAll. */
function kernelOver(c: NetlinkConnection, calls: Call[]): Kernel {
  return {
    execAll: (requests: readonly Request[]): Promise<Outcome[]> => {
      calls.push({ requests: requests.length, writes: requests.filter((r) => r.write).length, queued: c.progress.queued });
      return c.execAll(requests);
    },
    announceWrites: (n: number) => c.announceWrites(n),
  } as Partial<Kernel> as Kernel;
}

interface Heard {
  op: number;
  outcome: string;
}

/** Operation k: one write, and every 1000th also a second write and a lookup (its outcome covers all three). */
function plan(count: number, heard: Heard[], onOk: (k: number) => void = () => {}): { ops: Operation[]; writes: number } {
  const ops: Operation[] = [];
  let next = 0;
  let writes = 0;
  for (let k = 0; k < count; k++) {
    const requests = k % 1000 === 0 ? [request(next++), request(next++), request(next++, false)] : [request(next++)];
    writes += requests.filter((r) => r.write).length;
    ops.push({
      // built afresh each time it is read, as a bulk plan's adds are
      get requests() {
        return requests.map((r) => ({ ...r }));
      },
      ok: () => {
        heard.push({ op: k, outcome: 'ok' });
        onOk(k);
      },
      failed: (error, succeeded) => heard.push({ op: k, outcome: `${succeeded} then ${error.message}` }),
    });
  }
  return { ops, writes };
}

describe('runOperations', () => {
  it('runs a batch larger than a slice in slices, each operation hearing its own outcome in order, the progress counting the whole batch from the start', async () => {
    const count = OPS_PER_SLICE * 2 + 500;
    // the first request of operation k (ops 0, 1000, 2000, … have three)
    const firstOf = (k: number) => k + 2 * Math.ceil(k / 1000);
    // refused: a one-request op in each slice, and the second request of a three-request op
    const refused = new Map([
      [firstOf(5), { op: 5, outcome: `0 then request ${firstOf(5)}` }],
      [firstOf(3000) + 1, { op: 3000, outcome: `1 then request ${firstOf(3000) + 1}` }],
      [firstOf(OPS_PER_SLICE + 7), { op: OPS_PER_SLICE + 7, outcome: `0 then request ${firstOf(OPS_PER_SLICE + 7)}` }],
      [firstOf(2 * OPS_PER_SLICE + 11), { op: 2 * OPS_PER_SLICE + 11, outcome: `0 then request ${firstOf(2 * OPS_PER_SLICE + 11)}` }],
    ]);
    const c = new NetlinkConnection(transport((n) => refused.has(n)));
    const calls: Call[] = [];
    const heard: Heard[] = [];
    const { ops, writes } = plan(count, heard);
    await runOperations(kernelOver(c, calls), ops);

    // a slice of operations per call (slice 1 has ops 0 … 8000 with three requests, slice 2 9000 … 16000, slice 3 none)
    expect(calls.map((x) => [x.requests, x.writes])).toEqual([
      [OPS_PER_SLICE + 9 * 2, OPS_PER_SLICE + 9],
      [OPS_PER_SLICE + 8 * 2, OPS_PER_SLICE + 8],
      [500, 500],
    ]);
    // the whole batch was queued before its first request went, and never counted twice
    expect(calls.map((x) => x.queued)).toEqual([writes, writes, writes]);
    expect(c.progress).toEqual({ queued: writes, done: writes });

    expect(heard.map((h) => h.op)).toEqual(ops.map((_, k) => k));
    expect(heard.filter((h) => h.outcome !== 'ok').map((h) => ({ op: h.op, outcome: h.outcome.replace(/:.*/, '') }))).toEqual([...refused.values()]);
  });

  it('runs a batch of a slice or less in one execAll, announcing nothing ahead', async () => {
    const c = new NetlinkConnection(transport(() => false));
    const calls: Call[] = [];
    const heard: Heard[] = [];
    const { ops, writes } = plan(OPS_PER_SLICE, heard);
    await runOperations(kernelOver(c, calls), ops);
    expect(calls).toEqual([{ requests: OPS_PER_SLICE + 9 * 2, writes, queued: 0 }]);
    expect(c.progress).toEqual({ queued: writes, done: writes });
    expect(heard.every((h) => h.outcome === 'ok')).toBe(true);
    await runOperations(kernelOver(c, calls), []);
    expect(calls.length).toBe(1);
  });

  it('runs the operations given when it starts: those a callback adds meanwhile are left to the caller', async () => {
    const c = new NetlinkConnection(transport((n) => n === 7));
    const calls: Call[] = [];
    const heard: Heard[] = [];
    const { ops } = plan(OPS_PER_SLICE + 10, heard);
    const given = ops.length;
    // as the address controller does: a failure adds the operation that puts the old address back
    const failed = ops[5]!.failed.bind(ops[5]);
    ops[5] = { requests: ops[5]!.requests, ok: ops[5]!.ok, failed: (e, n) => (failed(e, n), ops.push({ requests: [request(999_999)], ok: () => heard.push({ op: -1, outcome: 'ok' }), failed: () => {} })) };
    await runOperations(kernelOver(c, calls), ops);
    expect(ops.length).toBe(given + 1);
    expect(heard.map((h) => h.op)).toEqual(ops.slice(0, given).map((_, k) => k));
    expect(calls.reduce((n, x) => n + x.requests, 0)).toBe(given + 9 * 2); // ops 0, 1000, … 8000 have three requests
  });

  it('takes back only the slices never handed over when the connection refuses one', async () => {
    const c = new NetlinkConnection(transport(() => false));
    const calls: Call[] = [];
    c.announceWrites(1000); // another batch's
    const { ops, writes } = plan(OPS_PER_SLICE * 3, []);
    // an operation of the second slice whose request cannot be encoded: the connection's execAll throws
    const broken: Request = { type: RTM_NEWROUTE, write: true, encode: () => { throw new Error('cannot encode'); }, describe: () => 'broken' };
    ops[OPS_PER_SLICE + 10] = { requests: [broken], ok: () => {}, failed: () => {} };
    await expect(runOperations(kernelOver(c, calls), ops)).rejects.toThrow('cannot encode');
    expect(calls.length).toBe(2);
    const handedOver = calls[0]!.writes + calls[1]!.writes;
    expect(handedOver).toBeLessThan(writes);
    // the two slices handed over count as queued, the third is taken back, the other batch's announcement stays
    expect(c.progress.queued).toBe(handedOver + 1000);
  });

  it('takes back what it announced and never sent when a callback throws between slices, and no more', async () => {
    const c = new NetlinkConnection(transport(() => false));
    const calls: Call[] = [];
    const heard: Heard[] = [];
    // another batch on the same connection has announced its writes
    c.announceWrites(1000);
    const { ops } = plan(OPS_PER_SLICE * 3, heard, (k) => {
      if (k === OPS_PER_SLICE + 3) throw new Error('callback failed');
    });
    await expect(runOperations(kernelOver(c, calls), ops)).rejects.toThrow('callback failed');
    expect(calls.length).toBe(2);
    // what was queued is what was sent, and the other batch's announcement: all that was sent is done
    const sent = calls.reduce((n, x) => n + x.writes, 0);
    expect(c.progress).toEqual({ queued: sent + 1000, done: sent });
    // the other batch comes: counted once
    await runOperations(kernelOver(c, calls), [{ requests: Array.from({ length: 1000 }, (_, i) => request(i)), ok: () => {}, failed: () => {} }]);
    expect(c.progress).toEqual({ queued: sent + 1000, done: sent + 1000 });
  });
});
