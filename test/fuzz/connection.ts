// Fuzz target for the netlink connection's dispatch: a request (a link or route
// dump, a single GET, a batch of writes) gets fuzzed reply datagrams - recorded
// replies mutated, generated replies, notifications, junk - then the kernel
// answers cleanly. Checked: nothing is thrown at the socket, the request settles
// with a result or a typed error, and a second request behind it is unaffected.
import fc from 'fast-check';
import { NetlinkConnection, type Outcome } from '../../src/netlink/connection.js';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { DumpInterruptedError, NetlinkDecodeError, NetlinkError, NetlinkOverrunError } from '../../src/netlink/errors.js';
import type { NlMessage } from '../../src/netlink/message.js';
import { decodeAddress } from '../../src/netlink/rtnetlink/address.js';
import { RTM_DELADDR, RTM_DELLINK, RTM_DELROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE } from '../../src/netlink/rtnetlink/constants.js';
import { decodeLink, dumpLinksRequest, getLinkRequest } from '../../src/netlink/rtnetlink/link.js';
import { addRouteRequest, decodeRoute, dumpRoutesRequest } from '../../src/netlink/rtnetlink/route.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { layoutOf, mutate, mutationsArb, serialize, type MessageModel } from './netlink-bytes.js';
import { messageModels, rtnlHeaderLength } from './netlink.js';
import { seed } from './seeds.js';
import { ContractViolation, chunksHex, hexChunks, type FuzzTarget } from './target.js';

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const r32 = (b: Buffer, at: number) => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));
const w32 = (b: Buffer, at: number, v: number) => (LE ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
const w16 = (b: Buffer, at: number, v: number) => (LE ? b.writeUInt16LE(v & 0xffff, at) : b.writeUInt16BE(v & 0xffff, at));

/** Sequence numbers below this in fuzzed bytes stand for "the fuzzed request's sequence number + n". */
const SLOTS = 8;
/** A port ID of 1 in fuzzed bytes stands for the connection's own. */
const OURS = 1;

/** Rewrites slot sequence numbers and our port placeholder in every message header that frames. */
function address(chunk: Buffer, firstSeq: number, port: number): Buffer {
  const b = Buffer.from(chunk);
  for (let pos = 0; pos + 16 <= b.length; ) {
    const len = r32(b, pos);
    if (len < 16 || pos + len > b.length) break;
    const seq = r32(b, pos + 8);
    if (seq < SLOTS) w32(b, pos + 8, firstSeq + seq);
    if (r32(b, pos + 12) === OURS) w32(b, pos + 12, port);
    pos += (len + 3) & ~3;
  }
  return b;
}

/** A clean recorded reply for `m`, as the kernel gives it. */
function cleanReply(m: NlMessage, links: Buffer): Buffer[] {
  const stamp = (recorded: Buffer) => {
    const b = Buffer.from(recorded);
    for (let pos = 0; pos + 16 <= b.length; pos += (r32(b, pos) + 3) & ~3) {
      w32(b, pos + 8, m.seq);
      w32(b, pos + 12, m.portId);
    }
    return b;
  };
  const done = () => {
    const d = Buffer.alloc(20);
    w32(d, 0, 20);
    w16(d, 4, NLMSG_DONE);
    w16(d, 6, NLM_F_MULTI);
    w32(d, 8, m.seq);
    w32(d, 12, m.portId);
    return d;
  };
  const ack = () => {
    const a = Buffer.alloc(36);
    w32(a, 0, 36);
    w16(a, 4, NLMSG_ERROR);
    w16(a, 6, 0x100);
    w32(a, 8, m.seq);
    w32(a, 12, m.portId);
    m.buf.copy(a, 20, m.offset - 16, m.offset);
    return a;
  };
  if (m.type === NLMSG_NOOP) return (m.flags & NLM_F_ACK) !== 0 ? [ack()] : [];
  if ((m.flags & NLM_F_DUMP) === NLM_F_DUMP) return m.type === 18 ? [stamp(links)] : [done()];
  if (m.type === 18) {
    // a single GET: one link, not multipart
    const one = stamp(links.subarray(0, r32(links, 0)));
    w16(one, 6, 0);
    return [one];
  }
  return [];
}

const ALLOWED = [NetlinkDecodeError, NetlinkError, DumpInterruptedError, NetlinkOverrunError];
const allowedError = (e: unknown) => ALLOWED.some((c) => e instanceof c);

const KINDS = ['dump-links', 'dump-routes', 'get-link', 'exec', 'notifications'] as const;

/** Runs one scenario: chunk 0 picks the request, the rest are datagrams delivered before the clean answers. */
export async function runScenario(chunks: readonly Buffer[]): Promise<void> {
  const kind = KINDS[(chunks[0]?.[0] ?? 0) % KINDS.length]!;
  const links = seed('links-dump');
  // a kernel that answers only when told to (push)
  const t = new FakeTransport(() => []);
  let logged = 0;
  const c = new NetlinkConnection(t, { timeoutMs: 3_600_000, dumpAttempts: 3, log: { warn: () => void logged++ } });
  c.onNotification = (m) => {
    // as a listener that looks into events (the route table, the link name) would
    if (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE) decodeRoute(m);
    else if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) decodeLink(m);
    else if (m.type === RTM_NEWADDR || m.type === RTM_DELADDR) decodeAddress(m);
  };
  c.subscribe([1, 7, 11]);
  const deliver = (data: Buffer, what: string) => {
    try {
      t.push(data);
    } catch (e) {
      throw new ContractViolation(`the connection threw out of its transport callback (${what}): ${(e as Error)?.stack ?? String(e)}`, { cause: e });
    }
  };
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  let settled = false;
  let outcome: unknown;
  let failure: unknown;
  const watch = (p: Promise<unknown>) =>
    p.then(
      (v) => ((settled = true), (outcome = v)),
      (e) => ((settled = true), (failure = e)),
    );
  const route = (i: number) => addRouteRequest({ family: 'inet4', dst: `10.0.0.${i}`, dstLen: 32, gateway: '192.0.2.1', table: 254, priority: 1024, protocol: 4, scope: 0, type: 1, label: `route ${i}` });
  switch (kind) {
    case 'dump-links':
      void watch(c.dump(dumpLinksRequest(), (m) => (m.type === RTM_NEWLINK ? decodeLink(m) : undefined)));
      break;
    case 'dump-routes':
      void watch(c.dump(dumpRoutesRequest({ table: 254 }), (m) => (m.type === RTM_NEWROUTE ? decodeRoute(m) : undefined)));
      break;
    case 'get-link':
      void watch(c.query(getLinkRequest('lo'), (m) => (m.type === RTM_NEWLINK ? decodeLink(m) : undefined)));
      break;
    case 'exec':
      void watch(c.execAll([route(1), route(2), route(3)]));
      break;
    case 'notifications':
      settled = true;
      break;
  }
  // a second request, behind the first on this socket: it must not notice
  const control = c.dump(dumpLinksRequest(), (m) => (m.type === RTM_NEWLINK ? decodeLink(m).name : undefined));
  let controlResult: string[] | undefined;
  let controlError: unknown;
  control.then(
    (v) => (controlResult = v),
    (e) => (controlError = e),
  );
  await tick();
  // slots name the fuzzed request's sequence numbers (a batch: its writes and barrier); with no
  // request, numbers nothing waits for (the second request's is taken)
  const firstSeq = kind === 'notifications' ? (t.sent[0]?.seq ?? 1) + 100 : (t.sent[0]?.seq ?? 1);
  for (const chunk of chunks.slice(1)) deliver(address(chunk, firstSeq, t.portId), 'fuzzed datagram');
  // then the kernel answers everything asked so far, cleanly, until both requests are done
  let answered = 0;
  for (let round = 0; round < 40 && !(settled && (controlResult !== undefined || controlError !== undefined)); round++) {
    await tick();
    for (; answered < t.sent.length; answered++) for (const reply of cleanReply(t.sent[answered]!, links)) deliver(reply, 'clean reply');
  }
  if (!settled) throw new ContractViolation(`the ${kind} request never settled after its replies`);
  if (failure !== undefined && !allowedError(failure)) throw new ContractViolation(`the ${kind} request failed with ${(failure as Error)?.stack ?? String(failure)}`, { cause: failure });
  if (kind === 'exec') {
    for (const o of outcome as Outcome[]) if (!o.ok && !allowedError(o.error)) throw new ContractViolation(`a write failed with ${o.error.stack ?? String(o.error)}`, { cause: o.error });
  }
  if (controlError !== undefined) throw new ContractViolation(`the second request failed: ${(controlError as Error)?.stack ?? String(controlError)}`, { cause: controlError });
  if (controlResult === undefined) throw new ContractViolation('the second request never settled');
  if (controlResult.join(',') !== 'lo,veth1,veth0') throw new ContractViolation(`the second request got ${JSON.stringify(controlResult)}`);
  c.close();
  if (logged > 10) throw new ContractViolation(`${logged} log lines for one scenario`);
}

// ---------------------------------------------------------------------------
// generators

/** Slots 0-3: a dump's (0) and later numbers, or a batch's three writes and its barrier (never the second request's). */
const slotSeq = fc.oneof({ weight: 6, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constant(0x7fffffff) }, { weight: 1, arbitrary: fc.nat() });
const port = fc.oneof({ weight: 5, arbitrary: fc.constant(OURS) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat() });

function addressed(models: fc.Arbitrary<MessageModel>): fc.Arbitrary<MessageModel> {
  return fc.tuple(models, slotSeq, port, fc.boolean()).map(([m, seq, portId, multi]) => ({ ...m, seq, portId, flags: multi ? m.flags | NLM_F_MULTI : m.flags }));
}

/** Recorded replies addressed to slot 0 and our port (or a multicast event), then mutated at their headers. */
function recordedArb(): fc.Arbitrary<Buffer> {
  const recorded = ['links-dump', 'routes-ipv6-main-dump', 'routes-table-1000-dump', 'addresses-dump', 'error-invalid-gateway'].map((name) => {
    const b = Buffer.from(seed(name));
    for (let pos = 0; pos + 16 <= b.length; pos += (r32(b, pos) + 3) & ~3) {
      w32(b, pos + 8, 0);
      w32(b, pos + 12, OURS);
    }
    return { bytes: b, layout: layoutOf(b, rtnlHeaderLength) };
  });
  return fc.tuple(fc.constantFrom(...recorded), fc.option(mutationsArb, { freq: 5, nil: undefined }), fc.nat(3)).map(([r, mutations, cut]) => {
    const b = mutations ? mutate(r.bytes, r.layout, mutations) : r.bytes;
    // sometimes only part of it, in one datagram
    const offsets = r.layout.messages;
    const from = offsets[cut % offsets.length] ?? 0;
    return cut === 0 ? b : b.subarray(Math.min(from, b.length));
  });
}

function datagramArb(): fc.Arbitrary<Buffer> {
  const m = messageModels;
  const any = addressed(fc.oneof(m.link, m.route, m.address, m.error, m.done));
  const generated = fc.tuple(fc.array(any, { minLength: 1, maxLength: 3 }), fc.option(mutationsArb, { freq: 3, nil: undefined })).map(([ms, mutations]) => {
    const { bytes, layout } = serialize(ms);
    return mutations ? mutate(bytes, layout, mutations) : bytes;
  });
  return fc.oneof({ weight: 4, arbitrary: recordedArb() }, { weight: 4, arbitrary: generated }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)) });
}

let scenarioArb: fc.Arbitrary<Buffer[]> | undefined;

export const connectionTarget: FuzzTarget<Buffer[]> = {
  name: 'netlink-connection',
  about: 'replies, notifications and junk for a dump, a GET or a batch of writes: nothing thrown, the request settles typed, the next one is unaffected',
  get arbitrary() {
    return (scenarioArb ??= fc.tuple(fc.nat(KINDS.length - 1), fc.array(datagramArb(), { minLength: 1, maxLength: 4 })).map(([kind, datagrams]) => [Buffer.of(kind), ...datagrams]));
  },
  run: (chunks) => runScenario(chunks),
  async: true,
  hex: chunksHex,
  fromHex: hexChunks,
};
