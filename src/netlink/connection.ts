// A netlink connection: sequence numbers, acknowledged requests (pipelined in
// windows), multipart dumps with NLM_F_DUMP_INTR retry, typed errors with the
// kernel's extended ack, and notifications for multicast listeners. Bytes that
// cannot be decoded fail the one request they answer (NetlinkDecodeError), or
// are logged and dropped when they answer none: nothing received throws.
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLA_TYPE_MASK,
} from './constants.js';
import { NlWriter, readU16, readU32 } from './codec.js';
import { DumpInterruptedError, NetlinkDecodeError, NetlinkError, NetlinkOverrunError, errnoNumber, type NetlinkErrorDetails } from './errors.js';
import { forEachMessage, parseDonePayload, parseErrorPayload, type NlMessage } from './message.js';
import { NativeTransport, type OpenOptions, type Transport, type TransportError } from './transport.js';

export interface Request {
  type: number;
  /** Extra NLM_F_* flags; NLM_F_REQUEST and NLM_F_ACK are added. */
  flags?: number;
  /** Changes kernel state (counted in stats.writes). */
  write: boolean;
  /** Writes the payload after the netlink header. */
  encode(w: NlWriter): void;
  /** Short description for errors and logs, e.g. "add address 10.0.0.1/24 to eth0". */
  describe(): string;
  /** Names a top-level attribute type for error messages. */
  attributeName?(type: number): string | undefined;
  /** Length of the fixed family header before the attributes (for naming the bad attribute). */
  headerLength?: number;
  /** Error codes that count as success (e.g. ESRCH when deleting what is already gone). */
  okErrors?: readonly string[];
}

export type Outcome = { ok: true; warning?: string } | { ok: false; error: Error };

export interface ConnectionStats {
  /** Requests that change kernel state. */
  writes: number;
  /** All requests, including dumps. */
  requests: number;
  dumps: number;
  dumpRetries: number;
  overruns: number;
}

interface Segment {
  kind: 'segment';
  /** Sequence number of the first request; the barrier is base + count. */
  base: number;
  count: number;
  /** Index of the first request in `requests` / `results`. */
  first: number;
  requests: readonly Request[];
  results: Outcome[];
  datagrams: Buffer[];
  /** Offset of each request's message in its datagram, and which datagram. */
  starts: Int32Array;
  datagramOf: Int32Array;
  /** ENOBUFS while the segment was in flight: unanswered requests are unknown. */
  overrun: boolean;
  done: () => void;
}

interface DumpPending {
  kind: 'dump';
  request: Request;
  /** Decodes each message as it arrives (the message object is reused). */
  decode: (m: NlMessage) => unknown;
  items: unknown[];
  interrupted: boolean;
  /** A reply that could not be decoded: the dump fails with this once the kernel has finished it. */
  failed: NetlinkDecodeError | undefined;
  done: (result: { items: unknown[]; interrupted: boolean } | Error) => void;
}

type Pending = Segment | DumpPending;

export interface ConnectionOptions {
  /** Requests per acknowledged segment in execAll (default 1024). */
  window?: number;
  /** Fail pending requests when the kernel says nothing for this long (default 30 s). */
  timeoutMs?: number;
  /** Dump attempts before DumpInterruptedError (default 10). */
  dumpAttempts?: number;
  /** Where dropped messages are reported (a malformed notification, bytes that answer no request). */
  log?: NetlinkLog | undefined;
}

/** The part of a logger the connection uses (a pino Logger fits). */
export interface NetlinkLog {
  warn(obj: object, msg: string): void;
}

const MAX_DATAGRAM = 64 * 1024;
const OK: Outcome = Object.freeze({ ok: true }) as Outcome;
const SEGMENTS_IN_FLIGHT = 2;
/** Sequence numbers of abandoned dumps whose late parts are dropped silently. */
const DRAINING_MAX = 16;
/** Dropped messages logged per minute; the rest are counted in the next line. */
const DROP_LOG_PER_MINUTE = 10;
/** sendQueued tags: the segment's barrier sequence number × this + the datagram's index. */
const TAG_DATAGRAMS = 1024;

/**
 * Write requests handed to execAll so far, or announced for a later call
 * (announceWrites), and those the kernel has answered (for progress displays).
 */
export interface WriteProgress {
  queued: number;
  done: number;
}

export class NetlinkConnection {
  readonly stats: ConnectionStats = { writes: 0, requests: 0, dumps: 0, dumpRetries: 0, overruns: 0 };
  readonly progress: WriteProgress = { queued: 0, done: 0 };
  /**
   * Messages not answering one of our requests (multicast notifications). The
   * message object is reused after the call returns.
   */
  onNotification: ((m: NlMessage) => void) | undefined;
  /** The kernel dropped messages (ENOBUFS): everything must be re-listed. */
  onOverrun: (() => void) | undefined;

  private readonly pending = new Map<number, Pending>();
  /** Segments in flight, to route error replies of their requests. */
  private readonly segments: Segment[] = [];
  private dumpQueue: Promise<void> = Promise.resolve();
  private seq: number;
  private closed = false;
  private subscribed = false;
  private referenced = false;
  private lastActivity = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private readonly window: number;
  private readonly timeoutMs: number;
  private readonly dumpAttempts: number;
  private readonly port: number;
  private readonly log: NetlinkLog | undefined;
  /** Dumps failed on broken framing: the rest of their parts may still arrive. */
  private readonly draining: number[] = [];
  private readonly drops = { windowStart: 0, logged: 0, suppressed: 0 };
  /** Writes announced (announceWrites) that no execAll has brought yet. */
  private announced = 0;

  constructor(
    private readonly transport: Transport,
    options: ConnectionOptions = {},
  ) {
    this.window = options.window ?? 1024;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dumpAttempts = options.dumpAttempts ?? 10;
    this.log = options.log;
    this.seq = (Date.now() & 0x7fffffff) >>> 0 || 1;
    this.port = transport.portId;
    transport.onData = (err, data) => this.receive(err, data);
    transport.unref();
  }

  static open(protocol: number, options: OpenOptions & ConnectionOptions = {}): NetlinkConnection {
    return new NetlinkConnection(new NativeTransport(protocol, options), options);
  }

  get portId(): number {
    return this.port;
  }

  /** Joins multicast groups; notifications go to onNotification. */
  subscribe(groups: readonly number[]): void {
    for (const g of groups) this.transport.addMembership(g);
    this.subscribed = true;
    this.updateRef();
  }

  /** Leaves multicast groups (the kernel sends their notifications no more; those already queued still come). */
  unsubscribe(groups: readonly number[]): void {
    for (const g of groups) this.transport.dropMembership(g);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('netlink connection closed'));
    if (this.watchdog) clearInterval(this.watchdog);
    this.transport.close();
  }

  /**
   * Counts `writes` as queued now, for progress displays: a caller that hands a
   * batch over in several execAll calls announces what the later calls will
   * bring, and those calls do not count it again. A negative count takes back
   * what was announced and never handed over.
   */
  announceWrites(writes: number): void {
    const n = Math.max(writes, -this.announced);
    this.announced += n;
    this.progress.queued += n;
  }

  /** Sends one request and waits for its acknowledgement; throws NetlinkError. */
  async exec(request: Request): Promise<void> {
    const [outcome] = await this.execAll([request]);
    if (outcome && !outcome.ok) throw outcome.error;
  }

  /**
   * Sends many requests and returns one outcome per request, in order; one
   * failure does not stop the others. Requests go without NLM_F_ACK, many per
   * datagram, in segments of at most `window` requests, each closed by an
   * acknowledged NLMSG_NOOP barrier: the kernel handles a datagram before
   * sendto() returns and answers only failures, so when the barrier's ack
   * arrives every request before it is done, and at most `window` error replies
   * can be queued (no ENOBUFS).
   */
  async execAll(requests: readonly Request[]): Promise<Outcome[]> {
    const results = new Array<Outcome>(requests.length).fill(OK);
    let writes = 0;
    for (const r of requests) if (r.write) writes++;
    const announced = Math.min(writes, this.announced);
    this.announced -= announced;
    this.progress.queued += writes - announced;
    // Two segments in flight: the next is encoded while the kernel works on the
    // previous one (on the transport's sender thread when it has one).
    const inflight: Array<Promise<void>> = [];
    for (let first = 0; first < requests.length; first += this.window) {
      inflight.push(this.execSegment(requests, first, Math.min(requests.length, first + this.window), results));
      if (inflight.length >= SEGMENTS_IN_FLIGHT) await inflight.shift();
    }
    await Promise.all(inflight);
    return results;
  }

  private execSegment(requests: readonly Request[], first: number, end: number, results: Outcome[]): Promise<void> {
    return new Promise((resolve) => {
      const count = end - first;
      if (this.closed) {
        for (let i = first; i < end; i++) results[i] = { ok: false, error: new Error('netlink connection closed') };
        resolve();
        return;
      }
      if (this.seq > 0xffffffff - count - 2) this.seq = 0; // keep the segment's sequence numbers contiguous
      const base = this.seq + 1;
      this.seq += count + 1;
      const segment: Segment = {
        kind: 'segment',
        base,
        count,
        first,
        requests,
        results,
        datagrams: [],
        starts: new Int32Array(count),
        datagramOf: new Int32Array(count),
        overrun: false,
        done: resolve,
      };
      let w = new NlWriter(MAX_DATAGRAM);
      const flush = (last: boolean): boolean => {
        if (last) {
          const start = w.beginMessage(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, base + count, this.portId);
          w.endMessage(start);
        }
        const data = w.toBuffer();
        segment.datagrams.push(data);
        const datagram = segment.datagrams.length - 1;
        try {
          if (this.transport.sendQueued && datagram < TAG_DATAGRAMS) this.transport.sendQueued(data, (base + count) * TAG_DATAGRAMS + datagram);
          else this.transport.send(data);
          this.touch();
          return true;
        } catch (err) {
          this.datagramFailed(segment, datagram, err);
          return false;
        }
      };
      this.pending.set(base + count, segment);
      this.segments.push(segment);
      let sent = true;
      for (let i = 0; i < count; i++) {
        const request = requests[first + i]!;
        if (w.length > MAX_DATAGRAM - 4096) {
          flush(false);
          w = new NlWriter(MAX_DATAGRAM);
        }
        const start = w.beginMessage(request.type, NLM_F_REQUEST | (request.flags ?? 0), base + i, this.portId);
        request.encode(w);
        w.endMessage(start);
        segment.starts[i] = start;
        segment.datagramOf[i] = segment.datagrams.length;
        this.stats.requests++;
        if (request.write) this.stats.writes++;
      }
      sent = flush(true);
      if (!sent) this.finishSegment(segment);
    });
  }

  /** Nothing in this datagram reached the kernel. */
  private datagramFailed(segment: Segment, datagram: number, err: unknown): void {
    for (let i = 0; i < segment.count; i++) {
      if (segment.datagramOf[i] === datagram) {
        segment.results[segment.first + i] = { ok: false, error: fromTransportError(err, segment.requests[segment.first + i]!) };
      }
    }
  }

  private finishSegment(segment: Segment): void {
    this.pending.delete(segment.base + segment.count);
    for (let k = 0; k < segment.count; k++) if (segment.requests[segment.first + k]!.write) this.progress.done++;
    const i = this.segments.indexOf(segment);
    if (i >= 0) this.segments.splice(i, 1);
    if (segment.overrun) {
      for (let k = 0; k < segment.count; k++) {
        if (segment.results[segment.first + k] === OK) {
          segment.results[segment.first + k] = { ok: false, error: new NetlinkOverrunError(segment.requests[segment.first + k]!.describe()) };
        }
      }
    }
    this.updateRef();
    segment.done();
  }

  /** An error reply to one request of a segment. */
  private segmentReply(segment: Segment, m: NlMessage): void {
    const k = m.seq - segment.base;
    const request = segment.requests[segment.first + k]!;
    let payload: ReturnType<typeof parseErrorPayload>;
    try {
      payload = parseErrorPayload(m);
    } catch (err) {
      segment.results[segment.first + k] = { ok: false, error: decodeFailure(err, request, m.offset) };
      return;
    }
    if (payload.errno === 0) return;
    const datagram = segment.datagrams[segment.datagramOf[k]!]!;
    const start = segment.starts[k]!;
    const bytes = datagram.subarray(start, start + readU32(datagram, start));
    const error = this.kernelError(payload.errno, payload.extack, request, bytes, m.seq);
    segment.results[segment.first + k] = request.okErrors?.includes(error.code) ? OK : { ok: false, error };
  }

  /**
   * Runs a dump request to completion, retrying when it is interrupted. The
   * kernel runs one dump per socket at a time (a second one gets EBUSY), so
   * dumps on this connection queue behind each other.
   */
  dump(request: Request): Promise<NlMessage[]>;
  dump<T>(request: Request, decode: (m: NlMessage) => T | undefined): Promise<T[]>;
  dump<T>(request: Request, decode?: (m: NlMessage) => T | undefined): Promise<Array<T | NlMessage>> {
    const each: (m: NlMessage) => T | NlMessage | undefined = decode ?? ((m: NlMessage) => ({ ...m }));
    const run = this.dumpQueue.then(() => this.dumpWithRetry<T | NlMessage>(request, each));
    this.dumpQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * A dump whose messages go to `onMessage` as they arrive, none kept (a million
   * routes printed without holding them). Not retried: an interrupted dump
   * (the table changed meanwhile) is reported, as `ip` does.
   */
  async dumpEach(request: Request, onMessage: (m: NlMessage) => void): Promise<{ interrupted: boolean }> {
    const run = this.dumpQueue.then(() =>
      this.dumpOnce(request, (m) => {
        onMessage(m);
        return undefined;
      }),
    );
    this.dumpQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return { interrupted: (await run).interrupted };
  }

  /**
   * A GET without NLM_F_DUMP (e.g. one link by name): the kernel answers with
   * the object or an error (ENODEV…), which is thrown as a NetlinkError.
   */
  async query<T>(request: Request, decode: (m: NlMessage) => T | undefined): Promise<T | undefined> {
    const run = this.dumpQueue.then(() => this.dumpOnce(request, decode, false));
    this.dumpQueue = run.then(
      () => undefined,
      () => undefined,
    );
    const { items } = await run;
    return items[0] as T | undefined;
  }

  private async dumpWithRetry<T>(request: Request, decode: (m: NlMessage) => T | undefined): Promise<T[]> {
    for (let attempt = 1; attempt <= this.dumpAttempts; attempt++) {
      const result = await this.dumpOnce(request, decode);
      if (!result.interrupted) return result.items as T[];
      this.stats.dumpRetries++;
    }
    throw new DumpInterruptedError(request.describe(), this.dumpAttempts);
  }

  private dumpOnce(request: Request, decode: (m: NlMessage) => unknown, dump = true): Promise<{ items: unknown[]; interrupted: boolean }> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('netlink connection closed'));
        return;
      }
      const w = new NlWriter(256);
      const seq = this.nextSeq();
      const start = w.beginMessage(request.type, NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0) | (request.flags ?? 0), seq, this.portId);
      request.encode(w);
      w.endMessage(start);
      this.stats.requests++;
      if (dump) this.stats.dumps++;
      this.pending.set(seq, {
        kind: 'dump',
        request,
        decode,
        items: [],
        interrupted: false,
        failed: undefined,
        done: (result) => (result instanceof Error ? reject(result) : resolve(result)),
      });
      this.updateRef();
      try {
        this.transport.send(w.view());
        this.touch();
      } catch (err) {
        this.pending.delete(seq);
        this.updateRef();
        reject(fromTransportError(err, request));
      }
    });
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  private touch(): void {
    this.lastActivity = Date.now();
    this.updateRef();
    if (!this.watchdog && this.pending.size > 0) {
      this.watchdog = setInterval(() => this.checkTimeout(), Math.min(1000, this.timeoutMs));
      this.watchdog.unref();
    }
  }

  private checkTimeout(): void {
    if (this.pending.size === 0) {
      if (this.watchdog) clearInterval(this.watchdog);
      this.watchdog = undefined;
      return;
    }
    if (Date.now() - this.lastActivity > this.timeoutMs) {
      this.failAll(new NetlinkError({ errno: errnoNumber('ETIMEDOUT') ?? 110, operation: 'waiting for the kernel' }));
    }
  }

  private updateRef(): void {
    const want = this.pending.size > 0 || this.subscribed;
    if (want === this.referenced || this.closed) return;
    this.referenced = want;
    if (want) this.transport.ref();
    else this.transport.unref();
  }

  private failAll(err: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const p of entries) {
      if (p.kind === 'segment') {
        for (let k = 0; k < p.count; k++) if (p.results[p.first + k] === OK) p.results[p.first + k] = { ok: false, error: err };
        this.segments.splice(this.segments.indexOf(p), 1);
        p.done();
      } else {
        p.done(err);
      }
    }
    this.updateRef();
  }

  private receive(err: TransportError | null, data?: Buffer): void {
    if (err && err.sendTag !== undefined) {
      // a queued datagram could not be sent
      const barrier = Math.floor(err.sendTag / TAG_DATAGRAMS);
      const datagram = err.sendTag % TAG_DATAGRAMS;
      const p = this.pending.get(barrier);
      if (p?.kind === 'segment') {
        this.datagramFailed(p, datagram, err);
        // the barrier travels in the last datagram: if that one failed, no ack will come
        if (datagram === p.datagrams.length - 1) this.finishSegment(p);
      }
      return;
    }
    if (err) {
      if (err.code === 'ENOBUFS') {
        this.stats.overruns++;
        // Acks may have been dropped: their outcome is unknown. A dump in
        // progress keeps running in the kernel; finish it, then retry it.
        for (const p of this.pending.values()) {
          if (p.kind === 'segment') p.overrun = true;
          else p.interrupted = true;
        }
        this.updateRef();
        try {
          this.onOverrun?.();
        } catch (e) {
          this.dropped('overrun listener failed', e);
        }
        return;
      }
      this.failAll(err);
      return;
    }
    if (!data) return;
    this.touch();
    try {
      forEachMessage(data, (m) => this.dispatch(m));
    } catch (e) {
      // Framing broke (dispatch itself catches what it decodes): the rest of
      // the datagram is lost. Were dispatch to throw anyway, it ends here too.
      this.framingFailed(data, e);
    }
    this.updateRef();
  }

  /**
   * A datagram whose framing breaks at `err.offset`: when the broken header
   * still names one of our requests, that request fails; otherwise the bytes
   * are dropped (logged).
   */
  private framingFailed(data: Buffer, e: unknown): void {
    const at = e instanceof NetlinkDecodeError ? e.offset : 0;
    if (at + NLMSG_HDRLEN <= data.length) {
      const type = readU16(data, at + 4);
      const seq = readU32(data, at + 8);
      const portId = readU32(data, at + 12);
      if (portId === this.portId && this.failRequest(seq, e, at)) return;
      if (portId === this.portId && this.draining.includes(seq)) return;
      this.dropped('malformed netlink message dropped', e, { type, seq, portId, length: data.length - at });
      return;
    }
    this.dropped('malformed netlink message dropped', e, { length: data.length - at });
  }

  /** Fails the request that `seq` answers with a decode error; false when it answers none. */
  private failRequest(seq: number, e: unknown, offset: number): boolean {
    const p = this.pending.get(seq);
    if (p?.kind === 'dump') {
      // Later parts of this dump may be in the lost bytes or still to come:
      // fail it now, and drop its stragglers quietly. (Should the kernel still
      // be dumping when the next dump is sent, that one gets EBUSY; a kernel
      // does not break framing, so this is for robustness, not routine.)
      this.pending.delete(seq);
      this.draining.push(seq);
      if (this.draining.length > DRAINING_MAX) this.draining.shift();
      p.done(p.failed ?? decodeFailure(e, p.request, offset));
      return true;
    }
    if (p?.kind === 'segment') {
      // the barrier's acknowledgement, malformed: the kernel has handled every request before it
      this.finishSegment(p);
      return true;
    }
    const segment = this.segmentOf(seq);
    if (segment) {
      const k = seq - segment.base;
      segment.results[segment.first + k] = { ok: false, error: decodeFailure(e, segment.requests[segment.first + k]!, offset) };
      return true;
    }
    return false;
  }

  private segmentOf(seq: number): Segment | undefined {
    for (const segment of this.segments) {
      if (seq >= segment.base && seq < segment.base + segment.count) return segment;
    }
    return undefined;
  }

  /** A message for nobody: told to the listener, which may not throw it back at the socket. */
  private notify(m: NlMessage): void {
    if (!this.onNotification) return;
    try {
      this.onNotification(m);
    } catch (e) {
      this.dropped('malformed netlink notification dropped', e, { type: m.type, seq: m.seq, portId: m.portId, length: m.length + NLMSG_HDRLEN });
    }
  }

  /** Logs a dropped message: at most DROP_LOG_PER_MINUTE lines a minute (the rest are counted). Never the bytes: they may hold keys. */
  private dropped(msg: string, e: unknown, fields: Record<string, number> = {}): void {
    const now = Date.now();
    const d = this.drops;
    if (now - d.windowStart >= 60_000) {
      d.windowStart = now;
      d.logged = 0;
    }
    if (d.logged >= DROP_LOG_PER_MINUTE) {
      d.suppressed++;
      return;
    }
    d.logged++;
    const suppressed = d.suppressed;
    d.suppressed = 0;
    this.log?.warn({ err: e instanceof Error ? e.message : String(e), ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, msg);
  }

  /** One received message. Never throws: what cannot be decoded fails its request or is dropped. */
  private dispatch(m: NlMessage): void {
    const mine = m.portId === this.portId;
    const p = mine ? this.pending.get(m.seq) : undefined;
    if (!p) {
      if (mine && m.type === NLMSG_ERROR) {
        const segment = this.segmentOf(m.seq);
        if (segment) {
          this.segmentReply(segment, m);
          return;
        }
      }
      if (mine && this.draining.length > 0) {
        const i = this.draining.indexOf(m.seq);
        if (i >= 0) {
          if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) this.draining.splice(i, 1);
          return;
        }
      }
      if (m.type !== NLMSG_NOOP) this.notify(m);
      return;
    }
    if (p.kind === 'segment') {
      // the barrier's acknowledgement: every request of the segment has been handled
      if (m.type === NLMSG_ERROR) this.finishSegment(p);
      return;
    }
    if (m.type === NLMSG_ERROR) {
      this.pending.delete(m.seq);
      let error: Error;
      try {
        const payload = parseErrorPayload(m);
        error = this.kernelError(payload.errno || errnoNumber('EPROTO') || 71, payload.extack, p.request, undefined, m.seq);
      } catch (e) {
        error = decodeFailure(e, p.request, m.offset);
      }
      p.done(p.failed ?? error);
      return;
    }
    if ((m.flags & NLM_F_DUMP_INTR) !== 0) p.interrupted = true;
    if (m.type === NLMSG_DONE) {
      this.pending.delete(m.seq);
      let result: { items: unknown[]; interrupted: boolean } | Error;
      try {
        const done = parseDonePayload(m);
        result = done.errno !== 0 ? this.kernelError(done.errno, done.extack, p.request, undefined, m.seq) : { items: p.items, interrupted: p.interrupted };
      } catch (e) {
        result = decodeFailure(e, p.request, m.offset);
      }
      p.done(p.failed ?? result);
      return;
    }
    if (m.type === NLMSG_OVERRUN) {
      p.interrupted = true;
      return;
    }
    if (!p.failed) {
      // One bad message fails the dump, which still runs to its NLMSG_DONE (the
      // kernel runs one dump per socket at a time).
      try {
        const item = p.decode(m);
        if (item !== undefined) p.items.push(item);
      } catch (e) {
        p.failed = decodeFailure(e, p.request, m.offset);
        p.items = [];
      }
    }
    if ((m.flags & NLM_F_MULTI) === 0) {
      // a single-part reply (some GET requests answer without a dump)
      this.pending.delete(m.seq);
      p.done(p.failed ?? { items: p.items, interrupted: p.interrupted });
    }
  }

  private kernelError(errno: number, extack: NetlinkErrorDetails['extack'], request: Request, bytes: Buffer | undefined, seq: number): NetlinkError {
    const details: NetlinkErrorDetails = { errno, operation: request.describe(), seq };
    if (extack) details.extack = extack;
    const attribute = bytes && extack?.offset !== undefined ? nameAttribute(request, bytes, extack.offset) : undefined;
    if (attribute) details.attribute = attribute;
    return new NetlinkError(details);
  }
}

/**
 * Names the attribute at `offset` (from the start of the message) of our request,
 * walking into nested attributes: "RTA_METRICS/#2".
 */
function nameAttribute(request: Request, bytes: Buffer, offset: number): string | undefined {
  let pos = NLMSG_HDRLEN + (request.headerLength ?? 0);
  let end = bytes.length;
  const path: string[] = [];
  while (pos + 4 <= end) {
    const len = readU16(bytes, pos);
    if (len < 4) return undefined;
    const type = readU16(bytes, pos + 2) & NLA_TYPE_MASK;
    const name = (path.length === 0 ? request.attributeName?.(type) : undefined) ?? `#${type}`;
    if (offset === pos) return [...path, name].join('/');
    if (offset > pos && offset < pos + len) {
      path.push(name);
      end = pos + len;
      pos += 4;
      continue;
    }
    pos += (len + 3) & ~3;
  }
  return undefined;
}

/**
 * The error a request fails with when its reply cannot be decoded. A decoder
 * throws NetlinkDecodeError; anything else it throws is a bug in it, reported
 * the same way (with the original as the cause) rather than thrown at the socket.
 */
function decodeFailure(err: unknown, request: Request, offset: number): NetlinkDecodeError {
  const operation = request.describe();
  if (err instanceof NetlinkDecodeError) return err.withOperation(operation);
  const e = err instanceof Error ? err : new Error(String(err));
  return new NetlinkDecodeError(`decoder failed: ${e.name}: ${e.message}`, offset, operation, { cause: e });
}

function fromTransportError(err: unknown, request: Request): Error {
  const e = err as TransportError;
  if (typeof e?.errno === 'number') return new NetlinkError({ errno: e.errno, operation: request.describe() });
  return err instanceof Error ? err : new Error(String(err));
}
