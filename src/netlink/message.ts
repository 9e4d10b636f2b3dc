// Netlink message headers and NLMSG_ERROR / NLMSG_DONE payloads.
import {
  NLMSGERR_ATTR_COOKIE,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLMSG_HDRLEN,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  align4,
} from './constants.js';
import { AttrReader, readS32, readU16, readU32 } from './codec.js';
import { NetlinkDecodeError, type ExtendedAck } from './errors.js';

/** One netlink message: a header plus a view of its payload inside `buf`. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  portId: number;
  buf: Buffer;
  /** Offset of the payload (just after the 16-byte header). */
  offset: number;
  /** Payload length. */
  length: number;
}

/** Splits a buffer of concatenated netlink messages. */
export function parseMessages(buf: Buffer, out: NlMessage[] = []): NlMessage[] {
  forEachMessage(buf, (m) => out.push({ ...m }));
  return out;
}

/**
 * Calls `fn` for each message in `buf` with one reused object (valid only
 * during the call: copy what must outlive it). Large dumps allocate nothing per message here.
 */
export function forEachMessage(buf: Buffer, fn: (m: NlMessage) => void): void {
  const m: NlMessage = { type: 0, flags: 0, seq: 0, portId: 0, buf, offset: 0, length: 0 };
  let pos = 0;
  while (pos + NLMSG_HDRLEN <= buf.length) {
    const len = readU32(buf, pos);
    if (len < NLMSG_HDRLEN || pos + len > buf.length) {
      throw new NetlinkDecodeError(`message length ${len} does not fit (${buf.length - pos} bytes left)`, pos);
    }
    m.type = readU16(buf, pos + 4);
    m.flags = readU16(buf, pos + 6);
    m.seq = readU32(buf, pos + 8);
    m.portId = readU32(buf, pos + 12);
    m.offset = pos + NLMSG_HDRLEN;
    m.length = len - NLMSG_HDRLEN;
    pos += align4(len);
    fn(m);
  }
  if (pos < buf.length && buf.length - pos >= 1 && pos + NLMSG_HDRLEN > buf.length) {
    // less than one header left: only padding is acceptable
    for (let i = pos; i < buf.length; i++) {
      if (buf[i] !== 0) throw new NetlinkDecodeError(`truncated message header (${buf.length - pos} bytes left)`, pos);
    }
  }
}

export interface ErrorPayload {
  /** 0 for an acknowledgement, otherwise a positive errno. */
  errno: number;
  /** Header of the request this answers. */
  requestType: number;
  requestSeq: number;
  extack: ExtendedAck | undefined;
}

function parseExtack(buf: Buffer, start: number, end: number): ExtendedAck | undefined {
  if (start >= end) return undefined;
  const ack: ExtendedAck = {};
  const r = new AttrReader(buf, start, end);
  while (r.next()) {
    switch (r.type) {
      case NLMSGERR_ATTR_MSG:
        ack.message = r.string();
        break;
      case NLMSGERR_ATTR_OFFS:
        ack.offset = r.u32();
        break;
      case NLMSGERR_ATTR_MISS_TYPE:
        ack.missingType = r.u32();
        break;
      case NLMSGERR_ATTR_COOKIE:
        ack.cookie = Buffer.from(r.bytes());
        break;
      default:
        break;
    }
  }
  return Object.keys(ack).length > 0 ? ack : undefined;
}

/** Decodes an NLMSG_ERROR payload: struct nlmsgerr plus optional ext-ack TLVs. */
export function parseErrorPayload(m: NlMessage): ErrorPayload {
  if (m.length < 4 + NLMSG_HDRLEN) throw new NetlinkDecodeError(`NLMSG_ERROR payload of ${m.length} bytes`, m.offset);
  const err = readS32(m.buf, m.offset);
  const origLen = readU32(m.buf, m.offset + 4);
  const requestType = readU16(m.buf, m.offset + 8);
  const requestSeq = readU32(m.buf, m.offset + 12);
  let tlvStart = m.offset + 4 + NLMSG_HDRLEN;
  if ((m.flags & NLM_F_CAPPED) === 0) tlvStart = m.offset + 4 + align4(Math.max(origLen, NLMSG_HDRLEN));
  const end = m.offset + m.length;
  const extack = (m.flags & NLM_F_ACK_TLVS) !== 0 && tlvStart < end ? parseExtack(m.buf, tlvStart, end) : undefined;
  return { errno: -err, requestType, requestSeq, extack };
}

/** Decodes an NLMSG_DONE payload: an int error (0 or -errno), then optional ext-ack TLVs. */
export function parseDonePayload(m: NlMessage): { errno: number; extack: ExtendedAck | undefined } {
  if (m.length < 4) return { errno: 0, extack: undefined };
  const err = readS32(m.buf, m.offset);
  const extack = (m.flags & NLM_F_ACK_TLVS) !== 0 ? parseExtack(m.buf, m.offset + 4, m.offset + m.length) : undefined;
  return { errno: -err, extack };
}
