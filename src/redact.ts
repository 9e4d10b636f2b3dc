// Secrets never reach a log line or `get` output: one list of the fields that
// hold them, used by the logger (every log object, at any depth) and by every
// resource or config shown to users.
//
// The list covers every secret of the config schema: WireGuard private and
// preshared keys; VIP API tokens (Equinix Metal, Hetzner Cloud); the cluster
// secret (cluster.secret, DiscoveryIdentityConfig.clusterSecret) and what is
// derived from it (KubeSpan's sharedSecret); Talos's own tokens and CA keys
// (machine.token, cluster.token, machine.ca.key…, SideroLink's uniqueToken),
// which netcfg ignores but a config may carry; the encryption secrets of
// cluster.*EncryptionSecret. Proxy URLs keep their host but lose credentials.

/** Field names whose (non-empty string) values are secret wherever they appear. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'privateKey',
  'presharedKey',
  'apiToken',
  'equinixMetalToken',
  'hcloudToken',
  'secret',
  'clusterSecret',
  'sharedSecret',
  'token',
  'uniqueToken',
  'key',
  'aescbcEncryptionSecret',
  'secretboxEncryptionSecret',
]);

/** Fields holding URLs that may carry credentials (http://user:password@proxy:3128, ?jointoken=…). */
export const URL_FIELDS: ReadonlySet<string> = new Set(['httpsProxy', 'httpProxy', 'https_proxy', 'http_proxy', 'HTTPS_PROXY', 'HTTP_PROXY', 'apiUrl']);

export const REDACTED = '[redacted]';

/** A URL without user information and without a jointoken query value. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, `//${REDACTED}@`).replace(/([?&]jointoken=)[^&#]*/i, `$1${REDACTED}`);
}

/** A copy with every secret replaced; anything that is not a secret is kept as it is. */
export function redact(v: unknown, depth = 0): unknown {
  if (depth > 32) return v;
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v && typeof v === 'object' && !(v instanceof Error) && !Buffer.isBuffer(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (SECRET_FIELDS.has(k) && typeof x === 'string' && x !== '') out[k] = REDACTED;
      else if (URL_FIELDS.has(k) && typeof x === 'string') out[k] = redactUrl(x);
      else out[k] = redact(x, depth + 1);
    }
    return out;
  }
  return v;
}
