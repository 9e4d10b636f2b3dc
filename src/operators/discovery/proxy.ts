// Which HTTP proxy reaches a discovery service, with the rules of Go's
// golang.org/x/net/http/httpproxy (what Talos's proxy-aware dialer uses):
// https_proxy for TLS targets, http_proxy for cleartext ones; no_proxy entries
// are "*", IPs, CIDRs, or domains (".example.com" and "example.com" both match
// subdomains; "example.com" also matches itself), optionally with ":port";
// localhost and loopback addresses never go through a proxy.
import { parseIP, parsePrefix, prefixContains } from '../../net/ip.js';

export interface ProxyEnv {
  httpsProxy: string;
  httpProxy: string;
  noProxy: string;
}

/** No proxy: everything connects directly. */
export const DIRECT: Readonly<ProxyEnv> = Object.freeze({ httpsProxy: '', httpProxy: '', noProxy: '' });

function proxyURL(value: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`invalid proxy address ${JSON.stringify(value.replace(/\/\/[^@/]*@/, '//[redacted]@'))}`);
  }
  if (u.protocol !== 'http:') throw new Error(`proxy ${u.protocol}// is not supported: only http:// proxies (HTTP CONNECT)`);
  return u;
}

function bypass(noProxy: string, host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const ip = parseIP(h);
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      const p = parsePrefix(entry);
      if (p && ip && prefixContains(p, ip)) return true;
      continue;
    }
    let name = entry;
    let entryPort = '';
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (m) {
      name = m[1]!.replace(/^\[|\]$/g, '');
      entryPort = m[2] ?? '';
    } else if (parseIP(entry)) {
      name = entry;
    }
    if (entryPort !== '' && Number(entryPort) !== port) continue;
    const entryIP = parseIP(name);
    if (entryIP) {
      if (ip && Buffer.from(entryIP.bytes).equals(Buffer.from(ip.bytes))) return true;
      continue;
    }
    if (name.startsWith('*.')) name = name.slice(1);
    const exactToo = !name.startsWith('.');
    const suffix = exactToo ? `.${name}` : name;
    if (h.endsWith(suffix) || (exactToo && h === name)) return true;
  }
  return false;
}

/** The proxy for host:port, or undefined to connect directly. */
export function proxyFor(env: ProxyEnv, host: string, port: number, secure: boolean): URL | undefined {
  const value = secure ? env.httpsProxy : env.httpProxy;
  if (value.trim() === '') return undefined;
  const h = host.toLowerCase();
  if (h === 'localhost') return undefined;
  const ip = parseIP(h);
  if (ip && (ip.family === 'inet4' ? ip.bytes[0] === 127 : ip.bytes.every((b, i) => (i < 15 ? b === 0 : b === 1)))) return undefined;
  if (bypass(env.noProxy, host, port)) return undefined;
  return proxyURL(value.trim());
}

/** The proxy settings from environment variables (uppercase first, as Go). */
export function proxyEnvFrom(env: Record<string, string | undefined>): ProxyEnv {
  const any = (...keys: string[]) => keys.map((k) => env[k]).find((v) => v !== undefined && v !== '') ?? '';
  return { httpsProxy: any('HTTPS_PROXY', 'https_proxy'), httpProxy: any('HTTP_PROXY', 'http_proxy'), noProxy: any('NO_PROXY', 'no_proxy') };
}
