// The few things host DNS reads and writes in DNS messages (RFC 1035, RFC 6891).
// Answers from upstream servers are passed on byte for byte: only the ID is
// rewritten and, for cached answers, the TTLs, in place. Record data is never
// decoded, so a type this code does not know (SVCB, HTTPS, …) arrives intact.

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

const HEADER = 12;

export interface Question {
  /** Lower-cased (ASCII), without the trailing dot ("" for the root); a dot or backslash inside a label escaped. */
  name: string;
  type: number;
  class: number;
}

export interface Query {
  /** The message as received. */
  message: Buffer;
  id: number;
  question: Question;
  /** The question section as sent (name spelling kept), for replies made here. */
  questionBytes: Buffer;
  /** Recursion desired, checking disabled, DNSSEC OK: they change what an upstream answers, so they key the cache. */
  rd: boolean;
  cd: boolean;
  do: boolean;
  /** The largest UDP reply the client takes: 512, or its EDNS payload size. */
  udpSize: number;
}

/** Skips a (possibly compressed) name at `at`; returns the offset after it. */
function skipName(msg: Buffer, at: number): number {
  for (let hops = 0; hops < 128; hops++) {
    if (at >= msg.length) throw new Error('name runs past the message');
    const len = msg[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) {
      if (at + 2 > msg.length) throw new Error('name pointer runs past the message');
      return at + 2;
    }
    if ((len & 0xc0) !== 0) throw new Error('unknown label type');
    at += 1 + len;
  }
  throw new Error('name too long');
}

/** ASCII letters only lower-cased (RFC 4343): other bytes stay as they are. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Reads an uncompressed name (a question's), lower-cased, in presentation form:
 * a dot or backslash inside a label is escaped ("a\\.b" is one label), so two
 * different names never read the same.
 */
function readQuestionName(msg: Buffer, at: number): { name: string; end: number } {
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (at >= msg.length) throw new Error('question name runs past the message');
    const len = msg[at]!;
    if (len === 0) return { name: asciiLower(labels.join('.')), end: at + 1 };
    if ((len & 0xc0) !== 0) throw new Error('compressed question name');
    total += len + 1;
    if (total > 255 || at + 1 + len > msg.length) throw new Error('question name too long');
    labels.push(msg.toString('latin1', at + 1, at + 1 + len).replace(/[.\\]/g, (c) => `\\${c}`));
    at += 1 + len;
  }
}

/** The question section of a message with exactly one question (name, type, class), else undefined. */
function questionSection(msg: Buffer): Buffer | undefined {
  if (msg.length < HEADER || msg.readUInt16BE(4) !== 1) return undefined;
  try {
    const { end } = readQuestionName(msg, HEADER);
    return end + 4 <= msg.length ? msg.subarray(HEADER, end + 4) : undefined;
  } catch {
    return undefined;
  }
}

/** Both messages carry the same single question: name (ASCII case aside), type and class. */
export function sameQuestion(a: Buffer, b: Buffer): boolean {
  const x = questionSection(a);
  const y = questionSection(b);
  return x !== undefined && y !== undefined && x.length === y.length && asciiLower(x.toString('latin1')) === asciiLower(y.toString('latin1'));
}

/** A query: exactly one question, opcode QUERY, QR clear. Throws what is wrong with anything else. */
export function parseQuery(msg: Buffer): Query {
  if (msg.length < HEADER) throw new Error('shorter than a DNS header');
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) throw new Error('a response, not a query');
  if (((flags >> 11) & 0xf) !== 0) throw new Error('not a standard query');
  if (msg.readUInt16BE(4) !== 1) throw new Error('not exactly one question');
  const { name, end } = readQuestionName(msg, HEADER);
  if (end + 4 > msg.length) throw new Error('question runs past the message');
  const question: Question = { name, type: msg.readUInt16BE(end), class: msg.readUInt16BE(end + 2) };
  let udpSize = 512;
  let dnssecOk = false;
  // EDNS: an OPT record among the additional records
  let at = end + 4;
  const skip = msg.readUInt16BE(6) + msg.readUInt16BE(8);
  const additional = msg.readUInt16BE(10);
  for (let i = 0; i < skip + additional; i++) {
    at = skipName(msg, at);
    if (at + 10 > msg.length) throw new Error('record runs past the message');
    const type = msg.readUInt16BE(at);
    if (i >= skip && type === TYPE_OPT) {
      udpSize = Math.max(512, msg.readUInt16BE(at + 2));
      dnssecOk = (msg.readUInt32BE(at + 4) & 0x8000) !== 0;
    }
    at += 10 + msg.readUInt16BE(at + 8);
  }
  return { message: msg, id: msg.readUInt16BE(0), question, questionBytes: msg.subarray(HEADER, end + 4), rd: (flags & 0x0100) !== 0, cd: (flags & 0x0010) !== 0, do: dnssecOk, udpSize };
}

export interface Answer {
  rcode: number;
  truncated: boolean;
  /** The question it answers (lower-cased name), undefined when it has none. */
  question: Question | undefined;
  /** Offsets of the TTL field of every record except OPT, and their values. */
  ttls: Array<{ at: number; ttl: number }>;
  /** The SOA's minimum in the authority section (negative caching, RFC 2308), when there is one. */
  soaMinimum: number | undefined;
  answerCount: number;
}

/** Reads a response's header, question and record TTLs. Throws when it is not a well-formed response. */
export function parseAnswer(msg: Buffer): Answer {
  if (msg.length < HEADER) throw new Error('shorter than a DNS header');
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) throw new Error('a query, not a response');
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  let at = HEADER;
  let question: Question | undefined;
  for (let i = 0; i < qd; i++) {
    const q = readQuestionName(msg, at);
    if (q.end + 4 > msg.length) throw new Error('question runs past the message');
    if (i === 0) question = { name: q.name, type: msg.readUInt16BE(q.end), class: msg.readUInt16BE(q.end + 2) };
    at = q.end + 4;
  }
  const ttls: Answer['ttls'] = [];
  let soaMinimum: number | undefined;
  for (let i = 0; i < an + ns + ar; i++) {
    at = skipName(msg, at);
    if (at + 10 > msg.length) throw new Error('record runs past the message');
    const type = msg.readUInt16BE(at);
    const length = msg.readUInt16BE(at + 8);
    if (at + 10 + length > msg.length) throw new Error('record data runs past the message');
    if (type !== TYPE_OPT) ttls.push({ at: at + 4, ttl: msg.readUInt32BE(at + 4) });
    // SOA rdata ends with five 32-bit fields, the last the minimum
    if (type === 6 && i >= an && i < an + ns && length >= 20) soaMinimum = Math.min(msg.readUInt32BE(at + 4), msg.readUInt32BE(at + 10 + length - 4));
    at += 10 + length;
  }
  return { rcode: flags & 0xf, truncated: (flags & 0x0200) !== 0, question, ttls, soaMinimum, answerCount: an };
}

/** A copy of `msg` with another ID. */
export function withId(msg: Buffer, id: number): Buffer {
  const out = Buffer.from(msg);
  out.writeUInt16BE(id, 0);
  return out;
}

function header(query: Query, flags: number, counts: [number, number, number, number]): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(query.id, 0);
  // QR, the query's RD and CD, RA: this is a recursive service
  h.writeUInt16BE(0x8000 | (query.rd ? 0x0100 : 0) | 0x0080 | (query.cd ? 0x0010 : 0) | flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return h;
}

/** A reply with only a response code (SERVFAIL, REFUSED, FORMERR…) and the question. */
export function errorReply(query: Query, rcode: number): Buffer {
  return Buffer.concat([header(query, rcode & 0xf, [1, 0, 0, 0]), query.questionBytes]);
}

/** A reply that says "ask again over TCP": the header with TC set, and the question. */
export function truncatedReply(query: Query, answer: Buffer): Buffer {
  const out = Buffer.concat([answer.subarray(0, HEADER), query.questionBytes]);
  out.writeUInt16BE(out.readUInt16BE(2) | 0x0200, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}

/** An authoritative answer made here: one A or AAAA record per address, the question's name (as a pointer), `ttl` seconds. */
export function addressReply(query: Query, addresses: ReadonlyArray<Buffer>, ttl: number): Buffer {
  const records = addresses.map((bytes) => {
    const r = Buffer.alloc(12 + bytes.length);
    r.writeUInt16BE(0xc000 | HEADER, 0);
    r.writeUInt16BE(bytes.length === 4 ? TYPE_A : TYPE_AAAA, 2);
    r.writeUInt16BE(CLASS_IN, 4);
    r.writeUInt32BE(ttl, 6);
    r.writeUInt16BE(bytes.length, 10);
    bytes.copy(r, 12);
    return r;
  });
  return Buffer.concat([header(query, 0x0400, [1, records.length, 0, 0]), query.questionBytes, ...records]);
}

/** A message as DNS over TCP (and TLS) carries it: after its length in two bytes (RFC 1035 §4.2.2). */
export function frame(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);
}

/** Calls `onMessage` with each length-prefixed message that arrives on `stream`. */
export function readFrames(stream: { on(event: 'data', f: (chunk: Buffer) => void): unknown }, onMessage: (msg: Buffer) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const len = buffered.readUInt16BE(0);
      onMessage(Buffer.from(buffered.subarray(2, 2 + len)));
      buffered = buffered.subarray(2 + len);
    }
  });
}
