// Bond attribute emission/comparison and the WireGuard delta (link-kinds.ts),
// checked against the Talos networkd spec (§1.1 bond fields and defaults,
// §3.3/§3.4 per-mode emission and WireGuard comparison rules).
import { describe, expect, it } from 'vitest';
import { bondAttributes, bondDifferences, wireguardDelta } from '../../src/controllers/spec/link-kinds.js';
import { IFLA_BOND, type BondData } from '../../src/netlink/rtnetlink/drivers/bond.js';
import type { WgDevice, WgPeer } from '../../src/netlink/wireguard.js';
import type { BondMasterSpec, WireguardPeerSpec, WireguardSpec } from '../../src/resources/network/types.js';

// ---------------------------------------------------------------- factories

/** A bond as the config layer builds it when nothing is set (enums at their first value, numbers 0). */
function bond(overrides: Partial<BondMasterSpec> = {}): BondMasterSpec {
  return {
    mode: 'balance-rr',
    xmitHashPolicy: 'layer2',
    lacpRate: 'slow',
    arpValidate: 'none',
    arpAllTargets: 'any',
    primary: '',
    primaryReselect: 'always',
    failOverMac: 'none',
    adSelect: 'stable',
    miimon: 0,
    updelay: 0,
    downdelay: 0,
    arpInterval: 0,
    resendIgmp: 0,
    minLinks: 0,
    lpInterval: 0,
    packetsPerSlave: 0,
    numPeerNotif: 0,
    tlbDynamicLb: 0,
    allSlavesActive: 0,
    useCarrier: true,
    adActorSysPrio: 0,
    adUserPortKey: 0,
    peerNotifyDelay: 0,
    ...overrides,
  };
}

/** A distinct, recognisable 32-byte base64 key (fill byte n). */
const key = (n: number) => Buffer.alloc(32, n).toString('base64');

const PRIVATE_OLD = key(0xa1);
const PRIVATE_NEW = key(0xb2);
const PEER_A = key(1);
const PEER_B = key(2);
const PEER_C = key(3);
const PSK = key(0xc3);

function peerSpec(overrides: Partial<WireguardPeerSpec> = {}): WireguardPeerSpec {
  return { publicKey: PEER_A, presharedKey: '', endpoint: '192.0.2.1:51820', persistentKeepaliveIntervalMs: 0, allowedIPs: ['10.1.0.1/32'], ...overrides };
}

function wgSpec(overrides: Partial<WireguardSpec> = {}): WireguardSpec {
  return { privateKey: PRIVATE_OLD, listenPort: 51820, firewallMark: 0, peers: [], ...overrides };
}

function wgPeer(overrides: Partial<WgPeer> = {}): WgPeer {
  return { publicKey: PEER_A, presharedKey: '', endpoint: '192.0.2.1:51820', persistentKeepalive: 0, allowedIPs: ['10.1.0.1/32'], ...overrides };
}

function wgDevice(overrides: Partial<WgDevice> = {}): WgDevice {
  return { privateKey: PRIVATE_OLD, publicKey: key(0xd4), listenPort: 51820, firewallMark: 0, peers: [], ...overrides };
}

/** The kernel's view of the spec peer (what it reads back after applying it). */
function kernelPeerFor(p: WireguardPeerSpec): WgPeer {
  return { publicKey: p.publicKey, presharedKey: p.presharedKey, endpoint: p.endpoint, persistentKeepalive: p.persistentKeepaliveIntervalMs / 1000, allowedIPs: [...p.allowedIPs] };
}

// ---------------------------------------------------------------- bonds

const MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
type Mode = (typeof MODES)[number];

/** Attributes every mode carries. */
const ALWAYS = [
  IFLA_BOND.MODE,
  IFLA_BOND.XMIT_HASH_POLICY,
  IFLA_BOND.ARP_ALL_TARGETS,
  IFLA_BOND.PRIMARY_RESELECT,
  IFLA_BOND.FAIL_OVER_MAC,
  IFLA_BOND.AD_SELECT,
  IFLA_BOND.MIIMON,
  IFLA_BOND.RESEND_IGMP,
  IFLA_BOND.MIN_LINKS,
  IFLA_BOND.LP_INTERVAL,
  IFLA_BOND.NUM_PEER_NOTIF,
  IFLA_BOND.ALL_SLAVES_ACTIVE,
  IFLA_BOND.USE_CARRIER,
];

/** The attribute set the spec (§1.1 "Netlink attributes are emitted per mode") asks for. */
function expectedAttributes(mode: Mode, miimon: boolean, primary: boolean): number[] {
  const lb = mode === '802.3ad' || mode === 'balance-alb' || mode === 'balance-tlb';
  const out: number[] = [...ALWAYS];
  if (mode === '802.3ad') out.push(IFLA_BOND.AD_LACP_RATE, IFLA_BOND.AD_LACP_ACTIVE, IFLA_BOND.AD_ACTOR_SYS_PRIO, IFLA_BOND.AD_USER_PORT_KEY);
  if (!lb) out.push(IFLA_BOND.ARP_VALIDATE, IFLA_BOND.ARP_INTERVAL, IFLA_BOND.MISSED_MAX);
  if (primary && (mode === 'active-backup' || mode === 'balance-alb' || mode === 'balance-tlb')) out.push(IFLA_BOND.PRIMARY);
  if (miimon) out.push(IFLA_BOND.UPDELAY, IFLA_BOND.DOWNDELAY, IFLA_BOND.PEER_NOTIF_DELAY);
  if (mode === 'balance-rr') out.push(IFLA_BOND.PACKETS_PER_SLAVE);
  if (mode === 'balance-alb' || mode === 'balance-tlb') out.push(IFLA_BOND.TLB_DYNAMIC_LB);
  return out.sort((a, b) => a - b);
}

const keysOf = (d: BondData) => [...d.keys()].sort((a, b) => a - b);

describe('bondAttributes: per-mode emission', () => {
  for (const [number, mode] of MODES.entries()) {
    describe(mode, () => {
      it(`sends mode ${number}`, () => {
        expect(bondAttributes(bond({ mode }), undefined).get(IFLA_BOND.MODE)).toBe(number);
      });

      it('sends exactly the per-mode attributes (miimon set, primary present)', () => {
        const data = bondAttributes(bond({ mode, miimon: 100, updelay: 200, downdelay: 300, peerNotifyDelay: 400 }), 7);
        expect(keysOf(data)).toEqual(expectedAttributes(mode, true, true));
      });

      it('sends exactly the per-mode attributes (miimon 0, no primary link)', () => {
        const data = bondAttributes(bond({ mode }), undefined);
        expect(keysOf(data)).toEqual(expectedAttributes(mode, false, false));
      });

      it('never sends read-only or unsupported attributes', () => {
        const data = bondAttributes(bond({ mode, miimon: 100 }), 7);
        for (const t of [IFLA_BOND.ACTIVE_SLAVE, IFLA_BOND.ARP_IP_TARGET, IFLA_BOND.AD_INFO, IFLA_BOND.AD_ACTOR_SYSTEM]) expect(data.has(t)).toBe(false);
      });

      it('always sends use_carrier 1, even when the config says false', () => {
        expect(bondAttributes(bond({ mode, useCarrier: false }), undefined).get(IFLA_BOND.USE_CARRIER)).toBe(1);
        expect(bondAttributes(bond({ mode, useCarrier: true }), undefined).get(IFLA_BOND.USE_CARRIER)).toBe(1);
      });
    });
  }

  it('sends primary as the resolved ifindex in active-backup/alb/tlb only', () => {
    for (const mode of MODES) {
      const data = bondAttributes(bond({ mode, primary: 'eth1' }), 42);
      if (mode === 'active-backup' || mode === 'balance-alb' || mode === 'balance-tlb') expect(data.get(IFLA_BOND.PRIMARY), mode).toBe(42);
      else expect(data.has(IFLA_BOND.PRIMARY), mode).toBe(false);
    }
  });

  it('omits primary when the primary link does not exist (no ifindex), so the kernel does not clear it', () => {
    expect(bondAttributes(bond({ mode: 'active-backup', primary: 'eth1' }), undefined).has(IFLA_BOND.PRIMARY)).toBe(false);
  });

  it('sends up/down/peer-notify delays as given when miimon is set', () => {
    const data = bondAttributes(bond({ mode: 'active-backup', miimon: 100, updelay: 200, downdelay: 300, peerNotifyDelay: 400 }), undefined);
    expect(data.get(IFLA_BOND.MIIMON)).toBe(100);
    expect(data.get(IFLA_BOND.UPDELAY)).toBe(200);
    expect(data.get(IFLA_BOND.DOWNDELAY)).toBe(300);
    expect(data.get(IFLA_BOND.PEER_NOTIF_DELAY)).toBe(400);
  });

  it('sends miimon 0 itself but none of the delays', () => {
    const data = bondAttributes(bond({ mode: 'active-backup', miimon: 0 }), undefined);
    expect(data.get(IFLA_BOND.MIIMON)).toBe(0);
    expect(data.has(IFLA_BOND.UPDELAY)).toBe(false);
    expect(data.has(IFLA_BOND.DOWNDELAY)).toBe(false);
    expect(data.has(IFLA_BOND.PEER_NOTIF_DELAY)).toBe(false);
  });

  it('sends arp validate/interval and missed_max 2 outside 802.3ad/alb/tlb', () => {
    const data = bondAttributes(bond({ mode: 'active-backup', arpValidate: 'all', arpInterval: 250 }), undefined);
    expect(data.get(IFLA_BOND.ARP_VALIDATE)).toBe(3);
    expect(data.get(IFLA_BOND.ARP_INTERVAL)).toBe(250);
    expect(data.get(IFLA_BOND.MISSED_MAX)).toBe(2);
  });

  it('sends ad_lacp_active 1 in 802.3ad', () => {
    expect(bondAttributes(bond({ mode: '802.3ad' }), undefined).get(IFLA_BOND.AD_LACP_ACTIVE)).toBe(1);
  });
});

describe('bondAttributes: enum spellings → numbers (spec §1.1)', () => {
  const cases: Array<[keyof BondMasterSpec, number, Mode, readonly string[]]> = [
    ['xmitHashPolicy', IFLA_BOND.XMIT_HASH_POLICY, 'balance-xor', ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4']],
    ['lacpRate', IFLA_BOND.AD_LACP_RATE, '802.3ad', ['slow', 'fast']],
    ['arpValidate', IFLA_BOND.ARP_VALIDATE, 'active-backup', ['none', 'active', 'backup', 'all', 'filter', 'filter-active', 'filter-backup']],
    ['arpAllTargets', IFLA_BOND.ARP_ALL_TARGETS, 'active-backup', ['any', 'all']],
    ['primaryReselect', IFLA_BOND.PRIMARY_RESELECT, 'active-backup', ['always', 'better', 'failure']],
    ['failOverMac', IFLA_BOND.FAIL_OVER_MAC, 'active-backup', ['none', 'active', 'follow']],
    ['adSelect', IFLA_BOND.AD_SELECT, '802.3ad', ['stable', 'bandwidth', 'count']],
  ];
  for (const [field, attr, mode, values] of cases) {
    it(`${field}: ${values.join(', ')} → 0..${values.length - 1}`, () => {
      values.forEach((v, i) => expect(bondAttributes(bond({ mode, [field]: v }), undefined).get(attr), `${field}=${v}`).toBe(i));
    });
  }

  it('maps the examples from the brief: layer3+4 → 1, lacp fast → 1', () => {
    const data = bondAttributes(bond({ mode: '802.3ad', xmitHashPolicy: 'layer3+4', lacpRate: 'fast' }), undefined);
    expect(data.get(IFLA_BOND.XMIT_HASH_POLICY)).toBe(1);
    expect(data.get(IFLA_BOND.AD_LACP_RATE)).toBe(1);
  });

  it('an empty mode selects the first value (balance-rr)', () => {
    const data = bondAttributes(bond({ mode: '' }), undefined);
    expect(data.get(IFLA_BOND.MODE)).toBe(0);
    expect(data.has(IFLA_BOND.PACKETS_PER_SLAVE)).toBe(true);
  });
});

describe('bondAttributes: defaults for zero values (FillDefaults)', () => {
  it('resendIgmp, lpInterval, packetsPerSlave, numPeerNotif 0 → 1', () => {
    const data = bondAttributes(bond({ mode: 'balance-rr' }), undefined);
    expect(data.get(IFLA_BOND.RESEND_IGMP)).toBe(1);
    expect(data.get(IFLA_BOND.LP_INTERVAL)).toBe(1);
    expect(data.get(IFLA_BOND.PACKETS_PER_SLAVE)).toBe(1);
    expect(data.get(IFLA_BOND.NUM_PEER_NOTIF)).toBe(1);
  });

  it('keeps non-zero values', () => {
    const data = bondAttributes(bond({ mode: 'balance-rr', resendIgmp: 5, lpInterval: 3, packetsPerSlave: 7, numPeerNotif: 4, minLinks: 2, allSlavesActive: 1 }), undefined);
    expect(data.get(IFLA_BOND.RESEND_IGMP)).toBe(5);
    expect(data.get(IFLA_BOND.LP_INTERVAL)).toBe(3);
    expect(data.get(IFLA_BOND.PACKETS_PER_SLAVE)).toBe(7);
    expect(data.get(IFLA_BOND.NUM_PEER_NOTIF)).toBe(4);
    expect(data.get(IFLA_BOND.MIN_LINKS)).toBe(2);
    expect(data.get(IFLA_BOND.ALL_SLAVES_ACTIVE)).toBe(1);
  });

  it('adActorSysPrio 0 → 65535 in 802.3ad; a set value is kept (HEAD, not v1.11)', () => {
    expect(bondAttributes(bond({ mode: '802.3ad' }), undefined).get(IFLA_BOND.AD_ACTOR_SYS_PRIO)).toBe(65535);
    expect(bondAttributes(bond({ mode: '802.3ad', adActorSysPrio: 100 }), undefined).get(IFLA_BOND.AD_ACTOR_SYS_PRIO)).toBe(100);
  });

  it('adUserPortKey is passed through in 802.3ad', () => {
    expect(bondAttributes(bond({ mode: '802.3ad' }), undefined).get(IFLA_BOND.AD_USER_PORT_KEY)).toBe(0);
    expect(bondAttributes(bond({ mode: '802.3ad', adUserPortKey: 12 }), undefined).get(IFLA_BOND.AD_USER_PORT_KEY)).toBe(12);
  });

  it('tlbDynamicLb is passed through in alb/tlb (the "1 by default" rule is only for other modes, where it is not sent)', () => {
    for (const mode of ['balance-alb', 'balance-tlb'] as const) {
      expect(bondAttributes(bond({ mode, tlbDynamicLb: 0 }), undefined).get(IFLA_BOND.TLB_DYNAMIC_LB), mode).toBe(0);
      expect(bondAttributes(bond({ mode, tlbDynamicLb: 1 }), undefined).get(IFLA_BOND.TLB_DYNAMIC_LB), mode).toBe(1);
    }
  });
});

describe('bondDifferences', () => {
  const want = () => bondAttributes(bond({ mode: 'active-backup', miimon: 100, primary: 'eth1' }), 7);

  it('reports nothing for identical maps', () => {
    expect(bondDifferences(want(), new Map(want()), true)).toEqual([]);
    expect(bondDifferences(want(), new Map(want()), false)).toEqual([]);
  });

  it('reports each difference as "name old → new"', () => {
    const have = new Map(want());
    have.set(IFLA_BOND.MIIMON, 50);
    have.set(IFLA_BOND.XMIT_HASH_POLICY, 2);
    expect(bondDifferences(want(), have, true).sort()).toEqual(['miimon 50 → 100', 'xmit_hash_policy 2 → 0']);
  });

  it('reports a mode change with the kernel value first', () => {
    const w = bondAttributes(bond({ mode: '802.3ad' }), undefined);
    const have = new Map(w);
    have.set(IFLA_BOND.MODE, 0);
    expect(bondDifferences(w, have, false)).toEqual(['mode 0 → 4']);
  });

  it('shows an attribute the kernel does not report as "-"', () => {
    const have = new Map(want());
    have.delete(IFLA_BOND.MIN_LINKS);
    expect(bondDifferences(want(), have, true)).toEqual(['min_links - → 0']);
  });

  it('reports everything when the kernel data is missing', () => {
    const w = want();
    const out = bondDifferences(w, undefined, true);
    expect(out).toHaveLength(w.size);
    expect(out).toContain('mode - → 1');
    expect(out).toContain('primary - → 7');
  });

  it('ignores a primary difference while the primary link is not enslaved', () => {
    const have = new Map(want());
    have.set(IFLA_BOND.PRIMARY, 3);
    expect(bondDifferences(want(), have, false)).toEqual([]);
    const missing = new Map(want());
    missing.delete(IFLA_BOND.PRIMARY);
    expect(bondDifferences(want(), missing, false)).toEqual([]);
  });

  it('reports a primary difference once the primary link is enslaved', () => {
    const have = new Map(want());
    have.set(IFLA_BOND.PRIMARY, 3);
    expect(bondDifferences(want(), have, true)).toEqual(['primary 3 → 7']);
  });

  it('treats ad_lacp_active missing in the kernel data as "on" (older kernels)', () => {
    const w = bondAttributes(bond({ mode: '802.3ad' }), undefined);
    const have = new Map(w);
    have.delete(IFLA_BOND.AD_LACP_ACTIVE);
    expect(bondDifferences(w, have, false)).toEqual([]);
  });

  it('still reports ad_lacp_active when the kernel says it is off', () => {
    const w = bondAttributes(bond({ mode: '802.3ad' }), undefined);
    const have = new Map(w);
    have.set(IFLA_BOND.AD_LACP_ACTIVE, 0);
    expect(bondDifferences(w, have, false)).toEqual(['ad_lacp_active 0 → 1']);
  });

  it('ignores kernel attributes that are not sent for the mode (e.g. missed_max in 802.3ad)', () => {
    const w = bondAttributes(bond({ mode: '802.3ad' }), undefined);
    const have = new Map(w);
    have.set(IFLA_BOND.MISSED_MAX, 5);
    have.set(IFLA_BOND.ARP_VALIDATE, 3);
    have.set(IFLA_BOND.PACKETS_PER_SLAVE, 9);
    expect(bondDifferences(w, have, false)).toEqual([]);
  });
});

// ---------------------------------------------------------------- WireGuard

/** No summary line may carry private or preshared key material. */
function expectNoSecrets(summary: string[], secrets: string[]) {
  for (const line of summary) {
    for (const s of secrets) {
      expect(line).not.toContain(s);
      expect(line).not.toContain(s.slice(0, 8));
    }
  }
}

describe('wireguardDelta: device settings', () => {
  it('returns undefined when nothing differs', () => {
    const p = peerSpec({ persistentKeepaliveIntervalMs: 25_000, allowedIPs: ['10.1.0.0/24', '10.2.0.1/32'] });
    const want = wgSpec({ firewallMark: 0x20, peers: [p] });
    expect(wireguardDelta(want, wgDevice({ firewallMark: 0x20, peers: [kernelPeerFor(p)] }))).toBeUndefined();
  });

  it('returns undefined for a device with no peers on either side', () => {
    expect(wireguardDelta(wgSpec(), wgDevice())).toBeUndefined();
  });

  it('sets a changed private key, and says only "private key"', () => {
    const delta = wireguardDelta(wgSpec({ privateKey: PRIVATE_NEW }), wgDevice({ privateKey: PRIVATE_OLD }));
    expect(delta).toBeDefined();
    expect(delta?.change).toEqual({ privateKey: PRIVATE_NEW });
    expect(delta?.summary).toEqual(['private key']);
    expectNoSecrets(delta?.summary ?? [], [PRIVATE_NEW, PRIVATE_OLD]);
  });

  it('keeps keys out of the summary when everything changes', () => {
    const delta = wireguardDelta(
      wgSpec({ privateKey: PRIVATE_NEW, listenPort: 1000, firewallMark: 1, peers: [peerSpec({ presharedKey: PSK })] }),
      wgDevice({ privateKey: PRIVATE_OLD, listenPort: 2000, firewallMark: 2, peers: [wgPeer({ publicKey: PEER_B })] }),
    );
    expect(delta?.summary.length).toBeGreaterThan(3);
    expectNoSecrets(delta?.summary ?? [], [PRIVATE_NEW, PRIVATE_OLD, PSK]);
  });

  it('treats listen port 0 as "don\'t care"', () => {
    expect(wireguardDelta(wgSpec({ listenPort: 0 }), wgDevice({ listenPort: 43210 }))).toBeUndefined();
  });

  it('sets a changed listen port', () => {
    const delta = wireguardDelta(wgSpec({ listenPort: 51820 }), wgDevice({ listenPort: 40000 }));
    expect(delta?.change).toEqual({ listenPort: 51820 });
    expect(delta?.summary).toEqual(['listen port 40000 → 51820']);
  });

  it('sets a changed fwmark, including back to 0', () => {
    const set = wireguardDelta(wgSpec({ firewallMark: 0x20 }), wgDevice({ firewallMark: 0 }));
    expect(set?.change).toEqual({ firewallMark: 0x20 });
    expect(set?.summary).toEqual(['fwmark 0 → 32']);
    const clear = wireguardDelta(wgSpec({ firewallMark: 0 }), wgDevice({ firewallMark: 0x20 }));
    expect(clear?.change).toEqual({ firewallMark: 0 });
  });

  it('configures a fresh device fully', () => {
    const p = peerSpec({ persistentKeepaliveIntervalMs: 5000 });
    const delta = wireguardDelta(wgSpec({ privateKey: PRIVATE_NEW, listenPort: 51111, peers: [p] }), { privateKey: '', publicKey: '', listenPort: 0, firewallMark: 0, peers: [] });
    expect(delta?.change).toEqual({
      privateKey: PRIVATE_NEW,
      listenPort: 51111,
      peers: [{ publicKey: PEER_A, presharedKey: '', endpoint: '192.0.2.1:51820', persistentKeepalive: 5, allowedIPs: ['10.1.0.1/32'] }],
    });
    expect(delta?.summary).toEqual(['private key', 'listen port 0 → 51111', `+peer ${PEER_A.slice(0, 8)}…`]);
  });
});

describe('wireguardDelta: peers', () => {
  it('adds a new peer ("+peer")', () => {
    const p = peerSpec({ publicKey: PEER_B, endpoint: '198.51.100.7:51111', persistentKeepaliveIntervalMs: 25_000, allowedIPs: ['10.9.0.0/16'] });
    const delta = wireguardDelta(wgSpec({ peers: [p] }), wgDevice());
    expect(delta?.change).toEqual({
      peers: [{ publicKey: PEER_B, presharedKey: '', endpoint: '198.51.100.7:51111', persistentKeepalive: 25, allowedIPs: ['10.9.0.0/16'] }],
    });
    expect(delta?.summary).toEqual([`+peer ${PEER_B.slice(0, 8)}…`]);
  });

  it('replaces the allowed IPs of a peer that lost some ("~peer"), masked to the network and deduplicated', () => {
    const want = wgSpec({ peers: [peerSpec({ allowedIPs: ['10.2.0.0/16', '10.1.0.5/24', '10.1.0.0/24', '10.1.0.9/24'] })] });
    const delta = wireguardDelta(want, wgDevice({ peers: [wgPeer({ allowedIPs: ['10.1.0.0/24', '10.3.0.0/16'] })] }));
    expect(delta?.summary).toEqual([`~peer ${PEER_A.slice(0, 8)}…`]);
    const peers = delta?.change.peers ?? [];
    expect(peers).toHaveLength(1);
    expect(peers[0]?.replaceAllowedIPs).toBe(true);
    expect(peers[0]?.remove).toBeUndefined();
    expect([...(peers[0]?.allowedIPs ?? [])].sort()).toEqual(['10.1.0.0/24', '10.2.0.0/16']);
  });

  it('only adds the new allowed IPs when none go: the kernel never drops the ones the peer keeps', () => {
    // with "replace", the kernel removes every allowed IP of the peer before it adds the list back, and a packet to
    // the peer in between finds no peer: a KubeSpan peer gaining a node address must not lose traffic
    const want = wgSpec({ peers: [peerSpec({ allowedIPs: ['10.2.0.0/16', '10.1.0.5/24'] })] });
    const delta = wireguardDelta(want, wgDevice({ peers: [wgPeer({ allowedIPs: ['10.1.0.0/24'] })] }));
    expect(delta?.change.peers).toEqual([{ publicKey: PEER_A, presharedKey: '', endpoint: '192.0.2.1:51820', persistentKeepalive: 0, allowedIPs: ['10.2.0.0/16'] }]);
    expect(delta?.summary).toEqual([`~peer ${PEER_A.slice(0, 8)}…`]);
  });

  it('masks allowed IPs before comparing: 10.1.0.5/24 equals the kernel\'s 10.1.0.0/24', () => {
    const want = wgSpec({ peers: [peerSpec({ allowedIPs: ['10.1.0.5/24'] })] });
    expect(wireguardDelta(want, wgDevice({ peers: [wgPeer({ allowedIPs: ['10.1.0.0/24'] })] }))).toBeUndefined();
  });

  it('masks IPv6 allowed IPs to the kernel\'s canonical form', () => {
    const want = wgSpec({ peers: [peerSpec({ allowedIPs: ['2001:db8:0:0::5/64', 'fd00::1/128'] })] });
    expect(wireguardDelta(want, wgDevice({ peers: [wgPeer({ allowedIPs: ['2001:db8::/64', 'fd00::1/128'] })] }))).toBeUndefined();
    const delta = wireguardDelta(want, wgDevice({ peers: [wgPeer({ allowedIPs: [] })] }));
    expect([...(delta?.change.peers?.[0]?.allowedIPs ?? [])].sort()).toEqual(['2001:db8::/64', 'fd00::1/128']);
  });

  it('ignores the order of allowed IPs', () => {
    const want = wgSpec({ peers: [peerSpec({ allowedIPs: ['10.3.0.0/16', '10.1.0.1/32', '192.168.0.0/24'] })] });
    const have = wgDevice({ peers: [wgPeer({ allowedIPs: ['192.168.0.0/24', '10.3.0.0/16', '10.1.0.1/32'] })] });
    expect(wireguardDelta(want, have)).toBeUndefined();
  });

  it('ignores the order of peers', () => {
    const a = peerSpec({ publicKey: PEER_A, allowedIPs: ['10.1.0.1/32'] });
    const b = peerSpec({ publicKey: PEER_B, endpoint: '192.0.2.2:51820', allowedIPs: ['10.1.0.2/32'] });
    expect(wireguardDelta(wgSpec({ peers: [a, b] }), wgDevice({ peers: [kernelPeerFor(b), kernelPeerFor(a)] }))).toBeUndefined();
  });

  it('keeps the endpoint WireGuard roamed to when the spec has none', () => {
    const want = wgSpec({ peers: [peerSpec({ endpoint: '' })] });
    expect(wireguardDelta(want, wgDevice({ peers: [wgPeer({ endpoint: '203.0.113.9:40404' })] }))).toBeUndefined();
  });

  it('does not send an endpoint for a changed peer whose spec has none', () => {
    const want = wgSpec({ peers: [peerSpec({ endpoint: '', allowedIPs: ['10.1.0.2/32'] })] });
    const delta = wireguardDelta(want, wgDevice({ peers: [wgPeer({ endpoint: '203.0.113.9:40404' })] }));
    const peer = delta?.change.peers?.[0];
    expect(peer).toBeDefined();
    expect(peer && 'endpoint' in peer).toBe(false);
  });

  it('sets a different non-empty endpoint', () => {
    const want = wgSpec({ peers: [peerSpec({ endpoint: '192.0.2.99:51820' })] });
    const delta = wireguardDelta(want, wgDevice({ peers: [wgPeer({ endpoint: '192.0.2.1:51820' })] }));
    expect(delta?.summary).toEqual([`~peer ${PEER_A.slice(0, 8)}…`]);
    expect(delta?.change.peers?.[0]).toMatchObject({ publicKey: PEER_A, endpoint: '192.0.2.99:51820' });
    // a new endpoint leaves the allowed IPs alone
    expect(delta?.change.peers?.[0]?.replaceAllowedIPs).toBeUndefined();
    expect(delta?.change.peers?.[0]?.allowedIPs).toBeUndefined();
  });

  it('compares IPv6 endpoints in the kernel\'s [ip]:port form', () => {
    const want = wgSpec({ peers: [peerSpec({ endpoint: '[2001:db8::1]:51111' })] });
    expect(wireguardDelta(want, wgDevice({ peers: [wgPeer({ endpoint: '[2001:db8::1]:51111' })] }))).toBeUndefined();
  });

  it('compares endpoints as addresses, not text: a non-canonical IPv6 spelling is the same endpoint', () => {
    // The config accepts "[2001:DB8:0:0::1]:51111"; the kernel reads it back as "[2001:db8::1]:51111".
    // Talos compares resolved UDP addresses, so this is no change (otherwise every apply re-sets the peer).
    const want = wgSpec({ peers: [peerSpec({ endpoint: '[2001:DB8:0:0::1]:51111' })] });
    expect(wireguardDelta(want, wgDevice({ peers: [wgPeer({ endpoint: '[2001:db8::1]:51111' })] }))).toBeUndefined();
  });

  it('removes a kernel peer that is not in the spec ("-peer")', () => {
    const keep = peerSpec({ publicKey: PEER_A });
    const delta = wireguardDelta(wgSpec({ peers: [keep] }), wgDevice({ peers: [kernelPeerFor(keep), wgPeer({ publicKey: PEER_C, allowedIPs: ['10.1.0.3/32'] })] }));
    expect(delta?.change).toEqual({ peers: [{ publicKey: PEER_C, remove: true }] });
    expect(delta?.summary).toEqual([`-peer ${PEER_C.slice(0, 8)}…`]);
  });

  it('removes every kernel peer when the spec has none', () => {
    const delta = wireguardDelta(wgSpec({ peers: [] }), wgDevice({ peers: [wgPeer({ publicKey: PEER_A }), wgPeer({ publicKey: PEER_B })] }));
    expect(delta?.change.peers).toEqual([
      { publicKey: PEER_A, remove: true },
      { publicKey: PEER_B, remove: true },
    ]);
  });

  it('leaves unchanged peers out of the change', () => {
    const a = peerSpec({ publicKey: PEER_A });
    const b = peerSpec({ publicKey: PEER_B, allowedIPs: ['10.1.0.2/32'] });
    const delta = wireguardDelta(wgSpec({ peers: [a, b] }), wgDevice({ peers: [kernelPeerFor(a), wgPeer({ publicKey: PEER_B, allowedIPs: ['10.1.0.200/32'] })] }));
    expect(delta?.change.peers?.map((p) => p.publicKey)).toEqual([PEER_B]);
    expect(delta?.change.privateKey).toBeUndefined();
    expect(delta?.change.listenPort).toBeUndefined();
    expect(delta?.change.firewallMark).toBeUndefined();
  });

  it('compares persistent keepalive in whole seconds', () => {
    const want = wgSpec({ peers: [peerSpec({ persistentKeepaliveIntervalMs: 25_000 })] });
    expect(wireguardDelta(want, wgDevice({ peers: [wgPeer({ persistentKeepalive: 25 })] }))).toBeUndefined();
    const off = wireguardDelta(want, wgDevice({ peers: [wgPeer({ persistentKeepalive: 0 })] }));
    expect(off?.change.peers?.[0]?.persistentKeepalive).toBe(25);
    const other = wireguardDelta(want, wgDevice({ peers: [wgPeer({ persistentKeepalive: 5 })] }));
    expect(other?.summary).toEqual([`~peer ${PEER_A.slice(0, 8)}…`]);
    const disable = wireguardDelta(wgSpec({ peers: [peerSpec({ persistentKeepaliveIntervalMs: 0 })] }), wgDevice({ peers: [wgPeer({ persistentKeepalive: 25 })] }));
    expect(disable?.change.peers?.[0]?.persistentKeepalive).toBe(0);
  });

  it('sets a changed preshared key, without naming the key', () => {
    const delta = wireguardDelta(wgSpec({ peers: [peerSpec({ presharedKey: PSK })] }), wgDevice({ peers: [wgPeer({ presharedKey: '' })] }));
    expect(delta?.change.peers?.[0]).toMatchObject({ publicKey: PEER_A, presharedKey: PSK });
    expect(delta?.change.peers?.[0]?.replaceAllowedIPs).toBeUndefined();
    expect(delta?.summary).toEqual([`~peer ${PEER_A.slice(0, 8)}…`]);
    expectNoSecrets(delta?.summary ?? [], [PSK]);
  });
});
