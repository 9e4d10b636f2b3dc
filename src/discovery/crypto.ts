// Discovery payload cryptography (discovery-and-kubespan.md §2.1, §2.3, §2.4):
// the cluster secret's 32 raw bytes are the AES-256 key, used directly (no KDF)
// for both the affiliate data (GCM, random nonce) and the endpoints (ECB, so the
// same endpoint always gives the same bytes and the server can de-duplicate).
import crypto from 'node:crypto';
import { EndpointCodec, type PbEndpoint } from './messages.js';

export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
const BLOCK = 16;

/** The AES-256 key: standard base64 of exactly 32 bytes. */
export function clusterKey(secret: string): Buffer {
  const key = Buffer.from(secret, 'base64');
  if (key.length !== 32 || key.toString('base64') !== secret) throw new Error('the cluster secret (cluster.secret) is not standard base64 of 32 bytes');
  return key;
}

/** nonce(12) || AES-256-GCM(plaintext, no AAD) || tag(16). `nonce` only for tests (fixed vectors). */
export function sealData(key: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array = crypto.randomBytes(NONCE_SIZE)): Buffer {
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** The plaintext of sealData's output; throws when it is too short or does not authenticate. */
export function openData(key: Uint8Array, data: Uint8Array): Buffer {
  if (data.length < NONCE_SIZE + TAG_SIZE) throw new Error(`affiliate data of ${data.length} bytes is shorter than a nonce and a tag`);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_SIZE));
  decipher.setAuthTag(data.subarray(data.length - TAG_SIZE));
  return Buffer.concat([decipher.update(data.subarray(NONCE_SIZE, data.length - TAG_SIZE)), decipher.final()]);
}

/** len(pb) || pb, zero-padded to a multiple of 16, AES-256-ECB block by block. */
export function sealEndpoint(key: Uint8Array, endpoint: PbEndpoint): Buffer {
  const pb = EndpointCodec.encode(endpoint);
  if (pb.length > 255) throw new Error('endpoint too long');
  const plain = Buffer.alloc(Math.ceil((pb.length + 1) / BLOCK) * BLOCK);
  plain[0] = pb.length;
  pb.copy(plain, 1);
  const cipher = crypto.createCipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}

/** The endpoint in an ECB blob; throws when the length is not whole blocks or it does not decode. */
export function openEndpoint(key: Uint8Array, blob: Uint8Array): PbEndpoint {
  if (blob.length === 0 || blob.length % BLOCK !== 0) throw new Error(`endpoint blob of ${blob.length} bytes is not whole AES blocks`);
  const decipher = crypto.createDecipheriv('aes-256-ecb', key, null);
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(blob), decipher.final()]);
  const size = plain[0] ?? 0;
  if (size + 1 > plain.length) throw new Error('endpoint length byte exceeds the blob');
  return EndpointCodec.decode(plain.subarray(1, 1 + size));
}
