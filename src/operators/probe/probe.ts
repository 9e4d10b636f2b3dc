// One attempt of a connectivity probe (talos-multidoc.md §3.20), from the
// namespace netcfg configures: TCP connects to host:port and closes; HTTP sends
// GET and counts 2xx and 3xx as success (a redirect is not followed). Either
// resolves when the probe succeeded and throws why it did not.
//
// HTTP goes through the machine's proxy as Go's transport (Talos') does: an
// https URL through a CONNECT tunnel to https_proxy, an http URL as a request
// for the absolute URL to http_proxy; no_proxy and loopback go direct. TCP
// probes always connect directly.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { connectTcp, dial } from '../discovery/dialer.js';
import { DIRECT, proxyFor, type ProxyEnv } from '../discovery/proxy.js';
import { parseIP } from '../../net/ip.js';
import type { ProbeSpec } from '../../resources/network/types.js';


/** host:port, [v6]:port. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]+)$/.exec(endpoint);
  const port = Number(m?.[3]);
  if (!m || !(port > 0 && port < 65536)) throw new Error(`"${endpoint}" is not host:port`);
  return { host: m[1] ?? m[2]!, port };
}

async function tcp(endpoint: string, o: { netnsPath: string | undefined; timeoutMs: number }): Promise<void> {
  const { host, port } = splitEndpoint(endpoint);
  const socket = await connectTcp(host, port, o);
  // an orderly close: a reset would make the service log an error for every probe
  socket.destroy();
}

interface Get {
  url: URL;
  socket: net.Socket;
  deadline: number;
  /** The request goes to an http proxy: the absolute URL as its target, and the proxy's credentials. */
  viaProxy?: URL | undefined;
}

/** The answer's status code and reason phrase ("404", "Not Found"). */
function get({ url, socket, deadline, viaProxy }: Get): Promise<{ code: number; reason: string }> {
  return new Promise((ok, fail) => {
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // SNI names a host, never an address
    const stream = secure ? tls.connect({ socket, ...(parseIP(host) ? {} : { servername: host }) }) : socket;
    const headers: Record<string, string> = { 'User-Agent': 'netcfg-probe' };
    if (viaProxy && viaProxy.username !== '') headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(viaProxy.username)}:${decodeURIComponent(viaProxy.password)}`).toString('base64')}`;
    const request = (secure ? https : http).request({
      method: 'GET',
      host: url.hostname,
      port: url.port,
      path: viaProxy ? `${url.protocol}//${url.host}${url.pathname}${url.search}` : `${url.pathname}${url.search}`,
      headers,
      createConnection: () => stream,
      ...(url.username !== '' ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer from ${url.host} in time`)), Math.max(0, deadline - Date.now()));
    request.once('response', (res) => {
      clearTimeout(timer);
      res.resume();
      socket.destroy();
      ok({ code: res.statusCode ?? 0, reason: res.statusMessage ?? '' });
    });
    request.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      fail(err);
    });
    request.end();
  });
}

async function httpProbe(text: string, o: { netnsPath: string | undefined; timeoutMs: number }, proxy: ProxyEnv): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const url = new URL(text);
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port !== '' ? Number(url.port) : secure ? 443 : 80;
  const via = proxyFor(proxy, host, port, secure);
  let socket: net.Socket;
  if (secure) {
    // a CONNECT tunnel when a proxy applies (dial decides)
    socket = await dial({ endpoint: `${url.hostname}:${port}`, host, port, insecure: false }, { netnsPath: o.netnsPath, proxy, timeoutMs: o.timeoutMs });
  } else if (via) {
    socket = await connectTcp(via.hostname.replace(/^\[|\]$/g, ''), via.port === '' ? 80 : Number(via.port), o);
  } else {
    socket = await connectTcp(host, port, o);
  }
  const status = await get({ url, socket, deadline, viaProxy: !secure ? via : undefined });
  // Talos' words (Go's resp.Status is the code and the reason phrase)
  if (status.code < 200 || status.code >= 400) throw new Error(`received non-success status code: ${`${status.code} ${status.reason}`.trim()}`);
}

export function probeOnce(spec: Pick<ProbeSpec, 'tcp' | 'http' | 'timeout'>, netnsPath: string | undefined, proxy: ProxyEnv = DIRECT): Promise<void> {
  const o = { netnsPath, timeoutMs: spec.timeout };
  if (spec.tcp) return tcp(spec.tcp.endpoint, o);
  if (spec.http) return httpProbe(spec.http.url, o, proxy);
  return Promise.reject(new Error('a probe with neither tcp nor http'));
}
