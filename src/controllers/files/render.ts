// The text of /etc/resolv.conf and /etc/hosts (Talos etcfile.go layout).
import type { HostnameStatus, ResolverStatus } from '../../resources/network/types.js';

/** resolv(5) reads at most three nameservers (MAXNS). */
export const MAXNS = 3;

export function renderResolvConf(status: ResolverStatus): string {
  let out = '';
  // DNS over TLS/HTTPS servers are for a local resolver, not for resolv(5)
  const encrypted = new Set((status.encrypted ?? []).map((e) => e.addr));
  for (const server of status.dnsServers.filter((s) => !encrypted.has(s)).slice(0, MAXNS)) out += `nameserver ${server}\n`;
  if (status.searchDomains.length > 0) out += `\nsearch ${status.searchDomains.join(' ')}\n`;
  return out;
}

export interface HostEntry {
  ip: string;
  aliases: readonly string[];
}

/**
 * /etc/hosts: localhost, the node's address with its FQDN and short name (when
 * both are known), the IPv6 names, then extra entries grouped by IP (aliases in
 * order) and sorted by IP. Columns are aligned like Go's tabwriter (padding 1).
 */
export function renderHosts(hostname: HostnameStatus | undefined, nodeAddress: string | undefined, extra: readonly HostEntry[]): string {
  const rows: Array<[string, string]> = [['127.0.0.1', 'localhost']];
  if (hostname && hostname.hostname !== '' && nodeAddress) {
    const fqdn = hostname.domainname ? `${hostname.hostname}.${hostname.domainname}` : hostname.hostname;
    rows.push([nodeAddress, fqdn === hostname.hostname ? fqdn : `${fqdn} ${hostname.hostname}`]);
  }
  rows.push(['::1', 'localhost ip6-localhost ip6-loopback'], ['ff02::1', 'ip6-allnodes'], ['ff02::2', 'ip6-allrouters']);
  const grouped = new Map<string, string[]>();
  for (const e of extra) grouped.set(e.ip, [...(grouped.get(e.ip) ?? []), ...e.aliases]);
  for (const ip of [...grouped.keys()].sort()) rows.push([ip, grouped.get(ip)!.join(' ')]);
  const width = Math.max(...rows.map(([ip]) => ip.length)) + 1;
  return rows.map(([ip, names]) => `${ip.padEnd(width)}${names}\n`).join('');
}

/** A short description of how a file changes: "-nameserver 8.8.8.8, +nameserver 10.0.0.53". */
export function lineDiff(before: string | null, after: string | null): string {
  const a = (before ?? '').split('\n').filter((l) => l !== '');
  const b = (after ?? '').split('\n').filter((l) => l !== '');
  const removed = a.filter((l) => !b.includes(l)).map((l) => `-${l}`);
  const added = b.filter((l) => !a.includes(l)).map((l) => `+${l}`);
  return [...removed, ...added].join(', ') || 'same lines, new order';
}
