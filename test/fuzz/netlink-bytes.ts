// Netlink bytes for the fuzzer: a small model of messages and attributes that
// serialises with the positions of every header, and mutations that aim at
// those headers (lengths, types, flags) as well as at random bytes, so that
// mutated input stays close enough to valid to reach deep into the decoders.
import fc from 'fast-check';

/** Host byte order, as netlink uses it. */
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type AttrNode = { type: number; value: Uint8Array } | { type: number; children: AttrNode[] };

export interface MessageModel {
  type: number;
  flags: number;
  seq: number;
  portId: number;
  /** The fixed family header (ifinfomsg, rtmsg, genlmsghdr…), already padded or not. */
  header: Uint8Array;
  attrs: AttrNode[];
}

/** Where the headers are in a serialised buffer: mutations aim there. */
export interface Layout {
  messages: number[];
  attrs: number[];
}

export function u16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v & 0xffff, LE);
  return b;
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, LE);
  return b;
}

export function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), LE);
  return b;
}

export function be16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v & 0xffff, false);
  return b;
}

export function cstring(s: string): Uint8Array {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

const pad4 = (n: number): number => (n + 3) & ~3;

class Out {
  buf = Buffer.alloc(256);
  len = 0;
  readonly layout: Layout = { messages: [], attrs: [] };

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  pad(): void {
    const to = pad4(this.len);
    this.ensure(to - this.len);
    this.buf.fill(0, this.len, to);
    this.len = to;
  }

  u16At(at: number, v: number): void {
    if (LE) this.buf.writeUInt16LE(v & 0xffff, at);
    else this.buf.writeUInt16BE(v & 0xffff, at);
  }

  u32At(at: number, v: number): void {
    if (LE) this.buf.writeUInt32LE(v >>> 0, at);
    else this.buf.writeUInt32BE(v >>> 0, at);
  }

  attrs(nodes: readonly AttrNode[]): void {
    for (const n of nodes) {
      const start = this.len;
      this.layout.attrs.push(start);
      this.bytes(new Uint8Array(4));
      if ('children' in n) {
        this.attrs(n.children);
        this.u16At(start + 2, n.type | 0x8000);
      } else {
        this.bytes(n.value);
        this.u16At(start + 2, n.type);
      }
      // a length over 0xffff does not fit: it wraps, which is one more malformation
      this.u16At(start, this.len - start);
      this.pad();
    }
  }
}

/** Serialises messages back to back (each padded to 4 bytes), with the positions of all headers. */
export function serialize(messages: readonly MessageModel[]): { bytes: Buffer; layout: Layout } {
  const out = new Out();
  for (const m of messages) {
    const start = out.len;
    out.layout.messages.push(start);
    out.bytes(new Uint8Array(16));
    out.bytes(m.header);
    out.pad();
    out.attrs(m.attrs);
    out.u32At(start, out.len - start);
    out.u16At(start + 4, m.type);
    out.u16At(start + 6, m.flags);
    out.u32At(start + 8, m.seq);
    out.u32At(start + 12, m.portId);
  }
  return { bytes: Buffer.from(out.buf.subarray(0, out.len)), layout: out.layout };
}

/**
 * The headers of bytes recorded from a kernel: messages, and attributes after
 * each message's fixed header (`headerLength(type)` bytes), descending into every
 * attribute whose contents parse as attributes.
 */
export function layoutOf(buf: Buffer, headerLength: (type: number) => number): Layout {
  const layout: Layout = { messages: [], attrs: [] };
  const read16 = (at: number) => (LE ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  const read32 = (at: number) => (LE ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const walk = (start: number, end: number, depth: number): boolean => {
    const found: number[] = [];
    let pos = start;
    while (pos + 4 <= end) {
      const len = read16(pos);
      if (len < 4 || pos + len > end) return false;
      found.push(pos);
      pos += pad4(len);
    }
    if (pos < end && pos + 4 <= end) return false;
    for (const at of found) {
      layout.attrs.push(at);
      const len = read16(at);
      if (depth < 6 && len > 8) walk(at + 4, at + len, depth + 1);
    }
    return true;
  };
  for (let pos = 0; pos + 16 <= buf.length; ) {
    const len = read32(pos);
    if (len < 16 || pos + len > buf.length) break;
    layout.messages.push(pos);
    walk(pos + 16 + pad4(headerLength(read16(pos + 4))), pos + len, 0);
    pos += pad4(len);
  }
  return layout;
}

export type Mutation =
  | { op: 'attr-len' | 'msg-len'; pick: number; how: number; value: number }
  | { op: 'attr-type' | 'msg-type' | 'msg-flags'; pick: number; value: number }
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate-attr'; pick: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('attr-len' as const), pick: fc.nat(), how: fc.nat(7), value: fc.nat(0xffff) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('msg-len' as const), pick: fc.nat(), how: fc.nat(7), value: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('attr-type' as const), pick: fc.nat(), value: fc.oneof(fc.nat(40), fc.nat(0xffff)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('msg-type' as const), pick: fc.nat(), value: fc.oneof(fc.constantFrom(1, 2, 3, 4, 16, 17, 20, 21, 24, 25), fc.nat(0xffff)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('msg-flags' as const), pick: fc.nat(), value: fc.oneof(fc.constantFrom(0, 0x2, 0x10, 0x12, 0x100, 0x200, 0x300), fc.nat(0xffff)) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate-attr' as const), pick: fc.nat() }) },
);

/** A new length from the old one: off by a little, zero, too short for a header, the maximum, or anything. */
function newLength(old: number, how: number, value: number, max: number): number {
  switch (how) {
    case 0:
      return 0;
    case 1:
      return value % 4; // shorter than an attribute header
    case 2:
      return old + 1 + (value % 8);
    case 3:
      return Math.max(0, old - 1 - (value % 8));
    case 4:
      return max;
    case 5:
      return old + 4 * (1 + (value % 4));
    default:
      return value % (max + 1);
  }
}

/** Applies mutations in order; each aims at a header of `layout` (positions go stale after inserts, which is fine). */
export function mutate(bytes: Buffer, layout: Layout, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);
  const w16 = (at: number, v: number) => {
    if (at + 2 > b.length) return;
    if (LE) b.writeUInt16LE(v & 0xffff, at);
    else b.writeUInt16BE(v & 0xffff, at);
  };
  const w32 = (at: number, v: number) => {
    if (at + 4 > b.length) return;
    if (LE) b.writeUInt32LE(v >>> 0, at);
    else b.writeUInt32BE(v >>> 0, at);
  };
  const r16 = (at: number) => (at + 2 > b.length ? 0 : LE ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const r32 = (at: number) => (at + 4 > b.length ? 0 : LE ? b.readUInt32LE(at) : b.readUInt32BE(at));
  for (const m of mutations) {
    switch (m.op) {
      case 'attr-len': {
        const at = pick(layout.attrs, m.pick);
        if (at !== undefined) w16(at, newLength(r16(at), m.how, m.value, 0xffff));
        break;
      }
      case 'msg-len': {
        const at = pick(layout.messages, m.pick);
        if (at !== undefined) w32(at, newLength(r32(at), m.how, m.value, m.how === 4 ? 0xffffffff : b.length + 64));
        break;
      }
      case 'attr-type': {
        const at = pick(layout.attrs, m.pick);
        if (at !== undefined) w16(at + 2, m.value);
        break;
      }
      case 'msg-type': {
        const at = pick(layout.messages, m.pick);
        if (at !== undefined) w16(at + 4, m.value);
        break;
      }
      case 'msg-flags': {
        const at = pick(layout.messages, m.pick);
        if (at !== undefined) w16(at + 6, m.value);
        break;
      }
      case 'flip':
        if (b.length > 0) b[m.at % b.length] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, m.at % (b.length + 1));
        break;
      case 'insert': {
        const at = m.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = m.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      }
      case 'duplicate-attr': {
        const at = pick(layout.attrs, m.pick);
        if (at === undefined) break;
        const len = pad4(Math.max(4, r16(at)));
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
    }
  }
  return b;
}

export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

// ---------------------------------------------------------------------------
// typed attribute schemas: each known attribute type with a value of its kind

export type Field =
  | 'u8'
  | 'u16'
  | 'u32'
  | 's32'
  | 'u64'
  | 'be16'
  | 'ip'
  | 'ip4'
  | 'ip6'
  | 'mac'
  | 'string'
  | 'flag'
  | 'key'
  | { bytes: fc.Arbitrary<Uint8Array> }
  | { nested: Schema }
  /** Nested, each child (of any type) holding the schema's attributes: lists such as WGDEVICE_A_PEERS. */
  | { list: Schema }
  /** A choice of fixed children, e.g. IFLA_LINKINFO whose data depends on the kind. */
  | { children: fc.Arbitrary<AttrNode[]> };

export type Schema = Readonly<Record<number, Field>>;

const SOME_NAMES = ['eth0', 'lo', 'veth0', 'bond0', 'br0', 'wg0', 'vlan100', '', 'a'.repeat(15), 'a'.repeat(300), 'ünï', 'x\u0000y'];

function scalar(field: Exclude<Field, { nested: Schema } | { list: Schema } | { children: fc.Arbitrary<AttrNode[]> }>): fc.Arbitrary<Uint8Array> {
  if (typeof field === 'object') return field.bytes;
  switch (field) {
    case 'u8':
      return fc.nat(255).map((v) => Uint8Array.of(v));
    case 'u16':
      return fc.nat(0xffff).map(u16);
    case 'u32':
      return fc.oneof(fc.nat(10), fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000, 1500, 65535), fc.nat()).map(u32);
    case 's32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((v) => u32(v >>> 0));
    case 'u64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(u64);
    case 'be16':
      return fc.oneof(fc.constantFrom(0x8100, 0x88a8), fc.nat(0xffff)).map(be16);
    case 'ip4':
      return fc.uint8Array({ minLength: 4, maxLength: 4 });
    case 'ip6':
      return fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constant(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1])));
    case 'ip':
      return fc.oneof(scalar('ip4'), scalar('ip6'));
    case 'mac':
      return fc.oneof(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.uint8Array({ maxLength: 32 }));
    case 'string':
      return fc.oneof(fc.constantFrom(...SOME_NAMES), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 })).map(cstring);
    case 'flag':
      return fc.constant(new Uint8Array(0));
    case 'key':
      return fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constant(new Uint8Array(32)));
  }
}

/** A value of the wrong size: the decoders must check lengths, not trust types. */
const wrongSize = fc.oneof(...[0, 1, 2, 3, 5, 7, 15, 17].map((n) => fc.uint8Array({ minLength: n, maxLength: n })), fc.uint8Array({ maxLength: 40 }));

const built = new WeakMap<Schema, Map<string, fc.Arbitrary<AttrNode[]>>>();

/** Attributes of `schema` (mostly well typed, some unknown, misfit or junk nested); built once per shape. */
export function attrsArb(schema: Schema, options: { maxLength?: number; depth?: number } = {}): fc.Arbitrary<AttrNode[]> {
  const depth = options.depth ?? 3;
  const key = `${depth}/${options.maxLength ?? 10}`;
  let cache = built.get(schema);
  if (!cache) built.set(schema, (cache = new Map()));
  let arb = cache.get(key);
  if (!arb) cache.set(key, (arb = makeAttrsArb(schema, depth, options.maxLength ?? 10)));
  return arb;
}

function makeAttrsArb(schema: Schema, depth: number, maxLength: number): fc.Arbitrary<AttrNode[]> {
  const types = Object.keys(schema).map(Number);
  if (types.length === 0) return fc.array(fc.record({ type: fc.nat(32), value: fc.uint8Array({ maxLength: 24 }) }), { maxLength });
  // one arbitrary per type, made now: chain() would build them again for every value
  const known: fc.Arbitrary<AttrNode> = fc.oneof(...types.map((type) => fieldArb(type, schema[type]!, depth)));
  const unknown: fc.Arbitrary<AttrNode> = fc.record({ type: fc.oneof(fc.nat(64), fc.nat(0xffff)), value: fc.uint8Array({ maxLength: 24 }) });
  const misfit: fc.Arbitrary<AttrNode> = fc.record({ type: fc.constantFrom(...types), value: wrongSize });
  const nestedJunk: fc.Arbitrary<AttrNode> = fc.record({
    type: fc.constantFrom(...types),
    children: fc.array(fc.record({ type: fc.nat(16), value: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 3 }),
  });
  return fc.array(
    fc.oneof({ weight: 30, arbitrary: known }, { weight: 2, arbitrary: unknown }, { weight: 1, arbitrary: misfit }, { weight: 1, arbitrary: nestedJunk }),
    { maxLength },
  );
}

export function fieldArb(type: number, field: Field, depth: number): fc.Arbitrary<AttrNode> {
  if (typeof field === 'object' && 'nested' in field) {
    if (depth <= 0) return fc.constant({ type, children: [] });
    return attrsArb(field.nested, { maxLength: 6, depth: depth - 1 }).map((children) => ({ type, children }));
  }
  if (typeof field === 'object' && 'list' in field) {
    if (depth <= 0) return fc.constant({ type, children: [] });
    const item = fc.tuple(fc.nat(8), attrsArb(field.list, { maxLength: 6, depth: depth - 1 })).map(([t, children]): AttrNode => ({ type: t, children }));
    return fc.array(item, { maxLength: 4 }).map((children) => ({ type, children }));
  }
  if (typeof field === 'object' && 'children' in field) return field.children.map((children) => ({ type, children }));
  return scalar(field).map((value) => ({ type, value }));
}

/** Attributes alone (the contents of a nested attribute or a multipath entry). */
export function attrBytes(nodes: readonly AttrNode[]): Buffer {
  const out = new Out();
  out.attrs(nodes);
  return Buffer.from(out.buf.subarray(0, out.len));
}
