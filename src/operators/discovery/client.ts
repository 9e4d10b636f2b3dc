// One discovery service client (discovery-client's run loop, §3.3): Hello
// (following a redirect, learning the public IP), Watch (the first message of
// each stream is the snapshot that replaces everything, then one affiliate per
// message), AffiliateUpdate of the local data with the TTL, every TTL/2 and on
// every change, reconnect with backoff and a fresh snapshot on any error, and
// AffiliateDelete on a clean leave. A background task: the controller that owns
// it reads affiliates() and is woken by onChange; nothing here blocks it.
//
// Data that does not decrypt or decode is dropped with one log line per
// affiliate (until it decodes again); it never affects other affiliates.
import { Client, Metadata, credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { openData, openEndpoint, sealData, sealEndpoint } from '../../discovery/crypto.js';
import { parseHostPort, type ServiceTarget } from '../../discovery/endpoint-url.js';
import { AffiliateCodec, type PbAffiliate, type PbEndpoint, type WatchResponse } from '../../discovery/messages.js';
import { ClusterService } from '../../discovery/service.js';
import { formatBytes } from '../../net/ip.js';
import type { Logger } from '../../log.js';
import type { AffiliateSpec } from '../../resources/cluster/types.js';
import { Backoff } from './backoff.js';
import { Bridge } from './bridge.js';
import { affiliateFromPb } from './convert.js';
import { dial, route } from './dialer.js';
import type { ProxyEnv } from './proxy.js';
import { tlsCredentials } from './tls.js';

export const DEFAULT_TTL_MS = 30 * 60_000;
const HELLO_TIMEOUT_MS = 10_000;
const REFRESH_TIMEOUT_MS = 30_000;
const DIAL_TIMEOUT_MS = 10_000;

export interface DiscoveryClientOptions {
  /** The service's name (config document name, "legacy" for v1alpha1) and a number unique among the clients (its socket name). */
  name: string;
  index: number;
  target: ServiceTarget;
  clusterId: string;
  key: Buffer;
  affiliateId: string;
  clientVersion: string;
  ttlMs: number;
  netnsPath: string | undefined;
  proxy: ProxyEnv;
  extraCAs: string;
  /** A private directory for the bridge socket. */
  bridgeDir: string;
  log: Logger;
  onChange(): void;
}

interface OtherEndpoints {
  affiliateId: string;
  endpoints: PbEndpoint[];
}

interface Sealed {
  data: Buffer;
  endpoints: Buffer[];
  others: Array<{ affiliateId: string; endpoints: Buffer[] }>;
}

type Wake = 'tick' | 'local' | 'watch-error' | 'stop';

export class DiscoveryClient {
  private target: ServiceTarget;
  private readonly backoff = new Backoff();
  private local: Sealed | undefined;
  private deleteLocal = false;
  private discovered = new Map<string, AffiliateSpec>();
  private publicAddress: string | undefined;
  private readonly undecodable = new Set<string>();
  private client: Client | undefined;
  private bridge: Bridge | undefined;
  private watch: ClientReadableStream<WatchResponse> | undefined;
  private stopped = false;
  private wakeUp: ((why: Wake) => void) | undefined;
  private pending: Wake[] = [];
  private loop: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private failures = 0;
  /** The reason last warned about (a new one is warned about again). */
  private lastWhy = '';
  private registered = false;
  private readonly log: Logger;

  constructor(private readonly o: DiscoveryClientOptions) {
    this.target = o.target;
    this.log = o.log.child({ discovery: o.name });
  }

  start(): void {
    this.ticker = setInterval(() => this.wake('tick'), Math.max(1000, this.o.ttlMs / 2));
    this.loop = this.run().catch((err: unknown) => this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'discovery client stopped unexpectedly'));
  }

  /** Affiliates the service reports (without this node), by node ID. */
  affiliates(): ReadonlyMap<string, AffiliateSpec> {
    return this.discovered;
  }

  /** The address the service saw this node connect from (Hello's client_ip), if any. */
  publicIP(): string | undefined {
    return this.publicAddress;
  }

  /** New local data: encrypted now (fresh nonce), pushed by the run loop. */
  setLocalData(affiliate: PbAffiliate, endpoints: PbEndpoint[], others: OtherEndpoints[] = []): void {
    const key = this.o.key;
    this.local = {
      data: sealData(key, AffiliateCodec.encode(affiliate)),
      endpoints: endpoints.map((e) => sealEndpoint(key, e)),
      others: others.map((x) => ({ affiliateId: x.affiliateId, endpoints: x.endpoints.map((e) => sealEndpoint(key, e)) })),
    };
    this.deleteLocal = false;
    this.wake('local');
  }

  private wake(why: Wake): void {
    if (this.wakeUp) {
      const w = this.wakeUp;
      this.wakeUp = undefined;
      w(why);
    } else if (!this.pending.includes(why)) this.pending.push(why);
  }

  private next(): Promise<Wake> {
    const queued = this.pending.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.wakeUp = resolve));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.stopSleep = undefined;
        resolve();
      }, ms);
      this.stopSleep = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private stopSleep: (() => void) | undefined;

  private async connect(): Promise<Client> {
    this.bridge ??= await Bridge.open(this.o.bridgeDir, String(this.o.index), () => dial(this.target, { netnsPath: this.o.netnsPath, proxy: this.o.proxy, timeoutMs: DIAL_TIMEOUT_MS }));
    const t = this.target;
    const options: Record<string, string | number> = {
      'grpc.default_authority': t.endpoint,
      'grpc.enable_http_proxy': 0,
      'grpc.enable_retries': 0,
      'grpc.keepalive_time_ms': Math.max(10_000, Math.floor(this.o.ttlMs / 10)),
      'grpc.initial_reconnect_backoff_ms': 1000,
    };
    if (!t.insecure && !/^[0-9.]+$|:/.test(t.host)) options['grpc.ssl_target_name_override'] = t.host;
    const creds = t.insecure ? credentials.createInsecure() : tlsCredentials(t.host, this.o.extraCAs);
    return new Client(`unix:${this.bridge.path}`, creds, options);
  }

  private disconnect(): void {
    this.watch?.cancel();
    this.watch = undefined;
    this.client?.close();
    this.client = undefined;
  }

  private unary<Req, Res>(method: (typeof ClusterService)[keyof typeof ClusterService], req: Req, timeoutMs: number): Promise<Res> {
    const client = this.client!;
    const m = method as unknown as { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res };
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  private why(err: unknown): string {
    const e = err as Partial<ServiceError>;
    const base = e.details ?? (err instanceof Error ? err.message : String(err));
    const dialError = this.bridge?.lastError;
    return dialError ? `${base} (${dialError.message})` : base;
  }

  /** Hello: the public IP, or a redirect (then the caller starts over against the new endpoint). */
  private async hello(): Promise<'ok' | 'redirect'> {
    const res = await this.unary<{ clusterId: string; clientVersion: string }, { redirect?: { endpoint: string }; clientIp: Uint8Array }>(
      ClusterService.Hello,
      { clusterId: this.o.clusterId, clientVersion: this.o.clientVersion },
      HELLO_TIMEOUT_MS,
    );
    if (res.redirect?.endpoint) {
      this.target = parseHostPort(res.redirect.endpoint, this.target.insecure);
      this.log.info({ endpoint: this.target.endpoint }, 'discovery service redirects: reconnecting');
      return 'redirect';
    }
    const ip = res.clientIp.length === 4 || res.clientIp.length === 16 ? formatBytes(res.clientIp) : undefined;
    if (ip !== this.publicAddress) {
      this.publicAddress = ip;
      this.o.onChange();
    }
    return 'ok';
  }

  private startWatch(): void {
    const m = ClusterService.Watch;
    const stream = this.client!.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize as (b: Buffer) => WatchResponse, { clusterId: this.o.clusterId }, new Metadata(), {});
    let first = true;
    stream.on('data', (msg: WatchResponse) => {
      if (stream !== this.watch) return;
      this.apply(msg, first);
      first = false;
    });
    const ended = (err?: ServiceError) => {
      if (stream !== this.watch) return;
      this.watch = undefined;
      if (err && err.code !== status.CANCELLED) this.log.warn({ err: this.why(err) }, 'discovery watch failed: reconnecting');
      else if (!err) this.log.warn('discovery watch ended: reconnecting');
      this.wake('watch-error');
    };
    stream.on('error', (err: ServiceError) => ended(err));
    stream.on('end', () => ended());
    this.watch = stream;
  }

  /** parseReply: a snapshot replaces all; skip self; deleted removes; empty data is skipped. */
  private apply(msg: WatchResponse, snapshot: boolean): void {
    // a snapshot starts a new map (readers keep the one they have); a delta changes it in place
    const next = snapshot ? new Map<string, AffiliateSpec>() : this.discovered;
    for (const a of msg.affiliates) {
      if (a.id === this.o.affiliateId) continue;
      if (msg.deleted) {
        next.delete(a.id);
        continue;
      }
      if (a.data.length === 0) continue;
      let pb: PbAffiliate;
      try {
        pb = AffiliateCodec.decode(openData(this.o.key, a.data));
      } catch (err) {
        if (!this.undecodable.has(a.id)) {
          this.undecodable.add(a.id);
          this.log.warn({ affiliate: a.id, err: (err as Error).message }, 'dropped affiliate data that does not decrypt or decode (another cluster secret, or tampered)');
        }
        if (snapshot && this.discovered.has(a.id)) next.set(a.id, this.discovered.get(a.id)!);
        continue;
      }
      this.undecodable.delete(a.id);
      const endpoints: PbEndpoint[] = [];
      for (const blob of a.endpoints) {
        try {
          endpoints.push(openEndpoint(this.o.key, blob));
        } catch {
          // an endpoint that does not decrypt is skipped (as upstream)
        }
      }
      try {
        next.set(a.id, affiliateFromPb(pb, endpoints));
      } catch (err) {
        this.log.warn({ affiliate: a.id, err: (err as Error).message }, 'dropped affiliate that does not convert');
      }
    }
    this.discovered = next;
    this.o.onChange();
  }

  private async refresh(): Promise<void> {
    const base = { clusterId: this.o.clusterId, ttl: { seconds: Math.floor(this.o.ttlMs / 1000), nanos: (this.o.ttlMs % 1000) * 1e6 } };
    if (this.deleteLocal) {
      await this.unary(ClusterService.AffiliateDelete, { clusterId: this.o.clusterId, affiliateId: this.o.affiliateId }, REFRESH_TIMEOUT_MS);
      return;
    }
    const local = this.local;
    if (!local) return;
    await this.unary(ClusterService.AffiliateUpdate, { ...base, affiliateId: this.o.affiliateId, affiliateData: local.data, affiliateEndpoints: local.endpoints }, REFRESH_TIMEOUT_MS);
    for (const other of local.others) {
      await this.unary(ClusterService.AffiliateUpdate, { ...base, affiliateId: other.affiliateId, affiliateEndpoints: other.endpoints }, REFRESH_TIMEOUT_MS);
    }
  }

  private async run(): Promise<void> {
    let refresh = true;
    let attempt = 0;
    let announced = false;
    while (!this.stopped) {
      if (!this.watch) {
        // the very first attempt goes at once; every later one waits its backoff
        if (attempt++ > 0) await this.sleep(this.backoff.next());
        if (this.stopped) break;
        try {
          this.client ??= await this.connect();
          if ((await this.hello()) === 'redirect') {
            this.disconnect();
            continue;
          }
        } catch (err) {
          this.failures++;
          const fields = { endpoint: this.target.endpoint, via: route(this.target, this.o.proxy), err: this.why(err) };
          // said once per reason (a first ENETUNREACH while the node's address is being added, then a certificate error, is news)
          if (this.failures === 1 || fields.err !== this.lastWhy) this.log.warn(fields, 'discovery service unreachable; retrying with backoff');
          else this.log.debug(fields, 'discovery service still unreachable');
          this.lastWhy = fields.err;
          this.disconnect(); // a fresh channel next time (TLS settings re-read)
          continue;
        }
        if (this.stopped) break;
        this.startWatch();
        refresh = true;
        announced = false;
      }
      if (refresh) {
        try {
          await this.refresh();
          refresh = false;
          this.backoff.reset();
          if (!announced) this.log.info({ endpoint: this.target.endpoint, via: route(this.target, this.o.proxy) }, 'registered with the discovery service');
          this.failures = 0;
          this.lastWhy = '';
          announced = true;
          this.registered = true;
        } catch (err) {
          this.failures++;
          this.log.warn({ err: this.why(err) }, 'discovery update failed: reconnecting');
          this.watch?.cancel();
          this.watch = undefined;
          continue;
        }
      }
      const why = await this.next();
      if (why === 'stop') break;
      if (why === 'tick' || why === 'local') refresh = true;
      if (why === 'watch-error') refresh = true;
    }
  }

  /**
   * Stops the client. With `leave`, first deletes this node's affiliate from the
   * service (bounded by `timeoutMs`), so the other nodes drop it at once.
   */
  async stop(options: { leave: boolean; timeoutMs?: number } = { leave: false }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    this.stopSleep?.();
    this.wake('stop');
    // an RPC in flight may hold the loop for its deadline: do not wait for that
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 500).unref())]);
    // never registered (the service was unreachable): nothing to delete, and no reason to wait for it
    if (options.leave && this.client && this.registered) {
      try {
        await this.unary(ClusterService.AffiliateDelete, { clusterId: this.o.clusterId, affiliateId: this.o.affiliateId }, options.timeoutMs ?? 2000);
        this.log.info('left the discovery service (affiliate deleted)');
      } catch (err) {
        this.log.warn({ err: this.why(err) }, 'could not delete the affiliate from the discovery service');
      }
    }
    this.disconnect();
    this.bridge?.close();
    this.bridge = undefined;
  }
}
