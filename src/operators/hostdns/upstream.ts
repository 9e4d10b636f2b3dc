// Host DNS's upstream servers: plain DNS (UDP, and TCP when the answer is
// truncated), DNS over TLS (RFC 7858, port 853) and DNS over HTTPS (RFC 8484,
// POST https://<tlsServerName>/dns-query over HTTP/2, port 443), all reached
// from the namespace netcfg configures. The server's address is dialled; the
// TLS server name is the one its certificate must carry, as in Talos. Each
// query to a server gets an ID of its own (and, over UDP, a socket with a
// fresh source port); the asker's ID is put back on the answer. DoH alone goes
// through the machine's https_proxy, as Talos' DoH client does.
import crypto from 'node:crypto';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { native, type NativeDatagramSocket, type UdpSource } from '../../native/index.js';
import { canonicalIP, ipFamily } from '../../net/ip.js';
import { connectTcp, dial } from '../discovery/dialer.js';
import { proxyFor, type ProxyEnv } from '../discovery/proxy.js';
import type { NameServerSpec } from '../../resources/network/types.js';
import { upstreamLabel } from './label.js';
import { frame, readFrames, sameQuestion, withId } from './wire.js';

export interface UpstreamOptions {
  /** /run/netns/NAME, or undefined for the process's own namespace. */
  netnsPath: string | undefined;
  /** Root certificates (PEM) a DoT or DoH server's certificate must chain to. */
  ca: string[];
  /** DoH goes through https_proxy (no_proxy honoured) as Talos' does; DoT and plain DNS never do. */
  proxy: ProxyEnv;
  timeoutMs: number;
}


const newId = () => crypto.randomInt(0, 0x10000);

/** `answer` answers `query`: the same ID and the same single question (name, type, class); else throws. */
function matches(query: Buffer, answer: Buffer): void {
  if (answer.length < 12 || answer.readUInt16BE(0) !== query.readUInt16BE(0)) throw new Error('answer with another ID');
  if (!sameQuestion(query, answer)) throw new Error('answer to another question');
}

interface Settle<T> {
  ok: (v: T) => void;
  fail: (e: Error) => void;
  /** Runs `f` when the work ends (at once when it already has). */
  onEnd: (f: () => void) => void;
  /** The work has ended (answered, failed or timed out). */
  ended: () => boolean;
}

function deadline<T>(ms: number, what: string, work: (settle: Settle<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const ends: Array<() => void> = [];
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const e of ends) e();
      f();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`${what}: no answer within ${ms} ms`))), Math.max(0, ms));
    work({
      ok: (v) => finish(() => resolve(v)),
      fail: (e) => finish(() => reject(e)),
      onEnd: (f) => (done ? f() : ends.push(f)),
      ended: () => done,
    });
  });
}

/** One query over UDP from a socket of its own. */
function udpExchange(addr: string, port: number, query: Buffer, o: UpstreamOptions, timeoutMs: number): Promise<Buffer> {
  const family = ipFamily(addr) === 'inet6' ? 'udp6' : 'udp4';
  const server = canonicalIP(addr);
  return deadline<Buffer>(timeoutMs, `${addr}:${port} (udp)`, ({ ok, fail, onEnd }) => {
    let socket: NativeDatagramSocket;
    try {
      socket = new (native().DatagramSocket)({ kind: family, ...(o.netnsPath ? { netns: o.netnsPath } : {}), port: 0 }, (err, data, from) => {
        if (err) return fail(new Error(`${addr}:${port} (udp): ${err.message}`));
        const src = from as UdpSource | undefined;
        if (!data || !src || src.port !== port || canonicalIP(src.address) !== server) return;
        try {
          matches(query, data);
        } catch {
          return; // not ours: keep waiting (an off-path guess must match port, ID and question)
        }
        ok(data);
      });
    } catch (err) {
      return fail(err as Error);
    }
    onEnd(() => socket.close());
    try {
      socket.send(query, { address: addr, port });
    } catch (err) {
      fail(new Error(`${addr}:${port} (udp): ${(err as Error).message}`));
    }
  });
}

/** One query over a TCP connection of its own (plain DNS after a truncated UDP answer). */
function tcpExchange(addr: string, port: number, query: Buffer, o: UpstreamOptions, timeoutMs: number): Promise<Buffer> {
  return deadline<Buffer>(timeoutMs, `${addr}:${port} (tcp)`, ({ ok, fail, onEnd }) => {
    connectTcp(addr, port, { netnsPath: o.netnsPath, timeoutMs }).then((socket) => {
      onEnd(() => socket.destroy());
      socket.on('error', (err) => fail(new Error(`${addr}:${port} (tcp): ${err.message}`)));
      socket.on('close', () => fail(new Error(`${addr}:${port} (tcp): closed before answering`)));
      readFrames(socket, (msg) => {
        try {
          matches(query, msg);
          ok(msg);
        } catch {
          // not the answer: wait for it
        }
      });
      socket.write(frame(query));
    }, fail);
  });
}

/** A TLS connection to a DoT server, shared by the queries sent while it is open (matched by ID). */
class DotConnection {
  private readonly pending = new Map<number, { query: Buffer; ok: (b: Buffer) => void; fail: (e: Error) => void }>();
  private idle: NodeJS.Timeout | undefined;
  closed = false;

  private constructor(private readonly socket: tls.TLSSocket, private readonly label: string) {
    readFrames(socket, (msg) => {
      const id = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
      const p = this.pending.get(id);
      if (!p) return;
      try {
        matches(p.query, msg);
      } catch {
        return;
      }
      this.pending.delete(id);
      p.ok(msg);
      this.armIdle();
    });
    const end = (why: string) => {
      this.closed = true;
      clearTimeout(this.idle);
      for (const p of this.pending.values()) p.fail(new Error(`${label}: ${why}`));
      this.pending.clear();
    };
    socket.on('error', (err) => end(err.message));
    socket.on('close', () => end('connection closed'));
  }

  static open(s: NameServerSpec, o: UpstreamOptions, timeoutMs: number): Promise<DotConnection> {
    const label = upstreamLabel(s);
    return deadline<DotConnection>(timeoutMs, label, ({ ok, fail, onEnd, ended }) => {
      connectTcp(s.addr, 853, { netnsPath: o.netnsPath, timeoutMs }).then((tcp) => {
        if (ended()) return void tcp.destroy();
        const socket = tls.connect({ socket: tcp, servername: s.tlsServerName, ca: o.ca, ALPNProtocols: ['dot'], minVersion: 'TLSv1.2' });
        let handedOver = false;
        // stays: an error after the deadline (a reset mid-handshake) must find a listener, or it would end the daemon
        socket.on('error', (err) => fail(new Error(`${label}: ${err.message}`)));
        socket.once('secureConnect', () => {
          if (ended()) return;
          handedOver = true;
          ok(new DotConnection(socket, label));
        });
        onEnd(() => {
          if (!handedOver) socket.destroy();
        });
      }, fail);
    });
  }

  exchange(query: Buffer, timeoutMs: number): Promise<Buffer> {
    clearTimeout(this.idle);
    return deadline<Buffer>(timeoutMs, this.label, ({ ok, fail, onEnd }) => {
      let id = newId();
      while (this.pending.has(id)) id = newId();
      const q = withId(query, id);
      this.pending.set(id, { query: q, ok, fail });
      onEnd(() => this.pending.delete(id));
      this.socket.write(frame(q));
    });
  }

  private armIdle(): void {
    clearTimeout(this.idle);
    // servers close idle connections after some seconds; netcfg lets go first
    if (this.pending.size === 0) this.idle = setTimeout(() => this.close(), 10_000);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.idle);
    this.socket.destroy();
  }
}

/** The upstreams' connections (DoT sockets, DoH HTTP/2 sessions), kept between queries. */
export class Upstreams {
  private readonly dot = new Map<string, Promise<DotConnection>>();
  private readonly doh = new Map<string, http2.ClientHttp2Session>();
  private closed = false;

  constructor(private readonly o: UpstreamOptions) {}

  /**
   * Sends `query` to `server` and returns its answer with the query's ID, within `timeoutMs` (at most the
   * options' own): connecting, TLS and the exchange included. `tcp`: plain DNS over TCP.
   */
  async exchange(server: NameServerSpec, query: Buffer, tcp: boolean, timeoutMs: number): Promise<Buffer> {
    if (this.closed) throw new Error('host DNS stopped');
    const id = query.readUInt16BE(0);
    const until = Date.now() + Math.min(timeoutMs, this.o.timeoutMs);
    const left = () => until - Date.now();
    if (server.protocol === 'DoT') return withId(await this.dotExchange(server, query, left), id);
    if (server.protocol === 'DoH') return withId(await this.dohExchange(server, query, left), id);
    const q = withId(query, newId());
    return withId(tcp ? await tcpExchange(server.addr, 53, q, this.o, left()) : await udpExchange(server.addr, 53, q, this.o, left()), id);
  }

  private async dotExchange(server: NameServerSpec, query: Buffer, left: () => number): Promise<Buffer> {
    const key = `${server.addr}|${server.tlsServerName}`;
    let open = this.dot.get(key);
    if (open) {
      const c = await open.catch(() => undefined);
      if (!c || c.closed) open = undefined;
    }
    if (!open) {
      const opening = DotConnection.open(server, this.o, left());
      open = opening;
      this.dot.set(key, opening);
      opening.then(
        (c) => {
          // opened after host DNS stopped: nobody will use or close it
          if (this.closed) c.close();
        },
        () => {
          if (this.dot.get(key) === opening) this.dot.delete(key);
        },
      );
    }
    return (await open).exchange(query, left());
  }

  /**
   * The TCP connection a DoH session runs on: to the server's address, or, when https_proxy applies to
   * https://<tlsServerName>/, a CONNECT tunnel to <tlsServerName>:443 (the proxy resolves the name, as Go's
   * transport in Talos asks it to).
   */
  private dohConnection(server: NameServerSpec, timeoutMs: number): Promise<Socket> {
    const o = { netnsPath: this.o.netnsPath, timeoutMs };
    if (!proxyFor(this.o.proxy, server.tlsServerName, 443, true)) return connectTcp(server.addr, 443, o);
    return dial({ endpoint: `${server.tlsServerName}:443`, host: server.tlsServerName, port: 443, insecure: false }, { ...o, proxy: this.o.proxy });
  }

  private async session(server: NameServerSpec, left: () => number): Promise<http2.ClientHttp2Session> {
    const key = `${server.addr}|${server.tlsServerName}`;
    const have = this.doh.get(key);
    if (have && !have.closed && !have.destroyed) return have;
    const tcp = await this.dohConnection(server, left());
    if (this.closed) {
      tcp.destroy();
      throw new Error('host DNS stopped');
    }
    const label = upstreamLabel(server);
    const session = http2.connect(`https://${server.tlsServerName}`, {
      createConnection: () => tls.connect({ socket: tcp, servername: server.tlsServerName, ca: this.o.ca, ALPNProtocols: ['h2'], minVersion: 'TLSv1.2' }),
    });
    session.on('error', () => session.destroy());
    session.on('close', () => {
      if (this.doh.get(key) === session) this.doh.delete(key);
    });
    session.on('goaway', () => session.close());
    // an idle session does not keep the daemon's event loop busy
    session.unref();
    this.doh.set(key, session);
    try {
      await deadline<void>(left(), label, ({ ok, fail }) => {
        session.once('connect', () => ok());
        session.once('error', (err) => fail(new Error(`${label}: ${err.message}`)));
      });
    } catch (err) {
      // never connected (TLS refused, or no answer): not kept for the next question
      session.destroy();
      throw err;
    }
    return session;
  }

  private async dohExchange(server: NameServerSpec, query: Buffer, left: () => number): Promise<Buffer> {
    const session = await this.session(server, left);
    const label = upstreamLabel(server);
    // RFC 8484 §4.1: ID 0, so that HTTP caches can share answers
    const body = withId(query, 0);
    return deadline<Buffer>(left(), label, ({ ok, fail, onEnd }) => {
      const req = session.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message', accept: 'application/dns-message', 'content-length': body.length });
      onEnd(() => {
        if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      req.on('response', (headers) => (status = Number(headers[':status'])));
      req.on('data', (c: Buffer) => {
        size += c.length;
        // a DNS message is at most 64 KiB
        if (size > 65535) return fail(new Error(`${label}: answer larger than a DNS message`));
        chunks.push(c);
      });
      req.on('error', (err) => fail(new Error(`${label}: ${err.message}`)));
      req.on('end', () => {
        if (status !== 200) return fail(new Error(`${label}: HTTP ${status}`));
        const answer = Buffer.concat(chunks);
        try {
          matches(body, answer);
        } catch (err) {
          return fail(new Error(`${label}: ${(err as Error).message}`));
        }
        ok(answer);
      });
      req.end(body);
    });
  }

  close(): void {
    this.closed = true;
    for (const c of this.dot.values()) c.then((x) => x.close(), () => undefined);
    this.dot.clear();
    for (const s of this.doh.values()) s.destroy();
    this.doh.clear();
  }
}
