// The stable hostname Talos derives from the node identity (talos-networkd.md
// §7.1): sha256 of the node ID's text, its first 8 bytes as a big-endian
// integer in lower-case base 36, then "talos-" + characters 1-3 + "-" + 4-6.
import crypto from 'node:crypto';

export function stableHostname(nodeId: string): string {
  const digest = crypto.createHash('sha256').update(nodeId, 'utf8').digest();
  const text = digest.readBigUInt64BE(0).toString(36);
  return `talos-${text.slice(1, 4)}-${text.slice(4, 7)}`;
}
