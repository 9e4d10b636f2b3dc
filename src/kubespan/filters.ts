// Endpoint filters (siderolabs/net FilterIPs, spec §7.3 step 3): filters are
// applied in order; a CIDR (or bare IP) adds the matching IPs not yet in the
// result, a "!CIDR" removes the matching ones from what has accumulated. IPs no
// positive filter matches are dropped, so only negative filters give nothing.
import { parseIP, parseIPOrPrefix, prefixContains, formatIP } from '../net/ip.js';

export function filterIPs(ips: readonly string[], filters: readonly string[]): string[] {
  const parsed = ips.map((text) => ({ ip: parseIP(text) }));
  const result: string[] = [];
  for (const raw of filters) {
    const negative = raw.startsWith('!');
    const text = (negative ? raw.slice(1) : raw).replace(/[[\]]/g, '');
    const network = parseIPOrPrefix(text);
    if (!network) throw new Error(`endpoint filter "${raw}" is not a CIDR or IP address`);
    for (const { ip } of parsed) {
      if (!ip || !prefixContains(network, ip)) continue;
      const canonical = formatIP(ip);
      const at = result.indexOf(canonical);
      if (!negative && at < 0) result.push(canonical);
      else if (negative && at >= 0) result.splice(at, 1);
    }
  }
  return result;
}
