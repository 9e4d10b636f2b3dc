// The self-hostable discovery server: the Cluster gRPC API (§1) over the state
// of state.ts, h2c and TLS on one port, periodic atomic snapshots, GC, metrics.
// It only ever holds what clients encrypted; it has no key.
import fs from 'node:fs';
import net from 'node:net';
import type http from 'node:http';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { WatchResponseCodec, type AffiliateDeleteRequest, type AffiliateUpdateRequest, type ClusterRequest, type Empty, type HelloRequest, type HelloResponse, type ListResponse } from '../discovery/messages.js';
import { ClusterService } from '../discovery/service.js';
import type { Logger } from '../log.js';
import { clientIP, versionLabel, type ClientIPOptions } from './client-ip.js';
import { IPRateLimiter, RateLimitExceeded } from './limiter.js';
import { Metrics, serveMetrics } from './metrics.js';
import { loadSnapshot, writeSnapshot } from './snapshot.js';
import { State, StateError, validateClusterId, type Cluster, type Notification } from './state.js';
import { WatchQueue } from './watch.js';
import { monotonicMs } from '../util/clock.js';

export interface ServerOptions extends ClientIPOptions {
  /** host:port to listen on (gRPC, h2c and TLS). */
  addr: string;
  tls?: { certFile: string; keyFile: string } | undefined;
  /** Every Hello answers with a redirect to this host:port. */
  redirectEndpoint?: string | undefined;
  snapshotPath?: string | undefined;
  snapshotIntervalMs: number;
  gcIntervalMs: number;
  metricsAddr?: string | undefined;
  /** Per-IP requests/s and burst; false: no limit. */
  rateLimit: { perSecond: number; burst: number } | false;
  log: Logger;
}

export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`invalid address ${JSON.stringify(addr)}: expected HOST:PORT`);
  return { host: m[1] ?? m[2] ?? '', port: Number(m[3]) };
}

const CODES: Record<StateError['code'], status> = { InvalidArgument: status.INVALID_ARGUMENT, ResourceExhausted: status.RESOURCE_EXHAUSTED };

function grpcError(err: unknown): Partial<ServiceError> {
  if (err instanceof StateError) return { code: CODES[err.code], details: err.message };
  if (err instanceof RateLimitExceeded) return { code: status.RESOURCE_EXHAUSTED, details: err.message };
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

const ttlMs = (r: AffiliateUpdateRequest) => (r.ttl ? r.ttl.seconds * 1000 + Math.floor((r.ttl.nanos ?? 0) / 1e6) : 0);

function encodeNotification(n: Notification): Buffer {
  n.encoded ??= n.affiliate
    ? WatchResponseCodec.encode({ affiliates: [n.affiliate], deleted: false })
    : WatchResponseCodec.encode({ affiliates: [{ id: n.id, data: Buffer.alloc(0), endpoints: [] }], deleted: true });
  return n.encoded;
}

export class DiscoveryServer {
  readonly state = new State();
  readonly metrics = new Metrics();
  private readonly grpc = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private readonly limiter: IPRateLimiter | undefined;
  private readonly watches = new Set<WatchQueue & { end(): void }>();
  private readonly snapshots = new WeakMap<Cluster, { version: number; message: Buffer }>();
  private listener: net.Server | undefined;
  private metricsServer: http.Server | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;

  private constructor(private readonly o: ServerOptions) {
    this.log = o.log;
    this.limiter = o.rateLimit ? new IPRateLimiter(o.rateLimit.perSecond, o.rateLimit.burst) : undefined;
  }

  static async start(o: ServerOptions): Promise<DiscoveryServer> {
    const s = new DiscoveryServer(o);
    s.load();
    s.grpc.addService(ClusterService, s.handlers());
    await s.listen();
    s.timers.push(setInterval(() => s.collect(), o.gcIntervalMs));
    if (o.snapshotPath) s.timers.push(setInterval(() => s.save(), o.snapshotIntervalMs));
    if (o.metricsAddr) {
      const m = splitHostPort(o.metricsAddr);
      s.metricsServer = await serveMetrics(m.host, m.port, () => s.metrics.text(s.state.counts()));
    }
    return s;
  }

  /** The bound address (port 0 picks one). */
  address(): net.AddressInfo {
    return this.listener!.address() as net.AddressInfo;
  }

  private load(): void {
    const file = this.o.snapshotPath;
    if (!file || !fs.existsSync(file)) return;
    const started = monotonicMs();
    try {
      const stats = loadSnapshot(fs.readFileSync(file), this.state, Date.now());
      this.metrics.inc('discovery_storage_operations_total', { operation: 'load', status: 'success' });
      this.log.info({ ...stats, ms: Math.round(monotonicMs() - started) }, 'snapshot loaded');
    } catch (err) {
      this.metrics.inc('discovery_storage_operations_total', { operation: 'load', status: 'error' });
      this.log.warn({ file, err: (err as Error).message }, 'snapshot not loaded');
    }
  }

  /** Writes a snapshot now (also on a timer and at stop). */
  save(): void {
    const file = this.o.snapshotPath;
    if (!file) return;
    const started = monotonicMs();
    try {
      const stats = writeSnapshot(file, this.state, Date.now());
      const seconds = (monotonicMs() - started) / 1000;
      this.metrics.inc('discovery_storage_operations_total', { operation: 'save', status: 'success' });
      this.metrics.set('discovery_storage_last_snapshot_size_bytes', stats.bytes, { operation: 'save' });
      this.metrics.set('discovery_storage_last_operation_affiliates', stats.affiliates, { operation: 'save' });
      this.metrics.set('discovery_storage_last_operation_duration_seconds', seconds, { operation: 'save' });
      this.log.debug({ ...stats, ms: Math.round(seconds * 1000) }, 'snapshot saved');
    } catch (err) {
      this.metrics.inc('discovery_storage_operations_total', { operation: 'save', status: 'error' });
      this.log.warn({ file, err: (err as Error).message }, 'snapshot not saved');
    }
  }

  collect(): void {
    const r = this.state.collect(Date.now());
    this.metrics.inc('discovery_state_gc_runs_total');
    this.metrics.inc('discovery_state_gc_affiliates_total', {}, r.affiliates);
    this.metrics.inc('discovery_state_gc_clusters_total', {}, r.clusters);
    const fields = { removedAffiliates: r.affiliates, removedClusters: r.clusters, ...this.state.counts() };
    if (r.affiliates > 0 || r.clusters > 0) this.log.info(fields, 'garbage collection');
    else this.log.debug(fields, 'garbage collection');
  }

  private ip(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>) {
    return clientIP(call.metadata, call.getPeer(), this.o);
  }

  private async limit(ip: string, deadline: Date | number): Promise<void> {
    if (!this.limiter) return;
    const d = deadline instanceof Date ? deadline.getTime() : deadline;
    await this.limiter.wait(ip, Number.isFinite(d) ? d : Infinity);
  }

  /** A unary handler: rate limited by client IP, state errors mapped to gRPC codes. */
  private unary<Req, Res>(fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      this.limit(this.ip(call as ServerUnaryCall<unknown, unknown>).text, call.getDeadline())
        .then(() => callback(null, fn(call.request, call)))
        .catch((err: unknown) => callback(grpcError(err)));
    };
  }

  private handlers(): UntypedServiceImplementation {
    return {
      Hello: this.unary<HelloRequest, HelloResponse>((req, call) => {
        validateClusterId(req.clusterId);
        this.metrics.inc('discovery_server_hello_requests_total', { client_version: versionLabel(req.clientVersion) });
        const ip = this.ip(call as ServerUnaryCall<unknown, unknown>);
        return { clientIp: ip.bytes, ...(this.o.redirectEndpoint ? { redirect: { endpoint: this.o.redirectEndpoint } } : {}) };
      }),
      AffiliateUpdate: this.unary<AffiliateUpdateRequest, Empty>((req) => {
        this.state.cluster(req.clusterId).update(
          { affiliateId: req.affiliateId, data: Buffer.from(req.affiliateData ?? []), endpoints: req.affiliateEndpoints.map((e) => Buffer.from(e)), ttlMs: ttlMs(req) },
          Date.now(),
        );
        return {};
      }),
      AffiliateDelete: this.unary<AffiliateDeleteRequest, Empty>((req) => {
        this.state.cluster(req.clusterId).delete(req.affiliateId);
        return {};
      }),
      List: this.unary<ClusterRequest, ListResponse>((req) => ({ affiliates: this.state.cluster(req.clusterId).list() })),
      Watch: (call: ServerWritableStream<ClusterRequest, Buffer>) => void this.watch(call),
    };
  }

  private async watch(call: ServerWritableStream<ClusterRequest, Buffer>): Promise<void> {
    const fail = (err: unknown) => call.emit('error', grpcError(err));
    let cancelled = false;
    call.once('cancelled', () => (cancelled = true));
    try {
      await this.limit(this.ip(call as ServerWritableStream<unknown, unknown>).text, call.getDeadline());
    } catch (err) {
      fail(err);
      return;
    }
    if (cancelled) return;
    let cluster: Cluster;
    try {
      cluster = this.state.cluster(call.request.clusterId);
    } catch (err) {
      fail(err);
      return;
    }
    const queue = Object.assign(
      new WatchQueue(
        {
          write: (message, done) => call.write(message, done),
          onDrain: (fn) => call.on('drain', fn),
          abort: () => {
            this.watches.delete(queue);
            call.emit('error', { code: status.ABORTED, details: 'subscription canceled: lost update' });
          },
        },
        encodeNotification,
      ),
      { end: () => call.end() },
    );
    const unsubscribe = cluster.subscribe(queue);
    this.watches.add(queue);
    const stop = () => {
      unsubscribe();
      queue.close();
      this.watches.delete(queue);
    };
    call.once('cancelled', stop);
    call.once('close', stop);
    call.once('error', stop);
    queue.first(this.snapshot(cluster));
  }

  /** The snapshot message of a cluster, encoded once per cluster version (a reconnect storm sends the same bytes to all). */
  private snapshot(cluster: Cluster): Buffer {
    const cached = this.snapshots.get(cluster);
    if (cached && cached.version === cluster.version) return cached.message;
    const message = WatchResponseCodec.encode({ affiliates: cluster.list(), deleted: false });
    this.snapshots.set(cluster, { version: cluster.version, message });
    return message;
  }

  /** One port for both: a TLS ClientHello (first byte 0x16) goes to the TLS server, anything else is h2c. */
  private async listen(): Promise<void> {
    const { host, port } = splitHostPort(this.o.addr);
    const h2c = this.grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const tls = this.o.tls
      ? this.grpc.createConnectionInjector(ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(this.o.tls.certFile), private_key: fs.readFileSync(this.o.tls.keyFile) }], false))
      : undefined;
    this.listener = net.createServer({ pauseOnConnect: false }, (socket) => {
      socket.on('error', () => socket.destroy());
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        socket.unshift(chunk);
        if (chunk[0] === 0x16 && tls) tls.injectConnection(socket);
        else h2c.injectConnection(socket);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.listener!.once('error', reject);
      this.listener!.listen(port, host === '' ? undefined : host, () => resolve());
    });
    const a = this.address();
    this.log.info({ address: a.address, port: a.port, tls: tls !== undefined, redirect: this.o.redirectEndpoint ?? null, snapshot: this.o.snapshotPath ?? null }, 'discovery server listening');
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.limiter?.close();
    this.listener?.close();
    for (const w of this.watches) w.end();
    this.watches.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, 2000);
      this.grpc.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.metricsServer?.close();
    this.save();
  }
}
