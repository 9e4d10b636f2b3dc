// WireGuard keys: Curve25519 (X25519) private keys, clamped as `wg genkey`
// does, and public keys derived with node's crypto.
import crypto from 'node:crypto';

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function generatePrivateKey(): string {
  const key = crypto.randomBytes(32);
  key[0]! &= 248;
  key[31] = (key[31]! & 127) | 64;
  return key.toString('base64');
}

/** The public key of a base64 private key (what `wg pubkey` prints). */
export function publicKey(privateKey: string): string {
  const raw = Buffer.from(privateKey, 'base64');
  if (raw.length !== 32) throw new Error(`a WireGuard private key is 32 bytes, got ${raw.length}`);
  const key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('base64');
}

/**
 * The private key as the kernel keeps (and reports) it: clamped. A key that is
 * not clamped works the same, but compares unequal to what `wg show` gives back.
 */
export function clampPrivateKey(privateKey: string): string {
  const key = Buffer.from(privateKey, 'base64');
  if (key.length !== 32) return privateKey;
  key[0]! &= 248;
  key[31] = (key[31]! & 127) | 64;
  return key.toString('base64');
}
