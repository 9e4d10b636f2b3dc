// Opens the TCP connection to a discovery service: from the network namespace
// netcfg configures (a socket created inside it, so a daemon started with
// --netns connects the way that namespace routes), directly or through an HTTP
// CONNECT proxy (machine.env https_proxy / http_proxy, no_proxy honoured).
// Host names are resolved with the resolver of the process (in tests and most
// setups the discovery endpoint and proxy are given as addresses).
import dns from 'node:dns/promises';
import net from 'node:net';
import type { ServiceTarget } from '../../discovery/endpoint-url.js';
import { parseIP } from '../../net/ip.js';
import { native } from '../../native/index.js';
import { proxyFor, type ProxyEnv } from './proxy.js';

export interface DialOptions {
  /** /run/netns/NAME (or /proc/PID/ns/net); undefined: the process's own namespace. */
  netnsPath: string | undefined;
  proxy: ProxyEnv;
  timeoutMs: number;
}

/** How a target is reached, for log lines ("direct" or the proxy without credentials). */
export function route(target: ServiceTarget, proxy: ProxyEnv): string {
  try {
    const via = proxyFor(proxy, target.host, target.port, !target.insecure);
    return via ? `proxy ${via.host}` : 'direct';
  } catch (err) {
    return (err as Error).message;
  }
}

async function resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const ip = parseIP(host);
  if (ip) return { address: host, family: ip.family === 'inet6' ? 6 : 4 };
  const r = await dns.lookup(host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
}

/** A TCP connection to host:port made from the namespace (when given), or a timeout error. */
export function connectTcp(host: string, port: number, o: Pick<DialOptions, 'netnsPath' | 'timeoutMs'>): Promise<net.Socket> {
  return resolve(host).then(
    ({ address, family }) =>
      new Promise<net.Socket>((ok, fail) => {
        const socket = o.netnsPath === undefined ? new net.Socket() : new net.Socket({ fd: native().tcpSocketIn(o.netnsPath, family), readable: true, writable: true });
        const timer = setTimeout(() => socket.destroy(new Error(`connecting to ${host}:${port} timed out`)), o.timeoutMs);
        socket.once('error', (err) => {
          clearTimeout(timer);
          fail(err);
        });
        socket.connect({ host: address, port }, () => {
          clearTimeout(timer);
          socket.removeAllListeners('error');
          socket.setNoDelay(true);
          ok(socket);
        });
      }),
  );
}

/** CONNECT host:port through an HTTP proxy on `socket`; resolves once the tunnel is open. */
function tunnel(socket: net.Socket, target: ServiceTarget, proxy: URL, timeoutMs: number): Promise<net.Socket> {
  return new Promise((ok, fail) => {
    const authority = target.endpoint;
    const auth = proxy.username !== '' ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}\r\n` : '';
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`proxy ${proxy.host} did not answer CONNECT in time`)), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', done);
      socket.removeListener('close', onClose);
      if (err) {
        socket.destroy();
        fail(err);
      } else ok(socket);
    };
    const onClose = () => done(new Error(`proxy ${proxy.host} closed the connection during CONNECT`));
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) done(new Error(`proxy ${proxy.host}: response headers too long`));
        return;
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (!status || status[1] !== '200') {
        done(new Error(`proxy ${proxy.host} refused CONNECT ${authority}: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1') || 'no status line'}`));
        return;
      }
      const rest = head.subarray(end + 4);
      socket.pause();
      done();
      if (rest.length > 0) socket.unshift(rest);
    };
    socket.on('data', onData);
    socket.once('error', done);
    socket.once('close', onClose);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  });
}

/** A connected socket to the target (through the proxy when one applies). */
export async function dial(target: ServiceTarget, o: DialOptions): Promise<net.Socket> {
  const via = proxyFor(o.proxy, target.host, target.port, !target.insecure);
  if (!via) return connectTcp(target.host, target.port, o);
  const host = via.hostname.replace(/^\[|\]$/g, '');
  const socket = await connectTcp(host, via.port === '' ? 80 : Number(via.port), o);
  return tunnel(socket, target, via, o.timeoutMs);
}
