// This node's addresses as Talos's NodeAddress "current" (and, without external
// or SideroLink addresses, "routed") derives them from AddressStatus and
// LinkStatus (talos-networkd.md §7.5): global addresses, not loopback,
// link-local or multicast, not a SideroLink ULA (fdXX:…:XX03::/64 of the
// cluster's ULA scheme), on links that are up; sorted as netip.Addr (IPv4 first).
import { parsePrefix, formatIP, isMulticast } from '../../net/ip.js';
import type { AddressStatus } from '../../resources/network/types.js';

const SIDEROLINK_ULA = 0x03;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** `up`: the names of the links that are up (LinkStatus IDs). */
export function nodeAddresses(addresses: readonly AddressStatus[], up: ReadonlySet<string>): string[] {
  const out = new Map<string, Uint8Array>();
  for (const a of addresses) {
    if (a.scope !== 'global') continue;
    if (!up.has(a.linkName)) continue;
    const p = parsePrefix(a.address);
    if (!p) continue;
    const b = p.bytes;
    if (isMulticast(p)) continue;
    if (p.family === 'inet4' && (b[0] === 127 || (b[0] === 169 && b[1] === 254))) continue;
    if (p.family === 'inet6' && (b.every((x, i) => (i < 15 ? x === 0 : x === 1)) || (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80))) continue;
    if (p.family === 'inet6' && b[0] === 0xfd && b[7] === SIDEROLINK_ULA) continue;
    out.set(formatIP(p), b);
  }
  return [...out.entries()].sort((x, y) => compareBytes(x[1], y[1])).map(([text]) => text);
}
