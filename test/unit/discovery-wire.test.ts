// The discovery wire format against ../shared/specs/talos-vectors.json:
// base62 node IDs, byte-exact ECB endpoints, the fixed-nonce GCM case,
// affiliate plaintexts (decode and re-encode byte-exact), data written by the
// real discovery-client, and endpoint URL normalisation.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { base62Decode, base62Encode } from '../../src/discovery/base62.js';
import { clusterKey, openData, openEndpoint, sealData, sealEndpoint } from '../../src/discovery/crypto.js';
import { normalizeEndpoint } from '../../src/discovery/endpoint-url.js';
import { AffiliateCodec, WatchResponseCodec } from '../../src/discovery/messages.js';
import { formatEndpoint, parseEndpoint } from '../../src/operators/discovery/convert.js';
import { describeWithShared, sharedPath } from '../helpers/shared.js';

interface Vector {
  id: string;
  kind: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}

function vectors(kind: string): Vector[] {
  const all = (JSON.parse(fs.readFileSync(sharedPath('specs', 'talos-vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors;
  const out = all.filter((v) => v.kind === kind);
  expect(out.length, `vectors of kind ${kind}`).toBeGreaterThan(0);
  return out;
}

const hex = (s: string) => Buffer.from(s, 'hex');

describeWithShared('discovery wire format (talos-vectors.json)', () => {
  it('base62-encodes bytes as jxskiss/base62 does', () => {
    for (const v of vectors('base62_encode')) {
      const input = hex(v.input.input_hex as string);
      expect(base62Encode(input), v.id).toBe(v.expected.encoded);
      expect(base62Decode(v.expected.encoded as string).toString('hex'), v.id).toBe(input.toString('hex'));
    }
  });

  it('decodes Talos node IDs (and their machine-id prefix) and re-encodes them unchanged', () => {
    for (const v of vectors('base62_decode')) {
      const decoded = base62Decode(v.input.node_id as string);
      expect(decoded.toString('hex'), v.id).toBe(v.expected.decoded_hex);
      expect(decoded.subarray(0, 16).toString('hex'), v.id).toBe(v.expected.machine_id);
      expect(base62Encode(decoded), v.id).toBe(v.input.node_id);
    }
    for (const v of vectors('node_id_machine_id')) {
      const id = (v.input.node_id ?? v.expected.node_id) as string;
      expect(base62Decode(id).subarray(0, 16).toString('hex'), v.id).toBe(v.expected.machine_id);
    }
  });

  it('round-trips random 32-byte identities', () => {
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256)));
      const s = base62Encode(b);
      expect(s).toMatch(/^[A-Za-z0-9]{43,45}$/);
      expect(base62Decode(s).equals(b)).toBe(true);
    }
  });

  it('encrypts endpoints with AES-256-ECB byte for byte as the real client', () => {
    for (const v of vectors('endpoint_ecb')) {
      const key = clusterKey(v.input.secret_base64 as string);
      expect(key.toString('hex')).toBe(v.input.aes256_key_hex);
      const endpoint = parseEndpoint(v.input.endpoint as string);
      const blob = sealEndpoint(key, endpoint);
      expect(blob.toString('hex'), v.id).toBe(v.expected.ecb_ciphertext_hex);
      expect(blob.toString('hex'), v.id).toBe(v.expected.observed_at_real_server_hex);
      expect(formatEndpoint(openEndpoint(key, blob)), v.id).toBe(v.input.endpoint);
    }
  });

  it('seals affiliate data with AES-256-GCM (fixed-nonce vector) and opens it', () => {
    for (const v of vectors('affiliate_gcm')) {
      const key = clusterKey(v.input.secret_base64 as string);
      const sealed = sealData(key, hex(v.input.plaintext_hex as string), hex(v.input.nonce_hex as string));
      expect(sealed.toString('hex')).toBe(v.expected.data_hex);
      expect(openData(key, sealed).toString('hex')).toBe(v.input.plaintext_hex);
      const tampered = Buffer.from(sealed);
      tampered[20]! ^= 1;
      expect(() => openData(key, tampered)).toThrow();
    }
  });

  it('encodes affiliate plaintexts byte-exact (decode, re-encode)', () => {
    for (const v of vectors('affiliate_plaintext_pb')) {
      const bytes = hex(v.expected.plaintext_hex as string);
      const pb = AffiliateCodec.decode(bytes);
      expect(pb.nodeId, v.id).toBe(v.input.affiliate_id);
      expect(AffiliateCodec.encode(pb).toString('hex'), v.id).toBe(v.expected.plaintext_hex);
    }
  });

  it('opens what the real discovery-client stored in the real service', () => {
    for (const v of vectors('affiliate_wire_observed')) {
      const key = clusterKey(v.input.secret_base64 as string);
      const data = hex(v.expected.data_hex as string);
      expect(openData(key, data).toString('hex'), v.id).toBe(v.expected.gcm_plaintext_hex);
      for (const e of v.expected.endpoint_blobs_hex as string[]) expect(() => openEndpoint(key, hex(e))).not.toThrow();
    }
  });

  it('encodes the local affiliate of the Talos test as the Go client does', () => {
    const v = vectors('affiliate_plaintext_pb').find((x) => x.id === 'affiliate-plaintext-7x1SuC8Ege')!;
    const encoded = AffiliateCodec.encode({
      nodeId: '7x1SuC8Ege5BGXdAfTEff5iQnlWZLfv9h1LGMxA2pYkC',
      addresses: [hex('c0a80304')],
      hostname: 'foo.com',
      nodename: 'bar',
      machineType: 'controlplane',
      operatingSystem: '',
      kubespan: {
        publicKey: 'PLPNBddmTgHJhtw0vxltq1ZBdPP9RNOEUd5JjJZzBRY=',
        address: hex('fd508d6042386302f85723fffe21d1e0'),
        additionalAddresses: [{ ip: hex('0af40301'), bits: 24 }],
        excludeAdvertisedAddresses: [{ ip: hex('00000000'), bits: 0 }],
      },
      controlPlane: { apiServerPort: 6443 },
    });
    expect(encoded.toString('hex')).toBe(v.expected.plaintext_hex);
  });

  it('normalises discovery service URLs as Talos', () => {
    const [v] = vectors('discovery_endpoint_normalize');
    const cases = v!.input.cases as Array<{ endpoint: string }>;
    const results = v!.expected.results as Array<{ addr?: string; insecure?: boolean; error?: boolean }>;
    cases.forEach((c, i) => {
      const want = results[i]!;
      if (want.error) expect(() => normalizeEndpoint(c.endpoint), c.endpoint).toThrow();
      else expect(normalizeEndpoint(c.endpoint), c.endpoint).toMatchObject({ endpoint: want.addr, insecure: want.insecure });
    });
  });
});

it('tells the snapshot message apart from a deletion only by its flag (empty snapshot encodes to nothing)', () => {
  expect(WatchResponseCodec.encode({ affiliates: [], deleted: false }).length).toBe(0);
  const d = WatchResponseCodec.decode(WatchResponseCodec.encode({ affiliates: [{ id: 'a', data: Buffer.alloc(0), endpoints: [] }], deleted: true }));
  expect(d).toMatchObject({ deleted: true, affiliates: [{ id: 'a' }] });
});
