// One redaction list for logs and output: every secret field of the config
// schema (and what is derived from it) is replaced wherever it appears, in log
// lines at any depth and in what `get` and the daemon show; proxy URLs lose
// their credentials. Nothing else is touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/log.js';
import { redact, SECRET_FIELDS } from '../../src/redact.js';

const SECRETS = {
  machine: { token: 'machine-token-1', ca: { crt: 'Y3J0', key: 'machine-ca-key-2' }, env: { https_proxy: 'http://user:pw-3@proxy:3128' } },
  cluster: { id: 'cluster-id', secret: 'cluster-secret-4', token: 'cluster-token-5', aescbcEncryptionSecret: 'aescbc-6', secretboxEncryptionSecret: 'secretbox-7' },
  network: {
    interfaces: [
      {
        wireguard: { privateKey: 'wg-private-8', peers: [{ publicKey: 'pub', presharedKey: 'wg-psk-9' }] },
        vip: { ip: '192.0.2.5', equinixMetal: { apiToken: 'equinix-10' }, hcloud: { apiToken: 'hcloud-11' } },
      },
    ],
  },
  documents: [
    { kind: 'DiscoveryIdentityConfig', clusterID: 'id', clusterSecret: 'doc-secret-12' },
    { kind: 'HCloudVIPConfig', apiToken: 'doc-hcloud-13' },
    { kind: 'SideroLinkConfig', apiUrl: 'https://siderolink.example:443?jointoken=join-14', uniqueToken: 'unique-15' },
  ],
  statuses: { kubespan: { sharedSecret: 'shared-16' }, operator: { equinixMetalToken: 'op-equinix-17', hcloudToken: 'op-hcloud-18' }, proxy: { httpsProxy: 'http://u:pw-19@p:8080', httpProxy: 'http://p:8080' } },
};
const PLANTED = JSON.stringify(SECRETS).match(/[a-z-]+-\d+(?=["@&])/g)!;

describe('redaction', () => {
  it('planted every secret of the schema exactly once (the test itself is complete)', () => {
    expect(PLANTED).toHaveLength(19);
    expect(new Set(PLANTED).size).toBe(19);
  });

  it('redact() removes every one of them and keeps everything else', () => {
    const text = JSON.stringify(redact(SECRETS));
    for (const s of PLANTED) expect(text).not.toContain(s);
    expect(text).toContain('"publicKey":"pub"');
    expect(text).toContain('"ip":"192.0.2.5"');
    expect(text).toContain('http://[redacted]@proxy:3128');
    expect(text).toContain('"httpProxy":"http://p:8080"');
    expect(text).toContain('jointoken=[redacted]');
    expect(text).toContain('"crt":"Y3J0"');
  });

  it('a log line never carries them, at any depth', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-redact-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'log');
    const fd = fs.openSync(file, 'w');
    try {
      const log = createLogger('info', fd, false);
      log.info({ config: SECRETS, deep: { a: { b: { c: { d: { privateKey: 'deep-secret-99' } } } } } }, 'applying');
      log.child({ secret: 'child-secret-98' }).warn('from a child');
    } finally {
      fs.closeSync(fd);
    }
    const text = fs.readFileSync(file, 'utf8');
    for (const s of [...PLANTED, 'deep-secret-99', 'child-secret-98']) expect(text).not.toContain(s);
    expect(text).toContain('"msg":"applying"');
    expect(text.match(/\[redacted\]/g)!.length).toBeGreaterThan(15);
  });

  it('the list has each field once', () => {
    expect(SECRET_FIELDS.size).toBe(13);
  });
});
