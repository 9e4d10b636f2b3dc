// A scripted kernel at the byte level: tests decide what each request gets back.
import { NlWriter } from '../../src/netlink/codec.js';
import { NLMSG_DONE, NLMSG_ERROR, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { parseMessages, type NlMessage } from '../../src/netlink/message.js';
import type { Transport, TransportError } from '../../src/netlink/transport.js';

export type Reply = Buffer | { error: TransportError };

export class FakeTransport implements Transport {
  readonly portId = 4242;
  onData: (err: TransportError | null, data?: Buffer) => void = () => {};
  readonly sent: NlMessage[] = [];
  readonly datagrams: number[] = [];
  groups: number[] = [];
  closed = false;
  refs = 0;

  constructor(private readonly handler: (m: NlMessage, t: FakeTransport) => Reply[]) {}

  send(data: Uint8Array): void {
    const buf = Buffer.from(data);
    const messages = parseMessages(buf);
    this.datagrams.push(messages.length);
    const replies: Reply[] = [];
    for (const m of messages) {
      this.sent.push(m);
      replies.push(...this.handler(m, this));
    }
    setImmediate(() => {
      for (const r of replies) {
        if (Buffer.isBuffer(r)) this.onData(null, r);
        else this.onData(r.error);
      }
    });
  }

  /** Delivers bytes as if the kernel sent them unprompted (multicast). */
  push(data: Buffer): void {
    this.onData(null, data);
  }

  addMembership(group: number): void {
    this.groups.push(group);
  }
  dropMembership(group: number): void {
    this.groups = this.groups.filter((g) => g !== group);
  }
  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.refs--;
  }
  close(): void {
    this.closed = true;
  }
}

export function message(type: number, flags: number, seq: number, portId: number, body: (w: NlWriter) => void = () => {}): Buffer {
  const w = new NlWriter(64);
  const start = w.beginMessage(type, flags, seq, portId);
  body(w);
  w.endMessage(start);
  return w.toBuffer();
}

export function ack(req: NlMessage, errno = 0, extack?: { message?: string; offset?: number }): Buffer {
  const flags = 0x100 | (extack ? 0x200 : 0); // capped, TLVs
  return message(NLMSG_ERROR, flags, req.seq, req.portId, (w) => {
    w.s32(-errno);
    // the request's header, as the kernel echoes it
    w.bytes(req.buf.subarray(req.offset - 16, req.offset));
    if (extack?.message !== undefined) w.attrString(1, extack.message);
    if (extack?.offset !== undefined) w.attrU32(2, extack.offset);
  });
}

export function done(req: NlMessage, flags = 0, errno = 0): Buffer {
  return message(NLMSG_DONE, NLM_F_MULTI | flags, req.seq, req.portId, (w) => w.s32(-errno));
}

/**
 * Recorded messages (a fixture) as replies to `req`: every message header gets
 * the request's sequence number and port, the way the kernel would address them.
 */
export function restamp(recorded: Buffer, req: Pick<NlMessage, 'seq' | 'portId'>): Buffer {
  const out = Buffer.from(recorded);
  for (let pos = 0; pos + 16 <= out.length; ) {
    const len = out.readUInt32LE(pos);
    if (len < 16) break;
    out.writeUInt32LE(req.seq >>> 0, pos + 8);
    out.writeUInt32LE(req.portId >>> 0, pos + 12);
    pos += (len + 3) & ~3;
  }
  return out;
}

/** Offsets of the messages in `buf` (as the kernel framed them). */
export function messageOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let pos = 0; pos + 16 <= buf.length; ) {
    const len = buf.readUInt32LE(pos);
    if (len < 16) break;
    out.push(pos);
    pos += (len + 3) & ~3;
  }
  return out;
}
