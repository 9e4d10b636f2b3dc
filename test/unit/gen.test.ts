// netcfg gen: WireGuard keys (checked against the real `wg pubkey` and RFC 7748)
// and per-node WireGuard network configs (checked with the config loader).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { runGen, wireguardNetwork, type WireguardNetworkOptions } from '../../src/cli/gen.js';
import { UsageError } from '../../src/cli/usage.js';
import { parseConfig } from '../../src/config/load.js';
import { generatePrivateKey, publicKey } from '../../src/net/wgkey.js';

const WG = '/usr/bin/wg';

function wgPubkey(privateKey: string): string {
  return execFileSync(WG, ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim();
}

const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/** Deterministic clamped private key for node i. */
function deterministicKey(i: number): string {
  const k = crypto.createHash('sha256').update(`netcfg test node ${i}`).digest();
  k[0]! &= 248;
  k[31] = (k[31]! & 127) | 64;
  return k.toString('base64');
}

// ---------------------------------------------------------------- keys

describe('generatePrivateKey', () => {
  it('gives 44 characters of base64 for 32 clamped bytes', () => {
    for (let i = 0; i < 50; i++) {
      const k = generatePrivateKey();
      expect(k).toHaveLength(44);
      expect(k).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      const raw = Buffer.from(k, 'base64');
      expect(raw).toHaveLength(32);
      expect(raw.toString('base64')).toBe(k);
      expect(raw[0]! & 7).toBe(0);
      expect(raw[31]! & 0x80).toBe(0);
      expect(raw[31]! & 0x40).toBe(0x40);
    }
  });

  it('gives a different key each time', () => {
    const keys = new Set(Array.from({ length: 20 }, () => generatePrivateKey()));
    expect(keys.size).toBe(20);
  });
});

describe('publicKey', () => {
  const ALICE_PRIVATE = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
  const ALICE_PUBLIC = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';

  it('matches the RFC 7748 §6.1 test vector (Alice)', () => {
    expect(publicKey(hexToBase64(ALICE_PRIVATE))).toBe(hexToBase64(ALICE_PUBLIC));
  });

  it('matches the RFC 7748 §6.1 test vector (Bob)', () => {
    expect(publicKey(hexToBase64('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'))).toBe(
      hexToBase64('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
    );
  });

  it('agrees with `wg pubkey` on the RFC 7748 vector', () => {
    expect(wgPubkey(hexToBase64(ALICE_PRIVATE))).toBe(hexToBase64(ALICE_PUBLIC));
    expect(publicKey(hexToBase64(ALICE_PRIVATE))).toBe(wgPubkey(hexToBase64(ALICE_PRIVATE)));
  });

  it('agrees with `wg pubkey` on random keys (generated and unclamped)', () => {
    const keys = [
      ...Array.from({ length: 12 }, () => generatePrivateKey()),
      ...Array.from({ length: 8 }, () => crypto.randomBytes(32).toString('base64')),
      Buffer.alloc(32, 0xff).toString('base64'),
    ];
    for (const k of keys) expect(publicKey(k), k).toBe(wgPubkey(k));
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => publicKey('')).toThrow();
    expect(() => publicKey(Buffer.alloc(31, 1).toString('base64'))).toThrow();
    expect(() => publicKey(Buffer.alloc(33, 1).toString('base64'))).toThrow();
  });
});

// ---------------------------------------------------------------- networks

interface Peer {
  publicKey: string;
  endpoint?: string;
  allowedIPs: string[];
  persistentKeepaliveInterval: string;
}
interface Wireguard {
  privateKey: string;
  listenPort?: number;
  peers: Peer[];
}
interface Iface {
  interface: string;
  addresses: string[];
  wireguard: Wireguard;
}
interface Generated {
  version: string;
  machine: { type: string; network: { interfaces: Iface[] } };
}

/** The generated config, typed through a YAML round trip (what ends up in the files). */
function configOf(c: Record<string, unknown>): Generated {
  return YAML.parse(YAML.stringify(c)) as Generated;
}

function iface(c: Record<string, unknown>): Iface {
  const i = configOf(c).machine.network.interfaces;
  expect(i).toHaveLength(1);
  return i[0]!;
}

const base: WireguardNetworkOptions = { cidr: '10.1.0.0/24', controlplanes: ['192.0.2.1', '192.0.2.2'], workers: ['192.0.2.3'], keys: deterministicKey };

describe('wireguardNetwork', () => {
  const nodes = wireguardNetwork(base);
  const pub = (i: number) => publicKey(deterministicKey(i));

  it('makes one config per node, control planes first', () => {
    expect(nodes.map((n) => n.name)).toEqual(['controlplane-1', 'controlplane-2', 'worker-1']);
    expect(nodes.map((n) => configOf(n.config).machine.type)).toEqual(['controlplane', 'controlplane', 'worker']);
    expect(nodes.map((n) => configOf(n.config).version)).toEqual(['v1alpha1', 'v1alpha1', 'v1alpha1']);
  });

  it('numbers WireGuard addresses from .1 with the network prefix length', () => {
    expect(nodes.map((n) => n.node.wgIP)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(nodes.map((n) => iface(n.config).addresses)).toEqual([['10.1.0.1/24'], ['10.1.0.2/24'], ['10.1.0.3/24']]);
    expect(nodes.map((n) => iface(n.config).interface)).toEqual(['wg0', 'wg0', 'wg0']);
  });

  it('uses the given keys and derives the public keys from them', () => {
    nodes.forEach((n, i) => {
      expect(iface(n.config).wireguard.privateKey).toBe(deterministicKey(i));
      expect(n.node.privateKey).toBe(deterministicKey(i));
      expect(n.node.publicKey).toBe(pub(i));
    });
  });

  it('control planes listen on 51111 and peer with every other node', () => {
    for (const [i, n] of nodes.slice(0, 2).entries()) {
      const wg = iface(n.config).wireguard;
      expect(wg.listenPort).toBe(51111);
      const others = [0, 1, 2].filter((j) => j !== i);
      expect(wg.peers.map((p) => p.publicKey)).toEqual(others.map(pub));
    }
  });

  it('the worker has no listen port and peers only with the control planes', () => {
    const wg = iface(nodes[2]!.config).wireguard;
    expect(wg.listenPort).toBeUndefined();
    expect('listenPort' in wg).toBe(false);
    expect(wg.peers).toEqual([
      { publicKey: pub(0), endpoint: '192.0.2.1:51111', allowedIPs: ['10.1.0.1/32'], persistentKeepaliveInterval: '5s' },
      { publicKey: pub(1), endpoint: '192.0.2.2:51111', allowedIPs: ['10.1.0.2/32'], persistentKeepaliveInterval: '5s' },
    ]);
  });

  it('gives endpoints only for control-plane peers', () => {
    const wg = iface(nodes[0]!.config).wireguard;
    expect(wg.peers).toEqual([
      { publicKey: pub(1), endpoint: '192.0.2.2:51111', allowedIPs: ['10.1.0.2/32'], persistentKeepaliveInterval: '5s' },
      { publicKey: pub(2), allowedIPs: ['10.1.0.3/32'], persistentKeepaliveInterval: '5s' },
    ]);
    expect('endpoint' in wg.peers[1]!).toBe(false);
  });

  it('never puts a private key into a peer entry', () => {
    for (const n of nodes) {
      const text = YAML.stringify(n.config);
      for (let j = 0; j < nodes.length; j++) {
        if (nodes[j] !== n) expect(text).not.toContain(deterministicKey(j));
      }
    }
  });

  it('generates fresh, clamped keys when none are given', () => {
    const gen = wireguardNetwork({ cidr: '10.1.0.0/24', controlplanes: ['192.0.2.1'], workers: ['192.0.2.3'] });
    const [a, b] = gen.map((n) => n.node.privateKey);
    expect(a).not.toBe(b);
    for (const n of gen) {
      expect(Buffer.from(n.node.privateKey, 'base64')).toHaveLength(32);
      expect(n.node.publicKey).toBe(publicKey(n.node.privateKey));
    }
  });

  it('uses the interface name given', () => {
    const gen = wireguardNetwork({ ...base, interfaceName: 'wgnet' });
    expect(gen.map((n) => iface(n.config).interface)).toEqual(['wgnet', 'wgnet', 'wgnet']);
  });

  it('brackets an IPv6 underlay address in endpoints', () => {
    const gen = wireguardNetwork({ cidr: '10.1.0.0/24', controlplanes: ['2001:db8::1'], workers: ['192.0.2.3'], keys: deterministicKey });
    expect(iface(gen[1]!.config).wireguard.peers[0]?.endpoint).toBe('[2001:db8::1]:51111');
  });

  it('uses /128 allowed IPs for an IPv6 WireGuard network', () => {
    const gen = wireguardNetwork({ cidr: 'fd00:1::/64', controlplanes: ['2001:db8::1'], workers: ['2001:db8::2'], keys: deterministicKey });
    expect(gen.map((n) => n.node.wgIP)).toEqual(['fd00:1::1', 'fd00:1::2']);
    expect(gen.map((n) => iface(n.config).addresses)).toEqual([['fd00:1::1/64'], ['fd00:1::2/64']]);
    expect(iface(gen[0]!.config).wireguard.peers).toEqual([{ publicKey: publicKey(deterministicKey(1)), allowedIPs: ['fd00:1::2/128'], persistentKeepaliveInterval: '5s' }]);
    expect(iface(gen[1]!.config).wireguard.peers).toEqual([
      { publicKey: publicKey(deterministicKey(0)), endpoint: '[2001:db8::1]:51111', allowedIPs: ['fd00:1::1/128'], persistentKeepaliveInterval: '5s' },
    ]);
  });

  it('carries host numbers across byte boundaries', () => {
    const gen = wireguardNetwork({ cidr: '10.1.0.0/23', controlplanes: Array.from({ length: 300 }, (_, i) => `192.0.${2 + (i >> 8)}.${i & 0xff}`), workers: [], keys: deterministicKey });
    expect(gen[254]?.node.wgIP).toBe('10.1.0.255');
    expect(gen[255]?.node.wgIP).toBe('10.1.1.0');
    expect(gen[299]?.node.wgIP).toBe('10.1.1.44');
  });

  it('fits exactly as many nodes as the prefix has hosts', () => {
    expect(wireguardNetwork({ cidr: '10.1.0.0/30', controlplanes: ['192.0.2.1'], workers: ['192.0.2.2'], keys: deterministicKey })).toHaveLength(2);
  });

  describe('errors', () => {
    const fails = (o: Partial<WireguardNetworkOptions>, message: RegExp) => {
      expect(() => wireguardNetwork({ ...base, ...o })).toThrow(UsageError);
      expect(() => wireguardNetwork({ ...base, ...o })).toThrow(message);
    };

    it('rejects a cidr with host bits', () => fails({ cidr: '10.1.0.5/24' }, /--cidr must be a network/));
    it('rejects a cidr that does not parse', () => fails({ cidr: '10.1.0.0' }, /--cidr must be a network/));
    it('rejects a network without a control plane', () => fails({ controlplanes: [] }, /at least one --controlplane/));
    it('rejects more nodes than the prefix holds', () => fails({ cidr: '10.1.0.0/30' }, /room for 2 nodes, not 3/));
    it('rejects a control-plane address that is not an IP', () => fails({ controlplanes: ['cp1.example.com'] }, /"cp1.example.com" is not an IP address/));
    it('rejects a worker address that is not an IP', () => fails({ workers: ['192.0.2.300'] }, /"192.0.2.300" is not an IP address/));
  });
});

describe('generated configs validate', () => {
  const cases: Array<[string, WireguardNetworkOptions]> = [
    ['IPv4', base],
    ['IPv6', { cidr: 'fd00:1::/64', controlplanes: ['2001:db8::1', '2001:db8::2'], workers: ['2001:db8::3'], keys: deterministicKey }],
    ['random keys', { cidr: '172.16.0.0/16', controlplanes: ['198.51.100.1'], workers: ['198.51.100.2', '198.51.100.3'] }],
  ];
  for (const [label, o] of cases) {
    it(`${label}: every config loads without errors`, () => {
      for (const n of wireguardNetwork(o)) {
        const text = YAML.stringify(n.config);
        const loaded = parseConfig(`${n.name}.yaml`, text);
        expect(loaded.notes.filter((x) => x.severity === 'error'), n.name).toEqual([]);
        const device = loaded.config.machine?.network?.interfaces?.[0];
        expect(device?.wireguard?.privateKey, n.name).toBe(n.node.privateKey);
        expect(device?.wireguard?.peers?.length, n.name).toBe(n.node.role === 'controlplane' ? (o.controlplanes.length + o.workers.length - 1) : o.controlplanes.length);
      }
    });
  }
});

// ---------------------------------------------------------------- runGen

describe('runGen', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-gen-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const noStdin = () => Promise.reject(new Error('stdin not expected'));

  it('wireguard writes one private (0600) file per node, each starting with a comment line', async () => {
    const dir = path.join(tmp(), 'out');
    const printed: string[] = [];
    const code = await runGen(['wireguard', '--cidr', '10.1.0.0/24', '--controlplane', '192.0.2.1,192.0.2.2', '--worker', '192.0.2.3', '--output-dir', dir], (s) => printed.push(s), noStdin);
    expect(code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['controlplane-1.yaml', 'controlplane-2.yaml', 'worker-1.yaml']);
    expect(printed).toEqual([
      `${path.join(dir, 'controlplane-1.yaml')}: controlplane 192.0.2.1 → 10.1.0.1`,
      `${path.join(dir, 'controlplane-2.yaml')}: controlplane 192.0.2.2 → 10.1.0.2`,
      `${path.join(dir, 'worker-1.yaml')}: worker 192.0.2.3 → 10.1.0.3`,
    ]);
    const publicKeys: string[] = [];
    for (const [name, ip, wgIP] of [
      ['controlplane-1', '192.0.2.1', '10.1.0.1'],
      ['controlplane-2', '192.0.2.2', '10.1.0.2'],
      ['worker-1', '192.0.2.3', '10.1.0.3'],
    ] as const) {
      const file = path.join(dir, `${name}.yaml`);
      expect(fs.statSync(file).mode & 0o777, file).toBe(0o600);
      const text = fs.readFileSync(file, 'utf8');
      const first = text.split('\n')[0]!;
      expect(first).toMatch(new RegExp(`^# ${name}: ${ip.replaceAll('.', '\\.')}, ${wgIP.replaceAll('.', '\\.')} on WireGuard \\(public key [A-Za-z0-9+/]{43}=\\)$`));
      const loaded = parseConfig(file, text);
      const wg = loaded.config.machine?.network?.interfaces?.[0]?.wireguard;
      const pub = /public key (\S+)\)/.exec(first)?.[1] ?? '';
      expect(publicKey(wg?.privateKey ?? '')).toBe(pub);
      expect(first).not.toContain(wg?.privateKey ?? '');
      publicKeys.push(pub);
    }
    // the worker's peers are the two control planes' public keys
    const worker = parseConfig('w.yaml', fs.readFileSync(path.join(dir, 'worker-1.yaml'), 'utf8'));
    expect(worker.config.machine?.network?.interfaces?.[0]?.wireguard?.peers?.map((p) => p.publicKey)).toEqual(publicKeys.slice(0, 2));
  });

  it('wireguard accepts --flag=value and --interface', async () => {
    const dir = tmp();
    await runGen(['wireguard', '--cidr=10.2.0.0/24', '--controlplane=192.0.2.1', '--interface', 'wgx', `--output-dir=${dir}`], () => {}, noStdin);
    const cfg = parseConfig('c.yaml', fs.readFileSync(path.join(dir, 'controlplane-1.yaml'), 'utf8'));
    expect(cfg.config.machine?.network?.interfaces?.[0]?.interface).toBe('wgx');
    expect(cfg.config.machine?.network?.interfaces?.[0]?.addresses).toEqual(['10.2.0.1/24']);
  });

  it('wireguard makes an existing, world-readable file private when it overwrites it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'controlplane-1.yaml');
    fs.writeFileSync(file, 'old\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    await runGen(['wireguard', '--cidr', '10.1.0.0/24', '--controlplane', '192.0.2.1', '--output-dir', dir], () => {}, noStdin);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^# controlplane-1: /);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('wireguard rejects unknown options, a missing --cidr and a missing control plane', async () => {
    const dir = tmp();
    await expect(runGen(['wireguard', '--cidr', '10.1.0.0/24', '--controlplane', '192.0.2.1', '--bogus', '--output-dir', dir], () => {}, noStdin)).rejects.toThrow(UsageError);
    await expect(runGen(['wireguard', '--controlplane', '192.0.2.1', '--output-dir', dir], () => {}, noStdin)).rejects.toThrow(UsageError);
    await expect(runGen(['wireguard', '--cidr', '10.1.0.0/24', '--output-dir', dir], () => {}, noStdin)).rejects.toThrow(UsageError);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('wgkey prints a new clamped private key', async () => {
    const printed: string[] = [];
    expect(await runGen(['wgkey'], (s) => printed.push(s), noStdin)).toBe(0);
    expect(printed).toHaveLength(1);
    const raw = Buffer.from(printed[0]!, 'base64');
    expect(printed[0]).toHaveLength(44);
    expect(raw).toHaveLength(32);
    expect(raw[0]! & 7).toBe(0);
    expect(raw[31]! & 0xc0).toBe(0x40);
  });

  it('wgpubkey prints the public key of the key on stdin (surrounding whitespace ignored)', async () => {
    const printed: string[] = [];
    const k = deterministicKey(7);
    expect(await runGen(['wgpubkey'], (s) => printed.push(s), () => Promise.resolve(`  ${k}\n`))).toBe(0);
    expect(printed).toEqual([publicKey(k)]);
  });

  it('wgpubkey rejects a bad key with a UsageError', async () => {
    for (const bad of ['', 'not a key', Buffer.alloc(31, 1).toString('base64'), Buffer.alloc(48, 1).toString('base64')]) {
      const printed: string[] = [];
      await expect(runGen(['wgpubkey'], (s) => printed.push(s), () => Promise.resolve(bad)), JSON.stringify(bad)).rejects.toThrow(UsageError);
      expect(printed).toEqual([]);
    }
  });

  it('rejects an unknown or missing subcommand with a UsageError', async () => {
    await expect(runGen([], () => {}, noStdin)).rejects.toThrow(UsageError);
    await expect(runGen(['wgkeys'], () => {}, noStdin)).rejects.toThrow(UsageError);
  });
});
