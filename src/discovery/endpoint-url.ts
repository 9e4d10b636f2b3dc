// Discovery service URLs to gRPC targets, as Talos's NormalizeEndpoint does
// (types/cluster/discovery_service.go): https:// and grpc:// mean TLS, http://
// means cleartext h2c; default port 443 (80 for http); any path or query is
// dropped; the result is host:port.
export interface ServiceTarget {
  /** host:port ([v6]:port). */
  endpoint: string;
  /** The host without brackets or port (for TLS server name checks). */
  host: string;
  port: number;
  insecure: boolean;
}

export function normalizeEndpoint(url: string): ServiceTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid discovery service URL ${JSON.stringify(url)}`);
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'https' && scheme !== 'grpc' && scheme !== 'http') throw new Error(`discovery service URL ${JSON.stringify(url)}: scheme must be https, grpc or http`);
  if (u.hostname === '') throw new Error(`discovery service URL ${JSON.stringify(url)} has no host`);
  const insecure = scheme === 'http';
  const port = u.port === '' ? (insecure ? 80 : 443) : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { endpoint: `${u.hostname}:${port}`, host, port, insecure };
}

/** A redirect target ("host:port", as the server sends it) keeps the scheme's security. */
export function parseHostPort(endpoint: string, insecure: boolean): ServiceTarget {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint);
  if (!m) throw new Error(`invalid discovery service endpoint ${JSON.stringify(endpoint)}: expected host:port`);
  const host = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`invalid port in ${JSON.stringify(endpoint)}`);
  return { endpoint: m[1] ? `[${host}]:${port}` : `${host}:${port}`, host, port, insecure };
}
