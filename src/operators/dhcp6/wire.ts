// Bounds-checked reading of DHCPv6 bytes and DNS wire-format names (RFC 1035
// §3.1 without compression, as RFC 8415 §10 requires). Every malformed input
// ends in a Dhcp6DecodeError, never a RangeError or a loop.

/** The bytes are not a well-formed DHCPv6 message or option. */
export class Dhcp6DecodeError extends Error {
  override readonly name = 'Dhcp6DecodeError';
}

/** A value cannot be put on the wire (a label too long, a number out of range…). */
export class Dhcp6EncodeError extends Error {
  override readonly name = 'Dhcp6EncodeError';
}

/** Reads big-endian fields from a byte range, throwing Dhcp6DecodeError past its end. */
export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
    private readonly what = 'data',
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    if (n > this.remaining) throw new Dhcp6DecodeError(`${this.what}: truncated (need ${n} bytes, have ${this.remaining})`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.need(1));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }

  u24(): number {
    return this.buf.readUIntBE(this.need(3), 3);
  }

  u32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }

  bytes(n: number): Buffer {
    const at = this.need(n);
    return Buffer.from(this.buf.subarray(at, at + n));
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

const MAX_NAME_OCTETS = 255;
const MAX_LABEL_OCTETS = 63;
// Names end up in resolv.conf and the hostname: only letters, digits, '-' and
// '_' are accepted, so a server cannot smuggle spaces, newlines or dots inside a label.
const LABEL_CHARS = /^[A-Za-z0-9_-]+$/;

export interface DecodedName {
  name: string;
  /** The name ended without its zero-length root label (a partial name, RFC 4704 §4.2). */
  partial: boolean;
}

/**
 * Reads one name at `r`. A zero octet ends it; when `allowPartial` is set, the
 * end of the data may end it too.
 */
export function readName(r: Reader, allowPartial: boolean): DecodedName {
  const labels: string[] = [];
  let octets = 0;
  for (;;) {
    if (r.remaining === 0) {
      if (!allowPartial || labels.length === 0) throw new Dhcp6DecodeError('domain name: missing terminating zero octet');
      return { name: labels.join('.'), partial: true };
    }
    const len = r.u8();
    octets += 1 + len;
    if (octets > MAX_NAME_OCTETS) throw new Dhcp6DecodeError('domain name: longer than 255 octets');
    if (len === 0) return { name: labels.join('.'), partial: false };
    if (len > MAX_LABEL_OCTETS) throw new Dhcp6DecodeError(`domain name: label length ${len} (compression is not allowed in DHCPv6)`);
    const label = r.bytes(len).toString('latin1');
    if (!LABEL_CHARS.test(label)) throw new Dhcp6DecodeError(`domain name: label ${JSON.stringify(label)} has characters other than letters, digits, '-' and '_'`);
    labels.push(label);
  }
}

/** Wire form of a name ("a.example.com", trailing dot optional); `partial` leaves off the root label. */
export function encodeName(name: string, partial = false): Buffer {
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = text === '' ? [] : text.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_OCTETS || !LABEL_CHARS.test(label)) {
      throw new Dhcp6EncodeError(`domain name ${JSON.stringify(name)}: invalid label ${JSON.stringify(label)}`);
    }
    parts.push(Buffer.from([label.length]), Buffer.from(label, 'latin1'));
  }
  if (!partial) parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > MAX_NAME_OCTETS) throw new Dhcp6EncodeError(`domain name ${JSON.stringify(name)}: longer than 255 octets`);
  return out;
}
