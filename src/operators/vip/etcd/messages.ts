// The messages of etcd's v3 API (etcdserverpb, mvccpb) that the VIP election
// uses, with their field numbers from etcd's rpc.proto and kv.proto. int64
// fields are bigints (lease IDs use all 63 bits).
import { ProtoWriter, bytesOf, fields, int64 } from './wire.js';

export interface ResponseHeader {
  clusterId: bigint;
  memberId: bigint;
  revision: bigint;
  raftTerm: bigint;
}

export interface KeyValue {
  key: Buffer;
  createRevision: bigint;
  modRevision: bigint;
  version: bigint;
  value: Buffer;
  lease: bigint;
}

export const SortOrder = { none: 0, ascend: 1, descend: 2 } as const;
export const SortTarget = { key: 0, version: 1, create: 2, mod: 3, value: 4 } as const;

export interface RangeRequest {
  key: Buffer | string;
  rangeEnd?: Buffer | string;
  limit?: number;
  sortOrder?: (typeof SortOrder)[keyof typeof SortOrder];
  sortTarget?: (typeof SortTarget)[keyof typeof SortTarget];
  serializable?: boolean;
  maxCreateRevision?: bigint;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: bigint;
}

export interface PutRequest {
  key: Buffer | string;
  value: Buffer | string;
  lease?: bigint;
}

export interface DeleteRangeRequest {
  key: Buffer | string;
  rangeEnd?: Buffer | string;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: bigint;
}

export const CompareResult = { equal: 0, greater: 1, less: 2, notEqual: 3 } as const;

/** A comparison on one key's create revision, value or lease (the targets the election uses). */
export type Compare = { key: Buffer | string; result: (typeof CompareResult)[keyof typeof CompareResult] } & (
  | { target: 'create'; createRevision: bigint }
  | { target: 'value'; value: Buffer | string }
  | { target: 'lease'; lease: bigint }
);

export type RequestOp = { range: RangeRequest } | { put: PutRequest } | { deleteRange: DeleteRangeRequest };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface ResponseOp {
  range?: RangeResponse;
  put?: { header: ResponseHeader };
  deleteRange?: DeleteRangeResponse;
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: bigint;
  ttl: bigint;
  error: string;
}

export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  id: bigint;
  /** Seconds left; 0 or less: the lease is gone. */
  ttl: bigint;
}

export interface WatchCreateRequest {
  key: Buffer | string;
  rangeEnd?: Buffer | string;
  startRevision?: bigint;
  watchId?: bigint;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
}

export interface WatchResponse {
  header: ResponseHeader;
  watchId: bigint;
  created: boolean;
  canceled: boolean;
  compactRevision: bigint;
  cancelReason: string;
  events: WatchEvent[];
}

// ---------------------------------------------------------------- encoding

export function encodeRange(r: RangeRequest): Buffer {
  return rangeWriter(r).finish();
}

function rangeWriter(r: RangeRequest): ProtoWriter {
  return new ProtoWriter()
    .bytesField(1, r.key)
    .bytesField(2, r.rangeEnd ?? '')
    .varint(3, r.limit ?? 0)
    .varint(5, r.sortOrder ?? 0)
    .varint(6, r.sortTarget ?? 0)
    .varint(7, r.serializable ?? false)
    .varint(13, r.maxCreateRevision ?? 0n);
}

export function encodePut(r: PutRequest): Buffer {
  return new ProtoWriter().bytesField(1, r.key).bytesField(2, r.value).varint(3, r.lease ?? 0n).finish();
}

export function encodeDeleteRange(r: DeleteRangeRequest): Buffer {
  return new ProtoWriter().bytesField(1, r.key).bytesField(2, r.rangeEnd ?? '').finish();
}

const COMPARE_TARGET = { create: 1, value: 3, lease: 4 } as const;

function encodeCompare(c: Compare): Buffer {
  const w = new ProtoWriter().varint(1, c.result).varint(2, COMPARE_TARGET[c.target]).bytesField(3, c.key);
  // oneof target_union: present even at its default value
  if (c.target === 'create') w.varint(5, c.createRevision, true);
  else if (c.target === 'value') w.bytesField(7, c.value, true);
  else w.varint(8, c.lease, true);
  return w.finish();
}

function encodeRequestOp(op: RequestOp): Buffer {
  const w = new ProtoWriter();
  if ('range' in op) w.bytesField(1, encodeRange(op.range), true);
  else if ('put' in op) w.bytesField(2, encodePut(op.put), true);
  else w.bytesField(3, encodeDeleteRange(op.deleteRange), true);
  return w.finish();
}

export function encodeTxn(t: TxnRequest): Buffer {
  const w = new ProtoWriter();
  for (const c of t.compare) w.bytesField(1, encodeCompare(c), true);
  for (const op of t.success) w.bytesField(2, encodeRequestOp(op), true);
  for (const op of t.failure) w.bytesField(3, encodeRequestOp(op), true);
  return w.finish();
}

export function encodeLeaseGrant(ttlSeconds: number): Buffer {
  return new ProtoWriter().varint(1, ttlSeconds).finish();
}

/** LeaseRevokeRequest and LeaseKeepAliveRequest: just the ID. */
export function encodeLeaseId(id: bigint): Buffer {
  return new ProtoWriter().varint(1, id).finish();
}

export function encodeWatchCreate(r: WatchCreateRequest): Buffer {
  const create = new ProtoWriter()
    .bytesField(1, r.key)
    .bytesField(2, r.rangeEnd ?? '')
    .varint(3, r.startRevision ?? 0n)
    .varint(7, r.watchId ?? 0n)
    .finish();
  return new ProtoWriter().bytesField(1, create, true).finish();
}

export function encodeWatchCancel(watchId: bigint): Buffer {
  return new ProtoWriter().bytesField(2, new ProtoWriter().varint(1, watchId).finish(), true).finish();
}

// ---------------------------------------------------------------- decoding

const EMPTY = Buffer.alloc(0);

export function decodeHeader(buf: Buffer): ResponseHeader {
  const h: ResponseHeader = { clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n };
  for (const f of fields(buf)) {
    if (f.no === 1) h.clusterId = f.varint ?? 0n;
    else if (f.no === 2) h.memberId = f.varint ?? 0n;
    else if (f.no === 3) h.revision = int64(f);
    else if (f.no === 4) h.raftTerm = f.varint ?? 0n;
  }
  return h;
}

function emptyHeader(): ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n };
}

export function decodeKeyValue(buf: Buffer): KeyValue {
  const kv: KeyValue = { key: EMPTY, createRevision: 0n, modRevision: 0n, version: 0n, value: EMPTY, lease: 0n };
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        kv.key = bytesOf(f);
        break;
      case 2:
        kv.createRevision = int64(f);
        break;
      case 3:
        kv.modRevision = int64(f);
        break;
      case 4:
        kv.version = int64(f);
        break;
      case 5:
        kv.value = bytesOf(f);
        break;
      case 6:
        kv.lease = int64(f);
        break;
    }
  }
  return kv;
}

export function decodeRange(buf: Buffer): RangeResponse {
  const r: RangeResponse = { header: emptyHeader(), kvs: [], more: false, count: 0n };
  for (const f of fields(buf)) {
    if (f.no === 1) r.header = decodeHeader(bytesOf(f));
    else if (f.no === 2) r.kvs.push(decodeKeyValue(bytesOf(f)));
    else if (f.no === 3) r.more = f.varint !== 0n;
    else if (f.no === 4) r.count = int64(f);
  }
  return r;
}

/** PutResponse and LeaseRevokeResponse: the header is all the election reads. */
export function decodeHeaderOnly(buf: Buffer): { header: ResponseHeader } {
  let header = emptyHeader();
  for (const f of fields(buf)) if (f.no === 1) header = decodeHeader(bytesOf(f));
  return { header };
}

export function decodeDeleteRange(buf: Buffer): DeleteRangeResponse {
  const r: DeleteRangeResponse = { header: emptyHeader(), deleted: 0n };
  for (const f of fields(buf)) {
    if (f.no === 1) r.header = decodeHeader(bytesOf(f));
    else if (f.no === 2) r.deleted = int64(f);
  }
  return r;
}

function decodeResponseOp(buf: Buffer): ResponseOp {
  const op: ResponseOp = {};
  for (const f of fields(buf)) {
    if (f.no === 1) op.range = decodeRange(bytesOf(f));
    else if (f.no === 2) op.put = decodeHeaderOnly(bytesOf(f));
    else if (f.no === 3) op.deleteRange = decodeDeleteRange(bytesOf(f));
  }
  return op;
}

export function decodeTxn(buf: Buffer): TxnResponse {
  const r: TxnResponse = { header: emptyHeader(), succeeded: false, responses: [] };
  for (const f of fields(buf)) {
    if (f.no === 1) r.header = decodeHeader(bytesOf(f));
    else if (f.no === 2) r.succeeded = f.varint !== 0n;
    else if (f.no === 3) r.responses.push(decodeResponseOp(bytesOf(f)));
  }
  return r;
}

export function decodeLeaseGrant(buf: Buffer): LeaseGrantResponse {
  const r: LeaseGrantResponse = { header: emptyHeader(), id: 0n, ttl: 0n, error: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) r.header = decodeHeader(bytesOf(f));
    else if (f.no === 2) r.id = int64(f);
    else if (f.no === 3) r.ttl = int64(f);
    else if (f.no === 4) r.error = bytesOf(f).toString('utf8');
  }
  return r;
}

export function decodeLeaseKeepAlive(buf: Buffer): LeaseKeepAliveResponse {
  const r: LeaseKeepAliveResponse = { header: emptyHeader(), id: 0n, ttl: 0n };
  for (const f of fields(buf)) {
    if (f.no === 1) r.header = decodeHeader(bytesOf(f));
    else if (f.no === 2) r.id = int64(f);
    else if (f.no === 3) r.ttl = int64(f);
  }
  return r;
}

function decodeEvent(buf: Buffer): WatchEvent {
  const e: WatchEvent = { type: 'put', kv: decodeKeyValue(EMPTY) };
  for (const f of fields(buf)) {
    if (f.no === 1) e.type = f.varint === 1n ? 'delete' : 'put';
    else if (f.no === 2) e.kv = decodeKeyValue(bytesOf(f));
  }
  return e;
}

export function decodeWatch(buf: Buffer): WatchResponse {
  const r: WatchResponse = { header: emptyHeader(), watchId: 0n, created: false, canceled: false, compactRevision: 0n, cancelReason: '', events: [] };
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        r.header = decodeHeader(bytesOf(f));
        break;
      case 2:
        r.watchId = int64(f);
        break;
      case 3:
        r.created = f.varint !== 0n;
        break;
      case 4:
        r.canceled = f.varint !== 0n;
        break;
      case 5:
        r.compactRevision = int64(f);
        break;
      case 6:
        r.cancelReason = bytesOf(f).toString('utf8');
        break;
      case 11:
        r.events.push(decodeEvent(bytesOf(f)));
        break;
    }
  }
  return r;
}

/** The end of the range of keys that start with `prefix` (etcd's clientv3.GetPrefixRangeEnd). */
export function prefixEnd(prefix: string | Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  // all 0xff: every key from prefix on
  return Buffer.from([0]);
}
