// A small etcd v3 client over gRPC (@grpc/grpc-js): the KV, Lease and Watch
// calls the VIP election needs, each unary call with a deadline, streams as
// plain callbacks. No retries and no hidden keepalives: the session decides
// when a lease is proven alive, so every timing is visible to it.
import fs from 'node:fs';
import type * as Grpc from '@grpc/grpc-js';
import {
  decodeDeleteRange,
  decodeHeaderOnly,
  decodeLeaseGrant,
  decodeLeaseKeepAlive,
  decodeRange,
  decodeTxn,
  decodeWatch,
  encodeDeleteRange,
  encodeLeaseGrant,
  encodeLeaseId,
  encodeRange,
  encodeTxn,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type TxnRequest,
  type TxnResponse,
  type WatchResponse,
} from './messages.js';

export interface EtcdEndpoint {
  /** As given, for messages (http://127.0.0.1:2379). */
  url: string;
  /** host:port for gRPC ([v6]:port for IPv6). */
  target: string;
  tls: boolean;
}

/** Client TLS: PEM files, read each time a connection is made (certificates rotate). */
export interface EtcdTlsFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export class EtcdError extends Error {
  constructor(
    readonly endpoint: string,
    /** gRPC status code (14 UNAVAILABLE, 4 DEADLINE_EXCEEDED…), or -1 for errors before a call. */
    readonly code: number,
    message: string,
  ) {
    super(`etcd ${endpoint}: ${message}`);
    this.name = 'EtcdError';
  }
}

/** A bidirectional stream with callbacks; `cancel` ends it without reporting an error. */
export interface EtcdStream<Req> {
  write(req: Req): void;
  cancel(): void;
}

export interface StreamHandlers<Res> {
  data(res: Res): void;
  /** The stream ended (by the server, or an error); not called after cancel(). */
  end(err: Error): void;
}

let grpcModule: typeof Grpc | undefined;

/** @grpc/grpc-js is loaded only when a VIP operator first connects (the daemon stays small without one). */
async function grpc(): Promise<typeof Grpc> {
  grpcModule ??= await import('@grpc/grpc-js');
  return grpcModule;
}

const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  9: 'FAILED_PRECONDITION',
  11: 'OUT_OF_RANGE',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

const identity = (b: Buffer): Buffer => b;

export class EtcdClient {
  private closed = false;

  private constructor(
    private readonly g: typeof Grpc,
    private readonly client: Grpc.Client,
    readonly endpoint: EtcdEndpoint,
  ) {}

  /** A client for one endpoint; the connection is made on the first call. */
  static async open(endpoint: EtcdEndpoint, tls: EtcdTlsFiles | undefined): Promise<EtcdClient> {
    const g = await grpc();
    let credentials: Grpc.ChannelCredentials;
    if (endpoint.tls) {
      try {
        const read = (f: string | undefined) => (f === undefined ? null : fs.readFileSync(f));
        credentials = g.credentials.createSsl(read(tls?.ca), read(tls?.key), read(tls?.cert));
      } catch (err) {
        throw new EtcdError(endpoint.url, -1, `TLS files: ${(err as Error).message}`);
      }
    } else {
      credentials = g.credentials.createInsecure();
    }
    const client = new g.Client(endpoint.target, credentials, {
      // reconnect quickly once etcd is back; never retry a call behind the session's back
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.enable_retries': 0,
      'grpc.service_config_disable_resolution': 1,
    });
    return new EtcdClient(g, client, endpoint);
  }

  private error(err: Grpc.ServiceError | Error): EtcdError {
    const code = (err as Partial<Grpc.ServiceError>).code;
    if (typeof code === 'number') {
      // grpc-js appends an empty "Resolution note:" to connection errors
      const details = ((err as Grpc.ServiceError).details || err.message).replace(/\s*Resolution note:\s*$/, '');
      return new EtcdError(this.endpoint.url, code, `${STATUS_NAMES[code] ?? `status ${code}`}: ${details}`);
    }
    return new EtcdError(this.endpoint.url, -1, err.message);
  }

  private unary<Res>(method: string, request: Buffer, decode: (b: Buffer) => Res, timeoutMs: number): Promise<Res> {
    if (this.closed) return Promise.reject(new EtcdError(this.endpoint.url, 1, 'client closed'));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(method, identity, identity, request, new this.g.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err || !res) {
          reject(this.error(err ?? new Error('empty response')));
          return;
        }
        try {
          resolve(decode(res));
        } catch (e) {
          reject(new EtcdError(this.endpoint.url, -1, `bad response to ${method}: ${(e as Error).message}`));
        }
      });
    });
  }

  range(r: RangeRequest, timeoutMs: number): Promise<RangeResponse> {
    return this.unary('/etcdserverpb.KV/Range', encodeRange(r), decodeRange, timeoutMs);
  }

  txn(t: TxnRequest, timeoutMs: number): Promise<TxnResponse> {
    return this.unary('/etcdserverpb.KV/Txn', encodeTxn(t), decodeTxn, timeoutMs);
  }

  deleteRange(r: DeleteRangeRequest, timeoutMs: number): Promise<DeleteRangeResponse> {
    return this.unary('/etcdserverpb.KV/DeleteRange', encodeDeleteRange(r), decodeDeleteRange, timeoutMs);
  }

  leaseGrant(ttlSeconds: number, timeoutMs: number): Promise<LeaseGrantResponse> {
    return this.unary('/etcdserverpb.Lease/LeaseGrant', encodeLeaseGrant(ttlSeconds), decodeLeaseGrant, timeoutMs);
  }

  leaseRevoke(id: bigint, timeoutMs: number): Promise<{ header: ResponseHeader }> {
    return this.unary('/etcdserverpb.Lease/LeaseRevoke', encodeLeaseId(id), decodeHeaderOnly, timeoutMs);
  }

  private stream<Res>(method: string, decode: (b: Buffer) => Res, handlers: StreamHandlers<Res>): EtcdStream<Buffer> {
    if (this.closed) throw new EtcdError(this.endpoint.url, 1, 'client closed');
    const call = this.client.makeBidiStreamRequest<Buffer, Buffer>(method, identity, identity, new this.g.Metadata());
    let cancelled = false;
    let ended = false;
    const end = (err: Error) => {
      if (cancelled || ended) return;
      ended = true;
      handlers.end(err);
    };
    call.on('data', (b: Buffer) => {
      if (cancelled || ended) return;
      let res: Res;
      try {
        res = decode(b);
      } catch (e) {
        end(new EtcdError(this.endpoint.url, -1, `bad message on ${method}: ${(e as Error).message}`));
        call.cancel();
        return;
      }
      handlers.data(res);
    });
    call.on('error', (err: Grpc.ServiceError) => end(this.error(err)));
    call.on('end', () => end(new EtcdError(this.endpoint.url, -1, `${method} stream ended`)));
    return {
      write: (req) => {
        if (!cancelled && !ended) call.write(req);
      },
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        call.cancel();
      },
    };
  }

  /** LeaseKeepAlive: write a lease ID, receive its remaining TTL (responses come in request order). */
  keepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): EtcdStream<bigint> {
    const s = this.stream('/etcdserverpb.Lease/LeaseKeepAlive', decodeLeaseKeepAlive, handlers);
    return { write: (id) => s.write(encodeLeaseId(id)), cancel: () => s.cancel() };
  }

  /** Watch: write encoded create/cancel requests (messages.ts), receive events. */
  watch(handlers: StreamHandlers<WatchResponse>): EtcdStream<Buffer> {
    return this.stream('/etcdserverpb.Watch/Watch', decodeWatch, handlers);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}

/** Parses an endpoint URL (http:// or https://, host:port; the port defaults to 2379). */
export function parseEndpoint(text: string): EtcdEndpoint {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`etcd endpoint "${text}": expected a URL such as http://127.0.0.1:2379`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`etcd endpoint "${text}": the scheme must be http or https`);
  if (u.pathname !== '/' && u.pathname !== '') throw new Error(`etcd endpoint "${text}": a path is not allowed`);
  if (u.username || u.password || u.search || u.hash) throw new Error(`etcd endpoint "${text}": only scheme, host and port are allowed`);
  const port = u.port === '' ? '2379' : u.port;
  return { url: text, target: `${u.hostname}:${port}`, tls: u.protocol === 'https:' };
}
