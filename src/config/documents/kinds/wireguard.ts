// WireguardConfig: a WireGuard link netcfg creates, with its peers (talos-multidoc.md §3.9). Secret document.
import { z } from 'zod';
import { commonLinkFields, nameField, requireName, validateCommon } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { addrPort, duration, goDurationMs, list, prefix, text, type Problem } from '../fields.js';
import { expected } from '../../fields.js';

const int = (what: string) => z.number({ error: (iss) => expected(`${what} (an integer)`, iss.input) }).int({ error: (iss) => expected(`${what} (an integer)`, iss.input) });

const peerSchema = () =>
  z.strictObject({
  publicKey: text('a public key').optional().describe('Peer public key (base64, 32 bytes).'),
  presharedKey: text('a preshared key').optional().describe('Optional preshared key (base64, 32 bytes). Secret.'),
  endpoint: addrPort('peer endpoint').optional().describe('ip:port (no host names); absent: wait for the peer.'),
  persistentKeepaliveInterval: duration('persistentKeepaliveInterval').optional(),
  allowedIPs: list(prefix('allowed IP prefix'), 'a list of prefixes').optional(),
  });

export const WireguardConfigSchema = documentSchema('WireguardConfig', 'Creates a WireGuard link with its peers.', () => ({
  name: nameField('Name of the WireGuard link to create.'),
  privateKey: text('a private key').optional().describe('Private key (wg genkey; base64, 32 bytes). Secret.'),
  listenPort: int('listenPort').optional().describe('UDP port; 0 or absent: random.'),
  firewallMark: int('firewallMark').optional(),
  peers: list(peerSchema(), 'a list of peers').optional(),
  ...commonLinkFields(),
}));

export type WireguardConfigSpec = z.infer<typeof WireguardConfigSchema>;

/** Why a WireGuard key does not decode (standard base64) to 32 bytes, in Go's words. */
export function wgKeyProblem(v: string): string | undefined {
  const bad = /[^A-Za-z0-9+/=]/.exec(v);
  if (bad) return `illegal base64 data at input byte ${bad.index}`;
  const pad = /=*$/.exec(v)![0].length;
  const body = v.length - pad;
  if (v.slice(0, body).includes('=') || v.length % 4 !== 0 || pad > 2) return `illegal base64 data at input byte ${v.slice(0, body).includes('=') ? v.indexOf('=') : body}`;
  return Buffer.from(v, 'base64').length === 32 ? undefined : 'invalid wireguard key length';
}

export const wireguardConfig = defineKind<WireguardConfigSpec>({
  kind: 'WireguardConfig',
  schema: WireguardConfigSchema,
  validate(d) {
    const out: Problem[] = [...requireName(d.name)];
    if (d.privateKey === undefined || d.privateKey === '') out.push({ path: [], message: 'wireguard private key must be specified' });
    else {
      const p = wgKeyProblem(d.privateKey);
      if (p) out.push({ path: ['privateKey'], message: `wireguard private key is invalid: ${p}` });
    }
    if (d.listenPort !== undefined && (d.listenPort < 0 || d.listenPort > 65535)) out.push({ path: ['listenPort'], message: 'wireguard listen port must be between 0 and 65535' });
    d.peers?.forEach((peer, i) => {
      if (peer.publicKey === undefined || peer.publicKey === '') out.push({ path: ['peers', i], message: `wireguard peer public key must be specified (peer index ${i})` });
      else {
        const p = wgKeyProblem(peer.publicKey);
        if (p) out.push({ path: ['peers', i, 'publicKey'], message: `wireguard peer public key is invalid (peer index ${i}): ${p}` });
      }
      if (peer.presharedKey !== undefined && peer.presharedKey !== '') {
        const p = wgKeyProblem(peer.presharedKey);
        if (p) out.push({ path: ['peers', i, 'presharedKey'], message: `wireguard peer preshared key is invalid (peer index ${i}): ${p}` });
      }
      if (peer.persistentKeepaliveInterval !== undefined && (goDurationMs(peer.persistentKeepaliveInterval) ?? 0) < 0) {
        out.push({ path: ['peers', i, 'persistentKeepaliveInterval'], message: `wireguard peer persistent keepalive interval cannot be negative (peer index ${i})` });
      }
    });
    return [...out, ...validateCommon(d)];
  },
  use: { applied: true },
});
