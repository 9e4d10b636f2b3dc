// WireGuard at KubeSpan scale on a real kernel (runs in the test VM): a
// thousand peers, and a peer with thousands of allowed IPs, applied as netcfg's
// link controller does it (read the device, diff, split WG_CMD_SET_DEVICE
// messages); `wg show` holds exactly what was asked, and applying it again
// sends nothing. (Config parsing of 1000 peers is left out: under the lane's
// emulated CPU it alone takes minutes; the CLI path is wireguard.kernel.ts.)
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { wireguardDelta } from '../../src/controllers/spec/link-kinds.js';
import { RtnlClient } from '../../src/netlink/rtnetlink/client.js';
import type { WireguardPeerSpec, WireguardSpec } from '../../src/resources/network/types.js';
import { createTestNet, type TestNet } from '../helpers/netns.js';

const hex = (n: number) => n.toString(16);
/** A 32-byte key (any 32 bytes are a valid X25519 public key to the kernel). */
const key = (i: number, salt = 'peer') => crypto.createHash('sha256').update(`${salt}${i}`).digest().toString('base64');

/** KubeSpan-like peers: node address, pod CIDR, KubeSpan ULA and an IPv6 network each. */
function peers(n: number): WireguardPeerSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    publicKey: key(i),
    presharedKey: key(0, 'psk'),
    endpoint: `192.0.2.${(i % 250) + 1}:51820`,
    persistentKeepaliveIntervalMs: 25_000,
    allowedIPs: [`192.168.${i >> 8}.${i & 255}/32`, `10.${(i >> 8) + 1}.${i & 255}.0/24`, `fd7f:175a:b97c:5602::${hex(i + 1)}/128`, `2001:db8:${hex(i + 1)}::/48`],
  }));
}

const spec = (list: WireguardPeerSpec[]): WireguardSpec => ({ privateKey: key(0, 'private'), listenPort: 51820, firewallMark: 0x20, peers: list });

async function device(net: TestNet) {
  execFileSync('ip', ['-n', net.ns, 'link', 'add', 'wg0', 'type', 'wireguard']);
  const client = RtnlClient.open({ netns: net.ns });
  onTestFinished(() => client.close());
  const wg = client.wireguard();
  /** One apply as LinkSpecController does it; returns the change summary and the messages sent. */
  const apply = async (want: WireguardSpec) => {
    const before = client.stats.writes;
    const delta = wireguardDelta(want, (await wg.getDevice('wg0'))!);
    if (delta) await wg.setDevice('wg0', delta.change);
    return { summary: delta?.summary ?? [], messages: client.stats.writes - before };
  };
  return { apply };
}

/** `wg show wg0 dump`: peer → [endpoint, sorted allowed IPs, keepalive, preshared key]. */
function wgShow(net: TestNet): Map<string, [string, string[], string, string]> {
  const [, ...lines] = execFileSync('ip', ['netns', 'exec', net.ns, 'wg', 'show', 'wg0', 'dump'], { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
  return new Map(
    lines.map((l) => {
      const f = l.split('\t');
      return [f[0]!, [f[2]!, f[3] === '(none)' ? [] : f[3]!.split(',').sort(), f[7]!, f[1]!]];
    }),
  );
}

function expectShown(net: TestNet, list: WireguardPeerSpec[]): void {
  const shown = wgShow(net);
  expect(shown.size).toBe(list.length);
  for (const p of list) expect(shown.get(p.publicKey), p.publicKey).toEqual([p.endpoint, [...p.allowedIPs].sort(), '25', p.presharedKey]);
}

describe('WireGuard at scale', () => {
  it('1000 peers with 4 allowed IPs each: wg show agrees; a second apply makes no change; one peer changed, one removed', async () => {
    const net = createTestNet({ interfaces: 0 });
    const { apply } = await device(net);
    const list = peers(1000);
    const first = await apply(spec(list));
    expect(first.summary).toEqual(['private key', 'listen port 0 → 51820', 'fwmark 0 → 32', '+1000 peers']);
    // one message cannot carry them: split as wg does
    expect(first.messages).toBeGreaterThan(5);
    expectShown(net, list);
    expect(execFileSync('ip', ['netns', 'exec', net.ns, 'wg', 'show', 'wg0', 'listen-port'], { encoding: 'utf8' }).trim()).toBe('51820');

    expect(await apply(spec(list))).toEqual({ summary: [], messages: 0 });

    const changed = list.filter((_, i) => i !== 500).map((p, i) => (i === 7 ? { ...p, allowedIPs: [...p.allowedIPs.slice(1), '198.51.100.7/32'] } : p));
    const third = await apply(spec(changed));
    expect(third).toEqual({ summary: [`~peer ${list[7]!.publicKey.slice(0, 8)}…`, `-peer ${list[500]!.publicKey.slice(0, 8)}…`], messages: 1 });
    expectShown(net, changed);
    expect((await apply(spec(changed))).messages).toBe(0);
  });

  it('a peer with 3000 allowed IPs spans several messages and arrives whole', async () => {
    const net = createTestNet({ interfaces: 0 });
    const { apply } = await device(net);
    const big: WireguardPeerSpec = { ...peers(1)[0]!, publicKey: key(1, 'big'), allowedIPs: Array.from({ length: 3000 }, (_, i) => (i % 2 ? `2001:db9:${hex(i)}::/48` : `172.${16 + (i >> 8)}.${i & 255}.0/24`)) };
    const list = [big, ...peers(2)];
    expect((await apply(spec(list))).messages).toBeGreaterThan(1);
    expectShown(net, list);
    expect((await apply(spec(list))).messages).toBe(0);
    // the big peer's list replaced by a short one: the old allowed IPs go
    const shrunk = [{ ...big, allowedIPs: ['172.31.0.0/16'] }, ...peers(2)];
    await apply(spec(shrunk));
    expectShown(net, shrunk);
  });
});
