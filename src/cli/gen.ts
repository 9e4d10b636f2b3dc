// netcfg gen: WireGuard keys, and WireGuard network configs for a cluster
// (as `talosctl cluster create --wireguard-cidr` builds them): every control
// plane listens on 51111, every node peers with every control plane, and
// peers send a keepalive every 5 s so control planes reach workers behind NAT.
import fs from 'node:fs';
import path from 'node:path';
import { formatIP, parseIP, parsePrefix, networkOf, hasHostBits, type IP, type Prefix } from '../net/ip.js';
import { generatePrivateKey, publicKey } from '../net/wgkey.js';
import { joinEndpoint } from '../controllers/spec/link-kinds.js';
import { EXIT_OK, UsageError } from './usage.js';
import { GEN_WIREGUARD_OPTIONS } from './commands.js';
import { yamlModule } from '../util/lazy.js';

export const WIREGUARD_PORT = 51111;
export const KEEPALIVE = '5s';

interface Node {
  role: 'controlplane' | 'worker';
  /** Address on the underlying network (peers' endpoints). */
  ip: string;
  /** Address inside the WireGuard network. */
  wgIP: string;
  privateKey: string;
  publicKey: string;
}

/** The n-th host address of a prefix (n from 1). */
function hostAddress(p: Prefix, n: number): IP {
  const bytes = new Uint8Array(networkOf(p).bytes);
  let carry = n;
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const v = (bytes[i] ?? 0) + carry;
    bytes[i] = v & 0xff;
    carry = v >> 8;
  }
  return { family: p.family, bytes };
}

export interface WireguardNetworkOptions {
  cidr: string;
  controlplanes: string[];
  workers: string[];
  interfaceName?: string;
  keys?: (node: number) => string;
}

/** One machine config per node: control planes first, then workers, addresses in that order. */
export function wireguardNetwork(o: WireguardNetworkOptions): Array<{ name: string; config: Record<string, unknown>; node: Node }> {
  const prefix = parsePrefix(o.cidr);
  if (!prefix || hasHostBits(prefix)) throw new UsageError(`--cidr must be a network such as 10.1.0.0/24, got "${o.cidr}"`);
  const all = [...o.controlplanes.map((ip) => ({ role: 'controlplane' as const, ip })), ...o.workers.map((ip) => ({ role: 'worker' as const, ip }))];
  if (o.controlplanes.length === 0) throw new UsageError('gen wireguard needs at least one --controlplane address');
  const capacity = 2 ** (prefix.bytes.length * 8 - prefix.bits) - 2;
  if (all.length > capacity) throw new UsageError(`${o.cidr} has room for ${capacity} nodes, not ${all.length}`);
  for (const n of all) if (!parseIP(n.ip)) throw new UsageError(`"${n.ip}" is not an IP address`);
  const nodes: Node[] = all.map((n, i) => {
    const privateKey = o.keys?.(i) ?? generatePrivateKey();
    return { ...n, wgIP: formatIP(hostAddress(prefix, i + 1)), privateKey, publicKey: publicKey(privateKey) };
  });
  const host = prefix.family === 'inet4' ? 32 : 128;
  const endpoint = (n: Node) => joinEndpoint(n.ip, WIREGUARD_PORT);
  const counters = { controlplane: 0, worker: 0 };
  return nodes.map((self) => {
    // control planes know every node; workers know the control planes
    const peers = nodes
      .filter((n) => n !== self && (self.role === 'controlplane' || n.role === 'controlplane'))
      .map((n) => ({
        publicKey: n.publicKey,
        ...(n.role === 'controlplane' ? { endpoint: endpoint(n) } : {}),
        allowedIPs: [`${n.wgIP}/${host}`],
        persistentKeepaliveInterval: KEEPALIVE,
      }));
    const config = {
      version: 'v1alpha1',
      machine: {
        type: self.role,
        network: {
          interfaces: [
            {
              interface: o.interfaceName ?? 'wg0',
              addresses: [`${self.wgIP}/${prefix.bits}`],
              wireguard: {
                privateKey: self.privateKey,
                ...(self.role === 'controlplane' ? { listenPort: WIREGUARD_PORT } : {}),
                peers,
              },
            },
          ],
        },
      },
    };
    counters[self.role]++;
    return { name: `${self.role}-${counters[self.role]}`, config, node: self };
  });
}

/** Writes a file holding a private key: mode 0600 before any byte is written, also when it already existed. */
function writePrivate(file: string, text: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Values after a flag up to the next flag, plus comma-separated lists and repeats. */
function listOption(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) {
      for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('--'); j++) out.push(...argv[j]!.split(',').filter(Boolean));
    } else if (argv[i]!.startsWith(`${flag}=`)) {
      out.push(...argv[i]!.slice(flag.length + 1).split(',').filter(Boolean));
    }
  }
  return out;
}

export async function runGen(argv: readonly string[], print: (s: string) => void, readStdin: () => Promise<string>): Promise<number> {
  const [what] = argv;
  if (what === 'wgkey') {
    print(generatePrivateKey());
    return EXIT_OK;
  }
  if (what === 'wgpubkey') {
    const key = (await readStdin()).trim();
    try {
      print(publicKey(key));
    } catch {
      throw new UsageError('gen wgpubkey reads a base64 private key (32 bytes) on standard input');
    }
    return EXIT_OK;
  }
  if (what === 'wireguard') {
    const rest = argv.slice(1);
    const known = new Set(Object.keys(GEN_WIREGUARD_OPTIONS).map((o) => `--${o}`));
    for (const a of rest) if (a.startsWith('--') && !known.has(a.split('=')[0]!)) throw new UsageError(`gen wireguard: unknown option ${a}`);
    const cidr = listOption(rest, '--cidr')[0];
    if (!cidr) throw new UsageError('gen wireguard needs --cidr, e.g. --cidr 10.1.0.0/24');
    const dir = listOption(rest, '--output-dir')[0] ?? '.';
    const nodes = wireguardNetwork({ cidr, controlplanes: listOption(rest, '--controlplane'), workers: listOption(rest, '--worker'), interfaceName: listOption(rest, '--interface')[0] ?? 'wg0' });
    fs.mkdirSync(dir, { recursive: true });
    for (const n of nodes) {
      const file = path.join(dir, `${n.name}.yaml`);
      writePrivate(file, `# ${n.name}: ${n.node.ip}, ${n.node.wgIP} on WireGuard (public key ${n.node.publicKey})\n${yamlModule().stringify(n.config)}`);
      print(`${file}: ${n.node.role} ${n.node.ip} → ${n.node.wgIP}`);
    }
    return EXIT_OK;
  }
  throw new UsageError('gen needs what to generate: wgkey, wgpubkey, or wireguard --cidr CIDR --controlplane IP… [--worker IP…] [--output-dir DIR]');
}
