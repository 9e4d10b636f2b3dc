// Host DNS (Talos' local caching resolver): listens on UDP and TCP port 53 of
// the given addresses (127.0.0.53, and the addresses pods reach it on), in the
// namespace netcfg configures. A query goes, in Talos' order, to:
//  1. the static hosts (machine.network.extraHostEntries, StaticHostConfig and
//     the node's own names): an authoritative A/AAAA answer, TTL 10 s;
//  2. the cache;
//  3. the upstream servers in order, those not answering (health.ts) last: one
//     that fails, or answers SERVFAIL or REFUSED, passes the query on to the
//     next; a truncated UDP answer is asked again over TCP. Nothing answers:
//     SERVFAIL.
// A UDP answer larger than the asker takes is sent truncated (ask over TCP).
import net from 'node:net';
import type { Logger } from '../../log.js';
import { native, type NativeDatagramSocket, type UdpSource } from '../../native/index.js';
import { ipFamily, parseIP } from '../../net/ip.js';
import { trustRoots } from '../../net/trust.js';
import { monotonicMs } from '../../util/clock.js';
import type { NameServerSpec } from '../../resources/network/types.js';
import { DnsCache } from './cache.js';
import { CHECK_TIMEOUT_MS, healthQuery, UpstreamHealth } from './health.js';
import { upstreamLabel } from './label.js';
import { Upstreams, type UpstreamOptions } from './upstream.js';
import { DIRECT, type ProxyEnv } from '../discovery/proxy.js';
import {
  addressReply,
  CLASS_IN,
  errorReply,
  frame,
  parseAnswer,
  parseQuery,
  readFrames,
  RCODE_FORMERR,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  truncatedReply,
  TYPE_A,
  TYPE_AAAA,
  type Query,
} from './wire.js';

export const HOST_DNS_PORT = 53;
/** Talos' requestTimeout: the whole of one query, all upstreams included. */
const REQUEST_TIMEOUT_MS = 4500;
/** Each upstream's share (a dead first server leaves time for the second). */
const UPSTREAM_TIMEOUT_MS = 2000;
const STATIC_TTL = 10;
const TCP_IDLE_MS = 10_000;
/** Questions being forwarded at once (CoreDNS forward's max_concurrent): beyond, SERVFAIL at once. */
export const MAX_IN_FLIGHT = 1000;

export interface HostDnsTable {
  /** The upstream servers, in the order they are asked. */
  upstreams: NameServerSpec[];
  /** Names answered here: lower-cased name without the trailing dot → addresses. */
  hosts: ReadonlyMap<string, string[]>;
}

interface Listener {
  address: string;
  close(): void;
}

export class HostDnsServer {
  private table: HostDnsTable = { upstreams: [], hosts: new Map() };
  private readonly cache: DnsCache;
  private upstreams: Upstreams;
  private health: UpstreamHealth;
  private readonly listeners = new Map<string, Listener[]>();
  private inFlight = 0;
  private readonly ca: string[];

  constructor(
    private readonly log: Logger,
    private readonly netnsPath: string | undefined,
    /** PEM that machine.files appends to the CA bundle: trusted besides Node's and the system's roots. */
    extraCAs: string,
    /** The machine's proxy settings: DoH goes through https_proxy, as in Talos. */
    private readonly proxy: ProxyEnv = DIRECT,
    /** Told when an upstream goes down or comes back (down()). */
    private readonly healthChanged: () => void = () => {},
    now: () => number = monotonicMs,
  ) {
    this.ca = trustRoots(extraCAs);
    this.cache = new DnsCache(now);
    this.upstreams = new Upstreams(this.upstreamOptions());
    this.health = this.healthOf(this.upstreams);
  }

  private upstreamOptions(): UpstreamOptions {
    return { netnsPath: this.netnsPath, ca: this.ca, proxy: this.proxy, timeoutMs: UPSTREAM_TIMEOUT_MS };
  }

  private healthOf(upstreams: Upstreams): UpstreamHealth {
    return new UpstreamHealth(this.log, async (server) => void (await upstreams.exchange(server, healthQuery(0), false, CHECK_TIMEOUT_MS)), this.healthChanged);
  }

  /** The upstream is not answering: asked last. */
  down(server: NameServerSpec): boolean {
    return this.health.down(server);
  }

  /** New upstreams drop the cache and every open upstream connection; new hosts take effect at once. */
  update(table: HostDnsTable): void {
    if (JSON.stringify(table.upstreams) !== JSON.stringify(this.table.upstreams)) {
      this.cache.clear();
      this.upstreams.close();
      this.health.close();
      this.upstreams = new Upstreams(this.upstreamOptions());
      this.health = this.healthOf(this.upstreams);
    }
    this.table = table;
  }

  /** The addresses it listens on. */
  get addresses(): string[] {
    return [...this.listeners.keys()];
  }

  /** Listens on UDP and TCP port 53 of `address`; throws (EADDRINUSE, EADDRNOTAVAIL…) when it cannot. */
  async listen(address: string, port = HOST_DNS_PORT): Promise<void> {
    if (this.listeners.has(address)) return;
    const udp = this.listenUdp(address, port);
    try {
      const tcp = await this.listenTcp(address, port);
      this.listeners.set(address, [udp, tcp]);
    } catch (err) {
      udp.close();
      throw err;
    }
  }

  /** Stops listening on `address`. */
  unlisten(address: string): void {
    for (const l of this.listeners.get(address) ?? []) l.close();
    this.listeners.delete(address);
  }

  close(): void {
    for (const address of this.addresses) this.unlisten(address);
    this.upstreams.close();
    this.health.close();
    this.cache.clear();
  }

  private listenUdp(address: string, port: number): Listener {
    const kind = ipFamily(address) === 'inet6' ? 'udp6' : 'udp4';
    const socket: NativeDatagramSocket = new (native().DatagramSocket)({ kind, ...(this.netnsPath ? { netns: this.netnsPath } : {}), address, port }, (err, data, from) => {
      if (err || !data || !from) return;
      const to = from as UdpSource;
      void this.answer(data, 'udp').then((reply) => {
        if (!reply) return;
        try {
          socket.send(reply, { address: to.address, port: to.port });
        } catch (e) {
          this.log.debug({ err: (e as Error).message, to: to.address }, 'host DNS: could not send an answer');
        }
      }, (e: unknown) => this.log.warn({ err: (e as Error).message }, 'host DNS: a question failed'));
    });
    return { address, close: () => socket.close() };
  }

  private listenTcp(address: string, port: number): Promise<Listener> {
    const connections = new Set<net.Socket>();
    const server = net.createServer((conn) => {
      connections.add(conn);
      conn.on('close', () => connections.delete(conn));
      this.serveTcp(conn);
    });
    return new Promise((ok, fail) => {
      server.once('error', fail);
      const done = () => {
        server.removeListener('error', fail);
        server.on('error', (err) => this.log.warn({ err: err.message, address }, 'host DNS: TCP listener failed'));
        ok({
          address,
          close: () => {
            server.close();
            for (const c of connections) c.destroy();
          },
        });
      };
      if (this.netnsPath) server.listen({ fd: native().tcpListenerIn(this.netnsPath, address, port, 128) }, done);
      else server.listen({ host: address, port, exclusive: true }, done);
    });
  }

  private serveTcp(conn: net.Socket): void {
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    readFrames(conn, (msg) => {
      void this.answer(msg, 'tcp').then(
        (reply) => {
          if (reply && !conn.destroyed) conn.write(frame(reply));
        },
        (e: unknown) => this.log.warn({ err: (e as Error).message }, 'host DNS: a question failed'),
      );
    });
  }

  /** The answer to one message (undefined: not even a header to answer). */
  async answer(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: Query;
    try {
      query = parseQuery(msg);
    } catch {
      if (msg.length < 12 || msg[2]! & 0x80) return undefined;
      const reply = Buffer.from(msg.subarray(0, 12));
      reply.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x7900) | RCODE_FORMERR, 2);
      reply.fill(0, 4);
      return reply;
    }
    let reply = this.fromHosts(query) ?? this.cache.get(query);
    if (!reply) {
      if (this.inFlight >= MAX_IN_FLIGHT) return errorReply(query, RCODE_SERVFAIL);
      this.inFlight++;
      try {
        reply = await this.forward(query, transport);
      } catch (err) {
        this.log.debug({ question: query.question.name, err: (err as Error).message }, 'host DNS: no answer');
        reply = errorReply(query, RCODE_SERVFAIL);
      } finally {
        this.inFlight--;
      }
    }
    return transport === 'udp' && reply.length > query.udpSize ? truncatedReply(query, reply) : reply;
  }

  private fromHosts(q: Query): Buffer | undefined {
    if (q.question.class !== CLASS_IN || (q.question.type !== TYPE_A && q.question.type !== TYPE_AAAA)) return undefined;
    const addresses = this.table.hosts.get(q.question.name.replace(/\.$/, ''));
    if (!addresses) return undefined;
    const family = q.question.type === TYPE_A ? 'inet4' : 'inet6';
    const bytes = addresses.map((a) => parseIP(a)).flatMap((ip) => (ip && ip.family === family ? [Buffer.from(ip.bytes)] : []));
    // a name known here without an address of the asked family goes on upstream, as in Talos
    return bytes.length > 0 ? addressReply(q, bytes, STATIC_TTL) : undefined;
  }

  private async forward(q: Query, transport: 'udp' | 'tcp'): Promise<Buffer> {
    const started = Date.now();
    // the upstreams as they were when the question came: an update() meanwhile neither gets this question's
    // outcome into the new servers' health nor its answer into the new cache
    const { upstreams, health } = this;
    const current = () => this.upstreams === upstreams;
    let last: Buffer | undefined;
    for (const server of health.ordered(this.table.upstreams)) {
      // each upstream gets its share of what is left of the question's time
      const left = () => REQUEST_TIMEOUT_MS - (Date.now() - started);
      if (left() < 100) break;
      try {
        // the asker's message as it came (its EDNS options and flags included); the upstream gets its own ID
        let answer = await upstreams.exchange(server, q.message, transport === 'tcp' && server.protocol === 'Do53', left());
        let a = parseAnswer(answer);
        if (a.truncated && server.protocol === 'Do53' && transport === 'udp' && left() >= 100) {
          answer = await upstreams.exchange(server, q.message, true, left());
          a = parseAnswer(answer);
        }
        // any answer, even SERVFAIL, shows the server is there
        health.answered(server);
        if (a.rcode === RCODE_SERVFAIL || a.rcode === RCODE_REFUSED) {
          last = answer;
          continue;
        }
        if (current()) this.cache.put(q, answer);
        return answer;
      } catch (err) {
        this.log.debug({ upstream: upstreamLabel(server), question: q.question.name, err: (err as Error).message }, 'host DNS: upstream failed');
        health.failed(server, err as Error);
        if (!current()) break;
      }
    }
    return last ?? errorReply(q, RCODE_SERVFAIL);
  }
}
