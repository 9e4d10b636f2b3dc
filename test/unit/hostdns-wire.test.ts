// Host DNS's message handling and cache, on messages built byte by byte.
import { describe, expect, it } from 'vitest';
import { DnsCache } from '../../src/operators/hostdns/cache.js';
import { addressReply, CLASS_IN, errorReply, parseAnswer, parseQuery, sameQuestion, truncatedReply, RCODE_SERVFAIL, TYPE_A, TYPE_AAAA } from '../../src/operators/hostdns/wire.js';

/** A query for `name` and `type` (recursion desired). */
function encodeQuery(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const q = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0, type >> 8, type & 0xff, 0, CLASS_IN])]);
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([h, q]);
}

/** An answer to `query` with A records of the given TTLs (name as a pointer to the question), and an OPT record. */
function answer(query: Buffer, ttls: number[], rcode = 0, soaMinimum?: number): Buffer {
  const q = parseQuery(query);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  head.writeUInt16BE(0x8180 | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(ttls.length, 6);
  head.writeUInt16BE(soaMinimum === undefined ? 0 : 1, 8);
  head.writeUInt16BE(1, 10);
  const rr = (type: number, ttl: number, data: Buffer) => {
    const r = Buffer.alloc(12);
    r.writeUInt16BE(0xc00c, 0);
    r.writeUInt16BE(type, 2);
    r.writeUInt16BE(1, 4);
    r.writeUInt32BE(ttl, 6);
    r.writeUInt16BE(data.length, 10);
    return Buffer.concat([r, data]);
  };
  const soa = soaMinimum === undefined ? [] : [rr(6, 3600, Buffer.concat([Buffer.from([0, 0]), Buffer.alloc(16), Buffer.from([0, 0, 0, soaMinimum])]))];
  const opt = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, q.questionBytes, ...ttls.map((t, i) => rr(TYPE_A, t, Buffer.from([192, 0, 2, i]))), ...soa, opt]);
}

describe('host DNS messages', () => {
  it('reads a query: the question lower-cased, RD, and EDNS size and DO bit', () => {
    const q = parseQuery(encodeQuery(0x1234, 'WWW.Example.ORG', TYPE_A));
    expect(q).toMatchObject({ id: 0x1234, question: { name: 'www.example.org', type: 1, class: 1 }, rd: true, cd: false, do: false, udpSize: 512 });
    const edns = Buffer.concat([encodeQuery(1, 'a.test', TYPE_A), Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])]);
    edns.writeUInt16BE(1, 10);
    expect(parseQuery(edns)).toMatchObject({ udpSize: 1232, do: true });
  });

  it('keeps a dot inside a label apart from a label boundary: one label "www.test" is not the name www.test', () => {
    const oneLabel = Buffer.concat([encodeQuery(3, 'x', TYPE_A).subarray(0, 12), Buffer.from([8]), Buffer.from('www.test'), Buffer.from([0, 0, 1, 0, 1])]);
    const q = parseQuery(oneLabel);
    expect(q.question.name).toBe('www\\.test');
    expect(q.question.name).not.toBe(parseQuery(encodeQuery(3, 'www.test', TYPE_A)).question.name);
    expect(sameQuestion(oneLabel, encodeQuery(3, 'www.test', TYPE_A))).toBe(false);
  });

  it('matches questions by name (ASCII case aside), type and class', () => {
    expect(sameQuestion(encodeQuery(1, 'WWW.Test', TYPE_A), encodeQuery(2, 'www.test', TYPE_A))).toBe(true);
    expect(sameQuestion(encodeQuery(1, 'www.test', TYPE_A), encodeQuery(1, 'www.test', TYPE_AAAA))).toBe(false);
    expect(sameQuestion(encodeQuery(1, 'www.test', TYPE_A), encodeQuery(1, 'www.tesu', TYPE_A))).toBe(false);
    const none = encodeQuery(1, 'www.test', TYPE_A);
    none.writeUInt16BE(0, 4);
    expect(sameQuestion(encodeQuery(1, 'www.test', TYPE_A), none)).toBe(false);
  });

  it('refuses what is not one standard query', () => {
    expect(() => parseQuery(Buffer.alloc(5))).toThrow(/header/);
    const response = encodeQuery(1, 'a.test', TYPE_A);
    response[2]! |= 0x80;
    expect(() => parseQuery(response)).toThrow(/response/);
    const two = encodeQuery(1, 'a.test', TYPE_A);
    two.writeUInt16BE(2, 4);
    expect(() => parseQuery(two)).toThrow(/one question/);
    expect(() => parseQuery(encodeQuery(1, 'a.test', TYPE_A).subarray(0, 16))).toThrow();
  });

  it('reads an answer: rcode, truncation, every TTL but the OPT record’s, the SOA minimum', () => {
    const q = encodeQuery(7, 'a.test', TYPE_A);
    const a = parseAnswer(answer(q, [300, 60], 3, 30));
    expect(a.rcode).toBe(3);
    expect(a.truncated).toBe(false);
    expect(a.ttls.map((t) => t.ttl)).toEqual([300, 60, 3600]);
    expect(a.soaMinimum).toBe(30);
    expect(a.question).toEqual({ name: 'a.test', type: 1, class: 1 });
  });

  it('makes replies: an error with the question, a truncated one, authoritative addresses', () => {
    const q = parseQuery(encodeQuery(9, 'a.test', TYPE_A));
    const err = parseAnswer(errorReply(q, RCODE_SERVFAIL));
    expect([err.rcode, err.answerCount, err.question?.name]).toEqual([RCODE_SERVFAIL, 0, 'a.test']);
    const tc = parseAnswer(truncatedReply(q, answer(encodeQuery(9, 'a.test', TYPE_A), [300])));
    expect([tc.truncated, tc.answerCount]).toEqual([true, 0]);
    const reply = addressReply(q, [Buffer.from([10, 5, 0, 2])], 10);
    expect(reply.readUInt16BE(2) & 0x0400).toBe(0x0400);
    expect(parseAnswer(reply).ttls.map((t) => t.ttl)).toEqual([10]);
    expect([...reply.subarray(reply.length - 4)]).toEqual([10, 5, 0, 2]);
  });
});

describe('host DNS cache', () => {
  it('answers with the asker’s ID and the TTL that is left, until the smallest runs out', () => {
    let now = 1_000_000;
    const cache = new DnsCache(() => now);
    const q = parseQuery(encodeQuery(1, 'a.test', TYPE_A));
    cache.put(q, answer(encodeQuery(1, 'a.test', TYPE_A), [300, 60]));
    now += 20_500;
    const hit = cache.get(parseQuery(encodeQuery(42, 'A.TEST', TYPE_A)))!;
    expect(hit.readUInt16BE(0)).toBe(42);
    // no record outlives the entry (kept by its smallest TTL), as CoreDNS' cache answers
    expect(parseAnswer(hit).ttls.map((t) => t.ttl)).toEqual([40, 40]);
    now += 40_000;
    expect(cache.get(q)).toBeUndefined();
  });

  it('keeps NXDOMAIN and empty answers at most 10 s, and nothing for SERVFAIL or a truncated answer', () => {
    let now = 0;
    const cache = new DnsCache(() => now);
    const q = parseQuery(encodeQuery(1, 'n.test', TYPE_A));
    cache.put(q, answer(encodeQuery(1, 'n.test', TYPE_A), [], 3, 3600));
    now += 9_000;
    expect(cache.get(q)).toBeDefined();
    now += 1_000;
    expect(cache.get(q)).toBeUndefined();
    cache.put(q, answer(encodeQuery(1, 'n.test', TYPE_A), [300], RCODE_SERVFAIL));
    expect(cache.get(q)).toBeUndefined();
    const tc = answer(encodeQuery(1, 'n.test', TYPE_A), [300]);
    tc.writeUInt16BE(tc.readUInt16BE(2) | 0x0200, 2);
    cache.put(q, tc);
    expect(cache.get(q)).toBeUndefined();
  });

  it('keeps a question without recursion desired apart (an empty answer to it is no answer to the others)', () => {
    const cache = new DnsCache(() => 0);
    const norec = encodeQuery(1, 'a.test', TYPE_A);
    norec.writeUInt16BE(0, 2);
    cache.put(parseQuery(norec), answer(encodeQuery(1, 'a.test', TYPE_A), []));
    expect(cache.get(parseQuery(norec))).toBeDefined();
    expect(cache.get(parseQuery(encodeQuery(1, 'a.test', TYPE_A)))).toBeUndefined();
  });

  it('takes any TTL an upstream sends (up to 2^32 - 1) without failing, and caps what it hands out', () => {
    let now = 0;
    const cache = new DnsCache(() => now);
    const q = parseQuery(encodeQuery(1, 'a.test', TYPE_A));
    cache.put(q, answer(encodeQuery(1, 'a.test', TYPE_A), [0xffffffff]));
    now += 2000;
    expect(parseAnswer(cache.get(q)!).ttls[0]!.ttl).toBe(3600 - 2);
  });

  it('caps the bytes it holds: the oldest answers go first', () => {
    const ask = (name: string) => parseQuery(encodeQuery(1, name, TYPE_A));
    const one = answer(encodeQuery(1, 'a.test', TYPE_A), [300]).length;
    const cache = new DnsCache(() => 0, 100, one * 2);
    for (const n of ['a.test', 'b.test', 'c.test']) cache.put(ask(n), answer(encodeQuery(1, n, TYPE_A), [300]));
    expect(cache.size).toBe(2);
    expect(cache.get(ask('a.test'))).toBeUndefined();
    expect(cache.get(ask('c.test'))).toBeDefined();
  });

  it('keeps a DNSSEC-OK question apart, and drops the least recently used when full', () => {
    const cache = new DnsCache(() => 0, 2);
    const ask = (name: string) => parseQuery(encodeQuery(1, name, TYPE_A));
    for (const n of ['a.test', 'b.test']) cache.put(ask(n), answer(encodeQuery(1, n, TYPE_A), [300]));
    const withDo = Buffer.concat([encodeQuery(1, 'a.test', TYPE_A), Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0])]);
    withDo.writeUInt16BE(1, 10);
    expect(cache.get(parseQuery(withDo))).toBeUndefined();
    expect(cache.get(ask('a.test'))).toBeDefined();
    cache.put(ask('c.test'), answer(encodeQuery(1, 'c.test', TYPE_A), [300]));
    expect(cache.get(ask('b.test'))).toBeUndefined();
    expect(cache.get(ask('a.test'))).toBeDefined();
    expect(cache.size).toBe(2);
  });
});
