// The client IP a Hello reports (§1.3, pkg/server/addr.go): X-Real-IP if
// trusted, else the first X-Forwarded-For entry if trusted, else the TCP peer;
// in netip.Addr.MarshalBinary form (4 or 16 bytes, empty when unknown).
import { parseIP } from '../net/ip.js';

export interface ClientIPOptions {
  trustXRealIP: boolean;
  trustXForwardedFor: boolean;
}

/** An address as 4 or 16 bytes; IPv4-mapped IPv6 becomes IPv4 (netip Unmap). */
export function addressBytes(text: string): Buffer | undefined {
  const ip = parseIP(text.trim());
  if (!ip) return undefined;
  const b = Buffer.from(ip.bytes);
  if (b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.subarray(12);
  return b;
}

/** The host part of grpc-js's getPeer() ("1.2.3.4:5678", "::1:5678", "[::1]:5678"). */
export function peerHost(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, '');
  const colon = p.lastIndexOf(':');
  const host = colon > 0 && /^\d+$/.test(p.slice(colon + 1)) ? p.slice(0, colon) : p;
  return host.replace(/^\[|\]$/g, '');
}

/** The bytes Hello returns, and the text the rate limiter keys on. */
export function clientIP(headers: { get(key: string): Array<string | Buffer> }, peer: string, o: ClientIPOptions): { bytes: Buffer; text: string } {
  const first = (key: string): string | undefined => {
    const v = headers.get(key)[0];
    return v === undefined ? undefined : String(v);
  };
  const candidates: string[] = [];
  if (o.trustXRealIP) {
    const v = first('x-real-ip');
    if (v) candidates.push(v);
  }
  if (o.trustXForwardedFor) {
    const v = first('x-forwarded-for');
    if (v) candidates.push(v.split(',')[0] ?? '');
  }
  candidates.push(peerHost(peer));
  for (const c of candidates) {
    const bytes = addressBytes(c);
    if (bytes) return { bytes, text: c.trim() };
  }
  return { bytes: Buffer.alloc(0), text: '' };
}

/** The Hello metric label of a client version: vX.Y, vX.Y-pre for a -suffix, else unknown (pkg/server/version.go). */
export function versionLabel(version: string): string {
  const m = /^v(\d+)\.(\d+)\.(\d+)(-.*)?$/.exec(version);
  if (!m) return 'unknown';
  return `v${m[1]}.${m[2]}${m[4] ? '-pre' : ''}`;
}
