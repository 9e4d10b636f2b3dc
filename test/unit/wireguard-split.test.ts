// WG_CMD_SET_DEVICE split as `wg` does it: many peers (and peers with many
// allowed IPs) spread over messages that each fit, and the kernel's handling of
// the sequence (wg_set_device: create or update each peer, replace its allowed
// IPs only when flagged, then add) ends with exactly the device asked for.
import { describe, expect, it } from 'vitest';
import { AttrReader } from '../../src/netlink/codec.js';
import { deviceMessageBytes, planDeviceMessages, WG_MESSAGE_BUDGET, type WgChange } from '../../src/netlink/wireguard.js';
import { formatBytes } from '../../src/net/ip.js';

interface ModelPeer {
  psk?: string;
  endpoint?: string;
  keepalive?: number;
  allowed: string[];
}

interface Model {
  privateKey?: string;
  listenPort?: number;
  fwmark?: number;
  peers: Map<string, ModelPeer>;
}

/** Applies one message's attributes as the kernel's wg_set_device does. */
function apply(model: Model, bytes: Buffer, seen: { deviceAttrs: number[]; replaceFlags: string[] }): void {
  const r = new AttrReader(bytes, 0, bytes.length);
  while (r.next()) {
    if (r.type === 3) model.privateKey = r.bytes().toString('base64');
    else if (r.type === 6) model.listenPort = r.u16();
    else if (r.type === 7) model.fwmark = r.u32();
    if ([3, 5, 6, 7].includes(r.type)) seen.deviceAttrs.push(r.type);
    if (r.type !== 8) continue;
    const peers = r.nested();
    while (peers.next()) {
      const p = peers.nested();
      let key = '';
      let flags = 0;
      const update: Partial<ModelPeer> = {};
      const allowed: string[] = [];
      while (p.next()) {
        if (p.type === 1) key = p.bytes().toString('base64');
        else if (p.type === 2) update.psk = p.bytes().toString('base64');
        else if (p.type === 3) flags = p.u32();
        else if (p.type === 4) update.endpoint = p.bytes().toString('hex');
        else if (p.type === 5) update.keepalive = p.u16();
        else if (p.type === 9) {
          const list = p.nested();
          while (list.next()) {
            const a = list.nested();
            let ip = '';
            let mask = 0;
            while (a.next()) {
              if (a.type === 2) ip = formatBytes(a.bytes());
              if (a.type === 3) mask = a.u8();
            }
            allowed.push(`${ip}/${mask}`);
          }
        }
      }
      if (flags & 1) {
        model.peers.delete(key);
        continue;
      }
      const peer = model.peers.get(key) ?? { allowed: [] };
      if (flags & 2) {
        peer.allowed = [];
        seen.replaceFlags.push(key);
      }
      Object.assign(peer, update);
      peer.allowed.push(...allowed);
      model.peers.set(key, peer);
    }
  }
}

const key = (i: number) => Buffer.alloc(32, 0).fill(i & 0xff, 0, 16).fill((i >> 8) & 0xff, 16).toString('base64');

function manyPeers(n: number, allowedPerPeer: number): WgChange {
  return {
    privateKey: key(65000),
    listenPort: 51820,
    firewallMark: 0x20,
    peers: Array.from({ length: n }, (_, i) => ({
      publicKey: key(i),
      presharedKey: key(64000),
      endpoint: `192.0.${i >> 8}.${i & 0xff}:51820`,
      persistentKeepalive: 25,
      replaceAllowedIPs: true,
      allowedIPs: Array.from({ length: allowedPerPeer }, (_, j) => (j % 2 === 0 ? `10.${(j >> 8) & 0xff}.${j & 0xff}.${i & 0xff}/32` : `fd00:${j.toString(16)}::${(i + 1).toString(16)}/128`)),
    })),
  };
}

function run(change: WgChange, budget?: number) {
  const messages = deviceMessageBytes('kubespan', change, budget);
  const model: Model = { peers: new Map() };
  const seen = { deviceAttrs: [] as number[], replaceFlags: [] as string[] };
  for (const m of messages) apply(model, m, seen);
  return { messages, model, seen };
}

describe('WG_CMD_SET_DEVICE splitting', () => {
  it('1000 peers with 4 allowed IPs each: messages within the budget, every peer whole, device settings once', () => {
    const change = manyPeers(1000, 4);
    const { messages, model, seen } = run(change);
    expect(messages.length).toBeGreaterThan(1);
    // genl header and netlink header aside, each message fits its budget (and a nested attribute's 64 KiB)
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(WG_MESSAGE_BUDGET);
    expect(seen.deviceAttrs).toEqual([3, 6, 7]);
    expect(model.privateKey).toBe(change.privateKey);
    expect(model.peers.size).toBe(1000);
    for (const p of change.peers!) {
      expect(model.peers.get(p.publicKey)).toEqual({ psk: p.presharedKey, endpoint: expect.any(String), keepalive: 25, allowed: p.allowedIPs });
    }
    // each peer's allowed IPs replaced exactly once, in its first part
    expect(seen.replaceFlags).toHaveLength(1000);
    // every message names the device
    for (const m of messages) expect(new AttrReader(m, 0, m.length).next()).toBe(true);
  });

  it("with wg's page-sized messages a peer with many allowed IPs continues across messages without re-replacing them", () => {
    const change = manyPeers(3, 600);
    const { messages, model, seen } = run(change, 4096);
    expect(messages.length).toBeGreaterThan(6);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(4096);
    for (const p of change.peers!) expect(model.peers.get(p.publicKey)!.allowed).toEqual(p.allowedIPs);
    expect(seen.replaceFlags).toEqual(change.peers!.map((p) => p.publicKey));
    // a continuation repeats only the public key
    const plan = planDeviceMessages('kubespan', change, 4096);
    const continued = plan[1]!.peers[0]!;
    expect(continued.head.length).toBe(36);
  });

  it('removals and a change without peers fit one message; the first message alone carries replace-peers', () => {
    expect(planDeviceMessages('wg0', { listenPort: 1 })).toHaveLength(1);
    const removals: WgChange = { replacePeers: true, peers: Array.from({ length: 2000 }, (_, i) => ({ publicKey: key(i), remove: true })) };
    const { messages } = run(removals);
    expect(messages.length).toBeGreaterThan(1);
    const flags = messages.map((m) => {
      const r = new AttrReader(m, 0, m.length);
      while (r.next()) if (r.type === 5) return r.u32();
      return 0;
    });
    expect(flags).toEqual([1, ...Array(messages.length - 1).fill(0)]);
    const model: Model = { peers: new Map(manyPeers(2000, 1).peers!.map((p) => [p.publicKey, { allowed: p.allowedIPs! }])) };
    for (const m of messages) apply(model, m, { deviceAttrs: [], replaceFlags: [] });
    expect(model.peers.size).toBe(0);
  });

  it('refuses an allowed IP that is not a CIDR', () => {
    expect(() => planDeviceMessages('wg0', { peers: [{ publicKey: key(1), allowedIPs: ['10.0.0.0/33'] }] })).toThrow(/allowed IP "10.0.0.0\/33" is not a CIDR/);
  });
});

describe('the WireGuard diff at scale', () => {
  it('summarises many peer changes as counts', async () => {
    const { wireguardDelta } = await import('../../src/controllers/spec/link-kinds.js');
    const peers = manyPeers(1000, 2).peers!.map((p) => ({ publicKey: p.publicKey, presharedKey: '', endpoint: p.endpoint!, persistentKeepaliveIntervalMs: 25_000, allowedIPs: p.allowedIPs! }));
    const device = { privateKey: key(65000), publicKey: '', listenPort: 51820, firewallMark: 0x20, peers: [] };
    const delta = wireguardDelta({ privateKey: key(65000), listenPort: 51820, firewallMark: 0x20, peers }, device)!;
    expect(delta.summary).toEqual(['+1000 peers']);
    expect(delta.change.peers).toHaveLength(1000);
    const have = {
      ...device,
      peers: [...peers.slice(1).map((p) => ({ publicKey: p.publicKey, presharedKey: '', endpoint: p.endpoint, persistentKeepalive: 25, allowedIPs: [...p.allowedIPs] })), { publicKey: key(5000), presharedKey: '', endpoint: '', persistentKeepalive: 0, allowedIPs: [] }],
    };
    // one peer missing, one extra: two changes, spelled out
    expect(wireguardDelta({ privateKey: key(65000), listenPort: 51820, firewallMark: 0x20, peers }, have)!.summary).toEqual([`+peer ${peers[0]!.publicKey.slice(0, 8)}…`, `-peer ${key(5000).slice(0, 8)}…`]);
  });
});

describe('the WireGuard diff and the kernel’s clamped private key', () => {
  it('a key that is not clamped equals the clamped one the kernel reports', async () => {
    const { wireguardDelta } = await import('../../src/controllers/spec/link-kinds.js');
    const { clampPrivateKey } = await import('../../src/net/wgkey.js');
    const raw = Buffer.alloc(32, 0xff).toString('base64');
    const clamped = clampPrivateKey(raw);
    expect(Buffer.from(clamped, 'base64')[0]).toBe(0xf8);
    expect(Buffer.from(clamped, 'base64')[31]).toBe(0x7f);
    const device = { privateKey: clamped, publicKey: '', listenPort: 1, firewallMark: 0, peers: [] };
    expect(wireguardDelta({ privateKey: raw, listenPort: 1, firewallMark: 0, peers: [] }, device)).toBeUndefined();
    expect(wireguardDelta({ privateKey: key(3), listenPort: 1, firewallMark: 0, peers: [] }, device)?.summary).toEqual(['private key']);
  });
});
