// The protobuf wire format, as far as etcd's API needs it: varints (int64 as
// bigint, bools, enums) and length-delimited fields (bytes, strings, messages).
// proto3: fields at their default value are left out unless `always` is set
// (a oneof member or a message that must be present even when empty).

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export class ProtoWriter {
  private readonly bytes: number[] = [];

  private varintRaw(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  private tag(no: number, wire: number): void {
    this.varintRaw(BigInt((no << 3) | wire));
  }

  /** int64/uint64/enum/bool. */
  varint(no: number, value: bigint | number | boolean, always = false): this {
    const v = typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? Number(value) : value);
    if (v === 0n && !always) return this;
    this.tag(no, WIRE_VARINT);
    this.varintRaw(v);
    return this;
  }

  /** bytes, string or an encoded message. */
  bytesField(no: number, value: Uint8Array | string, always = false): this {
    const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (b.length === 0 && !always) return this;
    this.tag(no, WIRE_LEN);
    this.varintRaw(BigInt(b.length));
    for (const x of b) this.bytes.push(x);
    return this;
  }

  /** A packed repeated varint field. */
  packed(no: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varintRaw(BigInt(v));
    return this.bytesField(no, inner.finish());
  }

  finish(): Buffer {
    return Buffer.from(this.bytes);
  }
}

export type ProtoField = { no: number; varint: bigint; bytes?: undefined } | { no: number; bytes: Buffer; varint?: undefined };

export class ProtoDecodeError extends Error {
  constructor(message: string) {
    super(`protobuf: ${message}`);
    this.name = 'ProtoDecodeError';
  }
}

function readVarint(buf: Buffer, at: { pos: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= buf.length) throw new ProtoDecodeError('truncated varint');
    const b = buf[at.pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    shift += 7n;
  }
  throw new ProtoDecodeError('varint longer than 10 bytes');
}

/** Every field of a message in order (fixed-width fields are skipped: etcd's messages here have none). */
export function fields(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  const at = { pos: 0 };
  while (at.pos < buf.length) {
    const key = readVarint(buf, at);
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    switch (wire) {
      case WIRE_VARINT:
        out.push({ no, varint: readVarint(buf, at) });
        break;
      case WIRE_LEN: {
        const len = Number(readVarint(buf, at));
        if (at.pos + len > buf.length) throw new ProtoDecodeError(`field ${no}: ${len} bytes announced, ${buf.length - at.pos} left`);
        out.push({ no, bytes: buf.subarray(at.pos, at.pos + len) });
        at.pos += len;
        break;
      }
      case WIRE_I64:
        at.pos += 8;
        break;
      case WIRE_I32:
        at.pos += 4;
        break;
      default:
        throw new ProtoDecodeError(`field ${no}: unsupported wire type ${wire}`);
    }
    if (at.pos > buf.length) throw new ProtoDecodeError('truncated fixed-width field');
  }
  return out;
}

/** A varint field as a signed int64. */
export function int64(f: ProtoField): bigint {
  if (f.varint === undefined) throw new ProtoDecodeError(`field ${f.no}: expected a varint`);
  return BigInt.asIntN(64, f.varint);
}

export function bytesOf(f: ProtoField): Buffer {
  if (f.bytes === undefined) throw new ProtoDecodeError(`field ${f.no}: expected bytes`);
  return f.bytes;
}
