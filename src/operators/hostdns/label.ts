// How an upstream server is named in logs and in HostDNSStatus.
import type { NameServerSpec } from '../../resources/network/types.js';

/** "1.1.1.1", or "1.1.1.1 (DoT cloudflare-dns.com)". */
export function upstreamLabel(s: NameServerSpec): string {
  return s.protocol === 'Do53' ? s.addr : `${s.addr} (${s.protocol} ${s.tlsServerName})`;
}
