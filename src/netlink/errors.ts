// Typed netlink errors: a kernel error with errno and extended ack, a decode
// error for malformed bytes, and an overrun (ENOBUFS) that calls for a re-list.
import os from 'node:os';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(os.constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export function errnoNumber(code: string): number | undefined {
  return (os.constants.errno as Record<string, number | undefined>)[code];
}

export interface ExtendedAck {
  /** NLMSGERR_ATTR_MSG: the kernel's human-readable explanation. */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in our request. */
  offset?: number;
  /** NLMSGERR_ATTR_MISS_TYPE: a required attribute that was missing. */
  missingType?: number;
  /** NLMSGERR_ATTR_COOKIE */
  cookie?: Buffer;
}

export interface NetlinkErrorDetails {
  errno: number;
  extack?: ExtendedAck;
  /** What we were doing, e.g. "add route 10.0.0.0/8 via 192.0.2.1". */
  operation?: string;
  /** Name of the attribute at extack.offset, resolved against our request. */
  attribute?: string;
  seq?: number;
}

/** The kernel refused a request (NLMSG_ERROR with a negative error). */
export class NetlinkError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly extack: ExtendedAck | undefined;
  readonly operation: string | undefined;
  readonly attribute: string | undefined;
  readonly seq: number | undefined;

  constructor(details: NetlinkErrorDetails) {
    const code = errnoName(details.errno);
    const parts: string[] = [];
    if (details.operation) parts.push(details.operation);
    let reason = details.extack?.message ?? describeErrno(details.errno);
    if (details.attribute) reason += ` (attribute ${details.attribute})`;
    parts.push(`${reason} [${code}]`);
    super(parts.join(': '));
    this.name = 'NetlinkError';
    this.errno = details.errno;
    this.code = code;
    this.extack = details.extack;
    this.operation = details.operation;
    this.attribute = details.attribute;
    this.seq = details.seq;
  }

  /** The same error with the operation that failed. */
  withOperation(operation: string, attribute?: string): NetlinkError {
    const details: NetlinkErrorDetails = { errno: this.errno, operation };
    if (this.extack) details.extack = this.extack;
    const attr = attribute ?? this.attribute;
    if (attr) details.attribute = attr;
    if (this.seq !== undefined) details.seq = this.seq;
    return new NetlinkError(details);
  }
}

const errnoText: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process (no such object)',
  EEXIST: 'object already exists',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
  ENETUNREACH: 'network is unreachable',
  ENETDOWN: 'network is down',
  EADDRNOTAVAIL: 'address not available',
  EOPNOTSUPP: 'operation not supported',
  EBUSY: 'device or resource busy',
  ENOBUFS: 'no buffer space available',
  ERANGE: 'result out of range',
  ENOTSUP: 'operation not supported',
  ETIMEDOUT: 'timed out',
  EMSGSIZE: 'message too long',
  EPROTO: 'protocol error',
};

export function describeErrno(errno: number): string {
  return errnoText[errnoName(errno)] ?? `error ${errno}`;
}

/** Bytes that do not form valid netlink messages or attributes. */
export class NetlinkDecodeError extends Error {
  readonly offset: number;
  /** What the problem is, without the offset or the operation. */
  readonly detail: string;
  /** The request whose reply was malformed, e.g. "list routes" (set by the connection). */
  readonly operation: string | undefined;

  constructor(detail: string, offset: number, operation?: string, options?: { cause?: unknown }) {
    super(`${operation ? `${operation}: ` : ''}malformed netlink data at byte ${offset}: ${detail}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'NetlinkDecodeError';
    this.offset = offset;
    this.detail = detail;
    this.operation = operation;
  }

  /** The same error, naming the request it belongs to. */
  withOperation(operation: string): NetlinkDecodeError {
    return new NetlinkDecodeError(this.detail, this.offset, operation, { cause: this.cause ?? this });
  }
}

/** The kernel dropped messages for us (ENOBUFS): results are unknown, re-list. */
export class NetlinkOverrunError extends Error {
  constructor(what: string) {
    super(`netlink receive buffer overrun (ENOBUFS) during ${what}; state must be re-listed`);
    this.name = 'NetlinkOverrunError';
  }
}

/** A dump kept being interrupted (NLM_F_DUMP_INTR) by concurrent changes. */
export class DumpInterruptedError extends Error {
  constructor(what: string, attempts: number) {
    super(`${what}: dump interrupted by concurrent changes ${attempts} times in a row`);
    this.name = 'DumpInterruptedError';
  }
}

/** A kernel error with one of these codes; compared by number, so an alias matches too (EOPNOTSUPP is ENOTSUP). */
export function isNetlinkErrno(err: unknown, ...codes: string[]): err is NetlinkError {
  return err instanceof NetlinkError && codes.some((c) => c === err.code || errnoNumber(c) === err.errno);
}
