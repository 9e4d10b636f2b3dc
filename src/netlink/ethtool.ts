// ethtool over generic netlink (family "ethtool", include/uapi/linux/ethtool_netlink.h):
// features, ring sizes, channel counts and Wake-on-LAN of one link, read and
// written by name; its port, link modes and link state, read; and the "monitor"
// group's notifications, which say which link's settings changed. Bitsets are sent
// and read in the verbose form (bits by name), so no string set has to be
// fetched first — except the features' when only read: those come compact, with
// their names fetched once (featureBits).
import type { NlWriter } from './codec.js';
import type { AttrReader } from './codec.js';
import { GenlClient, genlAttributes, genlRequest, type GenlFamily } from './genetlink.js';
import type { NlMessage } from './message.js';

const MSG = { STRSET_GET: 1, LINKINFO_GET: 2, LINKMODES_GET: 4, LINKSTATE_GET: 6, WOL_GET: 9, WOL_SET: 10, FEATURES_GET: 11, FEATURES_SET: 12, RINGS_GET: 15, RINGS_SET: 16, CHANNELS_GET: 17, CHANNELS_SET: 18 } as const;
const HEADER_DEV_INDEX = 1;
const HEADER_DEV_NAME = 2;
/** ETHTOOL_MCGRP_MONITOR_NAME: every ethtool notification (a link's settings changed, by netlink or ioctl) goes there. */
const MONITOR_GROUP = 'monitor';
/** Every message's first attribute is its header (ETHTOOL_A_*_HEADER = 1). */
const A_HEADER = 1;
const BITSET_NOMASK = 1;
const BITSET_SIZE = 2;
const BITSET_BITS = 3;
const BITSET_VALUE = 4;
const BITSET_MASK = 5;
/** ETHTOOL_A_HEADER_FLAGS, and ETHTOOL_FLAG_COMPACT_BITSETS: bitsets as u32 words, names from the string set. */
const HEADER_FLAGS = 3;
const FLAG_COMPACT_BITSETS = 1;
/** ETHTOOL_A_STRSET_STRINGSETS → _STRINGSET → ID / STRINGS → STRING → INDEX, VALUE; ETH_SS_FEATURES. */
const STRSET = { STRINGSETS: 2, STRINGSET: 1, ID: 1, STRINGS: 3, STRING: 1, INDEX: 1, VALUE: 2 } as const;
const SS_FEATURES = 4;
const BITSET_BITS_BIT = 1;
const BIT_NAME = 2;
const BIT_VALUE = 3;
const FEATURES_HW = 2;
const FEATURES_WANTED = 3;
const FEATURES_ACTIVE = 4;
const FEATURES_NOCHANGE = 5;
const WOL_MODES = 2;
const LINKINFO_PORT = 2;
const LINKMODES = { OURS: 3, PEER: 4, SPEED: 5, DUPLEX: 6 } as const;
const LINKSTATE_LINK = 2;
/** SPEED_UNKNOWN of include/uapi/linux/ethtool.h. */
const SPEED_UNKNOWN = 0xffffffff;

/** Every ring attribute a reply may carry (ETHTOOL_A_RINGS_*), maximums included, by Talos' EthernetStatus names. */
export const RING_STATUS_ATTRS = {
  'rx-max': 2,
  'rx-mini-max': 3,
  'rx-jumbo-max': 4,
  'tx-max': 5,
  'tx-push-buf-len-max': 16,
  rx: 6,
  'rx-mini': 7,
  'rx-jumbo': 8,
  tx: 9,
  'rx-buf-len': 10,
  'cqe-size': 12,
  'tx-push': 13,
  'rx-push': 14,
  'tx-push-buf-len': 15,
  'tcp-data-split': 11,
} as const;
export type RingStatusName = keyof typeof RING_STATUS_ATTRS;

/** A link's mode as ethtool reports it (ETHTOOL_MSG_LINKMODES_GET). */
export interface EthtoolLinkModes {
  /** Mb/s; undefined when the kernel does not know it (no carrier). */
  speed: number | undefined;
  /** DUPLEX_HALF 0, DUPLEX_FULL 1, DUPLEX_UNKNOWN 0xff. */
  duplex: number;
  /** Modes this end advertises, and those its link partner advertises (ethtool's names). */
  ours: string[];
  peer: string[];
}

/** One feature as `ethtool -k` shows it. */
export interface EthtoolFeatureState {
  name: string;
  /** "on" or "off", then " [fixed]" (not changeable) or " [requested on|off]" (asked for, not in effect). */
  status: string;
}

/** Ring parameters netcfg sets (ETHTOOL_A_RINGS_*), by their ethtool -G names. */
export const RING_ATTRS = { rx: 6, 'rx-mini': 7, 'rx-jumbo': 8, tx: 9, 'rx-buf-len': 10, 'tcp-data-split': 11, 'cqe-size': 12, 'tx-push': 13, 'rx-push': 14, 'tx-push-buf-len': 15 } as const;
export type RingName = keyof typeof RING_ATTRS;
/** The u8 ring attributes (the others are u32). */
const RING_U8: ReadonlySet<number> = new Set([RING_ATTRS['tcp-data-split'], RING_ATTRS['tx-push'], RING_ATTRS['rx-push']]);

/** Channel counts (ETHTOOL_A_CHANNELS_*_COUNT), by their ethtool -L names. */
export const CHANNEL_ATTRS = { rx: 6, tx: 7, other: 8, combined: 9 } as const;
export type ChannelName = keyof typeof CHANNEL_ATTRS;

/** Channel counts with their maximums, by Talos' EthernetStatus names (the kernel sends a kind only when its maximum is not 0). */
export const CHANNEL_STATUS_ATTRS = { 'rx-max': 2, 'tx-max': 3, 'other-max': 4, 'combined-max': 5, rx: 6, tx: 7, other: 8, combined: 9 } as const;
export type ChannelStatusName = keyof typeof CHANNEL_STATUS_ATTRS;

/** Wake-on-LAN modes: the kernel's bit names (ethtool's wol_mode_names), by Talos' names. */
export const WOL_BITS = { phy: 'phy', unicast: 'ucast', multicast: 'mcast', broadcast: 'bcast', magic: 'magic', magicsecure: 'magicsecure', filter: 'filter' } as const;
export type WolMode = keyof typeof WOL_BITS;
/** Every mode a status may show, in the kernel's bit order: arp too, which the config does not take. */
const WOL_STATUS_BITS = { phy: 'phy', unicast: 'ucast', multicast: 'mcast', broadcast: 'bcast', arp: 'arp', magic: 'magic', magicsecure: 'magicsecure', filter: 'filter' } as const;
export type WolStatusMode = keyof typeof WOL_STATUS_BITS;

export interface EthtoolFeatures {
  /** Features the driver lets change. */
  changeable: ReadonlySet<string>;
  /** Features on now. */
  active: ReadonlySet<string>;
  /** Features asked for (they may wait on others). */
  wanted: ReadonlySet<string>;
}

function header(w: NlWriter, name: string, flags = 0): void {
  const h = w.beginNested(A_HEADER);
  w.attrString(HEADER_DEV_NAME, name);
  if (flags !== 0) w.attrU32(HEADER_FLAGS, flags);
  w.endNested(h);
}

/** A compact bitset's bits by index: those set in the value, and in the mask (undefined: a set without one). */
interface CompactBits {
  value: Set<number>;
  mask: Set<number> | undefined;
}

/** A compact bitset (ETHTOOL_A_BITSET_VALUE/_MASK: little-endian u32 words). */
function readCompactBits(r: AttrReader): CompactBits {
  let size = 0;
  let value: Buffer | undefined;
  let mask: Buffer | undefined;
  while (r.next()) {
    if (r.type === BITSET_SIZE) size = r.u32();
    else if (r.type === BITSET_VALUE) value = r.bytes();
    else if (r.type === BITSET_MASK) mask = r.bytes();
  }
  const indexes = (words: Buffer | undefined): Set<number> => {
    const out = new Set<number>();
    if (!words) return out;
    for (let i = 0; i < size && i >> 3 < words.length; i++) if ((words[i >> 3]! >> (i & 7)) & 1) out.add(i);
    return out;
  };
  return { value: indexes(value), mask: mask ? indexes(mask) : undefined };
}

/** The nested attributes of `type` among `r`'s, each to read. */
function* children(r: AttrReader, type: number): Generator<AttrReader> {
  while (r.next()) if (r.type === type) yield r.nested();
}

/** A verbose bitset: only the named bits, each on or off (the others are left as they are). */
function writeBits(w: NlWriter, type: number, bits: ReadonlyMap<string, boolean>, nomask = false): void {
  const set = w.beginNested(type);
  if (nomask) w.attrFlag(BITSET_NOMASK);
  const list = w.beginNested(BITSET_BITS);
  for (const [name, on] of bits) {
    const bit = w.beginNested(BITSET_BITS_BIT);
    w.attrString(BIT_NAME, name);
    if (on) w.attrFlag(BIT_VALUE);
    w.endNested(bit);
  }
  w.endNested(list);
  w.endNested(set);
}

/** The bits set in a verbose bitset, in its order (with a mask: those with a value flag; without: every bit listed). */
function readBits(r: AttrReader): Set<string> {
  let nomask = false;
  const named: Array<{ name: string; on: boolean }> = [];
  while (r.next()) {
    if (r.type === BITSET_NOMASK) nomask = true;
    else if (r.type === BITSET_BITS) {
      const bits = r.nested();
      while (bits.next()) {
        if (bits.type !== BITSET_BITS_BIT) continue;
        const bit = bits.nested();
        let name = '';
        let on = false;
        while (bit.next()) {
          if (bit.type === BIT_NAME) name = bit.string();
          else if (bit.type === BIT_VALUE) on = true;
        }
        named.push({ name, on });
      }
    }
  }
  return new Set(named.filter((b) => nomask || b.on).map((b) => b.name));
}

/** The attributes `wanted` of a reply (u32, or u8 for those in `u8`); newer kernels add others, left unread. */
function numbers(m: NlMessage, wanted: ReadonlySet<number>, u8: ReadonlySet<number> = new Set()): Map<number, number> {
  const out = new Map<number, number>();
  const r = genlAttributes(m);
  while (r.next()) if (wanted.has(r.type)) out.set(r.type, u8.has(r.type) ? r.u8() : r.u32());
  return out;
}

export class EthtoolClient {
  constructor(readonly genl: GenlClient) {}

  /** `netns`: a name under /run/netns or a path (undefined: this process's namespace). */
  static open(netns?: string): EthtoolClient {
    return new EthtoolClient(GenlClient.open(netns === undefined ? {} : { netns }));
  }

  private async family(): Promise<GenlFamily> {
    const f = await this.genl.family('ethtool');
    if (!f) throw new Error('the kernel has no ethtool netlink interface (generic netlink family "ethtool" is missing)');
    return f;
  }

  private async get<T>(cmd: number, name: string, what: string, decode: (m: NlMessage) => T): Promise<T> {
    const family = await this.family();
    const r = await this.genl.conn.query(genlRequest(family, cmd, false, (w) => header(w, name), () => `read ${what} of ${name}`), decode);
    if (r === undefined) throw new Error(`no ${what} of ${name} in the kernel's reply`);
    return r;
  }

  private async set(cmd: number, name: string, what: string, encode: (w: NlWriter) => void): Promise<void> {
    const family = await this.family();
    await this.genl.conn.exec(
      genlRequest(
        family,
        cmd,
        true,
        (w) => {
          header(w, name);
          encode(w);
        },
        () => `set ${what} of ${name}`,
      ),
    );
  }

  /** Features the driver lets change, those on, those asked for, by name. */
  async features(name: string): Promise<EthtoolFeatures> {
    const f = await this.featureBits(name);
    const named = (bits: Iterable<number>) => new Set([...bits].flatMap((i) => (f.names[i] ? [f.names[i]] : [])));
    return { changeable: named([...f.hw.value].filter((i) => !f.nochange.value.has(i))), active: named(f.active.value), wanted: named(f.wanted.value) };
  }

  /** Every feature the kernel knows for the link, in its order, with its state as `ethtool -k` prints it. */
  async featureStates(name: string): Promise<EthtoolFeatureState[]> {
    const { names, hw, wanted, active, nochange } = await this.featureBits(name);
    const out: EthtoolFeatureState[] = [];
    // the hardware set's mask is every feature the kernel knows; an unnamed bit is a reserved one (ethtool -k leaves it out too)
    const known = hw.mask ?? new Set(names.keys());
    for (const i of [...known].sort((a, b) => a - b)) {
      const f = names[i];
      if (f === undefined || f === '') continue;
      const on = active.value.has(i);
      const suffix = !hw.value.has(i) || nochange.value.has(i) ? ' [fixed]' : wanted.value.has(i) !== on ? (wanted.value.has(i) ? ' [requested on]' : ' [requested off]') : '';
      out.push({ name: f, status: (on ? 'on' : 'off') + suffix });
    }
    return out;
  }

  /**
   * The link's feature bitsets, read compact (a few words per set) with the bit names fetched once: the
   * daemon re-reads them on every link event, and decoding every bit by name each time was most of its
   * idle work (enough to bring in V8's optimizing compiler, 3.7 MB of RSS).
   */
  private async featureBits(name: string): Promise<{ names: string[] } & Record<'hw' | 'wanted' | 'active' | 'nochange', CompactBits>> {
    const names = await this.names(name);
    const family = await this.family();
    const sets = await this.genl.conn.query(
      genlRequest(family, MSG.FEATURES_GET, false, (w) => header(w, name, FLAG_COMPACT_BITSETS), () => `read the features of ${name}`),
      (m) => {
        const out = new Map<number, CompactBits>();
        const r = genlAttributes(m);
        while (r.next()) if (r.type === FEATURES_HW || r.type === FEATURES_WANTED || r.type === FEATURES_ACTIVE || r.type === FEATURES_NOCHANGE) out.set(r.type, readCompactBits(r.nested()));
        return out;
      },
    );
    if (!sets) throw new Error(`no features of ${name} in the kernel's reply`);
    const of = (type: number): CompactBits => sets.get(type) ?? { value: new Set(), mask: undefined };
    return { names, hw: of(FEATURES_HW), wanted: of(FEATURES_WANTED), active: of(FEATURES_ACTIVE), nochange: of(FEATURES_NOCHANGE) };
  }

  /** The names of the feature bits (the kernel's string set ETH_SS_FEATURES), fetched once. */
  private featureNames: Promise<string[]> | undefined;

  private async names(name: string): Promise<string[]> {
    this.featureNames ??= (async () => {
      const family = await this.family();
      const request = genlRequest(
        family,
        MSG.STRSET_GET,
        false,
        (w) => {
          header(w, name);
          const sets = w.beginNested(STRSET.STRINGSETS);
          const set = w.beginNested(STRSET.STRINGSET);
          w.attrU32(STRSET.ID, SS_FEATURES);
          w.endNested(set);
          w.endNested(sets);
        },
        () => 'read the names of the features',
      );
      const names = await this.genl.conn.query(request, (m) => {
        const out: string[] = [];
        // STRINGSETS → STRINGSET → STRINGS → STRING { INDEX, VALUE }
        for (const sets of children(genlAttributes(m), STRSET.STRINGSETS))
          for (const set of children(sets, STRSET.STRINGSET))
            for (const strings of children(set, STRSET.STRINGS))
              for (const one of children(strings, STRSET.STRING)) {
                let index = -1;
                let value = '';
                while (one.next()) {
                  if (one.type === STRSET.INDEX) index = one.u32();
                  else if (one.type === STRSET.VALUE) value = one.string();
                }
                if (index >= 0) out[index] = value;
              }
        return out;
      });
      return names ?? [];
    })().catch((err: unknown) => {
      this.featureNames = undefined;
      throw err;
    });
    return this.featureNames;
  }

  /** Asks for features on or off by the kernel's names (ethtool -K); the rest stay as they are. */
  setFeatures(name: string, wanted: ReadonlyMap<string, boolean>): Promise<void> {
    return this.set(MSG.FEATURES_SET, name, `features ${[...wanted].map(([f, on]) => `${f} ${on ? 'on' : 'off'}`).join(', ')}`, (w) => writeBits(w, FEATURES_WANTED, wanted));
  }

  /** The ring parameters the driver reports, by name (absent: not reported). */
  rings(name: string): Promise<Partial<Record<RingName, number>>> {
    return this.readNamed(MSG.RINGS_GET, 'the ring sizes', name, RING_ATTRS, RING_U8);
  }

  /** The ring parameters with their maximums, as `ethtool -g` shows them (absent: not reported). */
  ringStatus(name: string): Promise<Partial<Record<RingStatusName, number>>> {
    return this.readNamed(MSG.RINGS_GET, 'the ring sizes', name, RING_STATUS_ATTRS, RING_U8);
  }

  /** The attributes of `table` a reply to `cmd` carries (u32, or u8 for those in `u8`), by the table's names, in its order. */
  private readNamed<K extends string>(cmd: number, what: string, name: string, table: Readonly<Record<K, number>>, u8?: ReadonlySet<number>): Promise<Partial<Record<K, number>>> {
    return this.get(cmd, name, what, (m) => {
      const n = numbers(m, new Set(Object.values<number>(table)), u8);
      const out: Partial<Record<K, number>> = {};
      for (const [key, attr] of Object.entries(table) as Array<[K, number]>) if (n.has(attr)) out[key] = n.get(attr)!;
      return out;
    });
  }

  /** The port type (ETHTOOL_A_LINKINFO_PORT: PORT_TP 0, PORT_FIBRE 4…). */
  linkInfo(name: string): Promise<{ port: number | undefined }> {
    return this.get(MSG.LINKINFO_GET, name, 'the link info', (m) => ({ port: numbers(m, new Set([LINKINFO_PORT]), new Set([LINKINFO_PORT])).get(LINKINFO_PORT) }));
  }

  linkModes(name: string): Promise<EthtoolLinkModes> {
    return this.get(MSG.LINKMODES_GET, name, 'the link modes', (m) => {
      const out: EthtoolLinkModes = { speed: undefined, duplex: 0xff, ours: [], peer: [] };
      const r = genlAttributes(m);
      while (r.next()) {
        if (r.type === LINKMODES.SPEED) {
          const v = r.u32();
          out.speed = v === SPEED_UNKNOWN || v === 0 ? undefined : v;
        } else if (r.type === LINKMODES.DUPLEX) out.duplex = r.u8();
        else if (r.type === LINKMODES.OURS) out.ours = [...readBits(r.nested())];
        else if (r.type === LINKMODES.PEER) out.peer = [...readBits(r.nested())];
      }
      return out;
    });
  }

  /** Whether the link detects a carrier (ethtool's "Link detected"). */
  linkState(name: string): Promise<boolean | undefined> {
    return this.get(MSG.LINKSTATE_GET, name, 'the link state', (m) => {
      const v = numbers(m, new Set([LINKSTATE_LINK]), new Set([LINKSTATE_LINK])).get(LINKSTATE_LINK);
      return v === undefined ? undefined : v !== 0;
    });
  }

  setRings(name: string, rings: Partial<Record<RingName, number>>): Promise<void> {
    const list = Object.entries(rings) as Array<[RingName, number]>;
    return this.set(MSG.RINGS_SET, name, `rings ${list.map(([k, v]) => `${k} ${v}`).join(', ')}`, (w) => {
      for (const [ring, v] of list) {
        const attr = RING_ATTRS[ring];
        if (RING_U8.has(attr)) w.attrU8(attr, v);
        else w.attrU32(attr, v);
      }
    });
  }

  channels(name: string): Promise<Partial<Record<ChannelName, number>>> {
    return this.readNamed(MSG.CHANNELS_GET, 'the channels', name, CHANNEL_ATTRS);
  }

  /** The channel counts with their maximums, as `ethtool -l` shows them (absent: the driver has none of that kind). */
  channelStatus(name: string): Promise<Partial<Record<ChannelStatusName, number>>> {
    return this.readNamed(MSG.CHANNELS_GET, 'the channels', name, CHANNEL_STATUS_ATTRS);
  }

  setChannels(name: string, channels: Partial<Record<ChannelName, number>>): Promise<void> {
    const list = Object.entries(channels) as Array<[ChannelName, number]>;
    return this.set(MSG.CHANNELS_SET, name, `channels ${list.map(([k, v]) => `${k} ${v}`).join(', ')}`, (w) => {
      for (const [ch, v] of list) w.attrU32(CHANNEL_ATTRS[ch], v);
    });
  }

  /** Wake-on-LAN modes on now, by Talos' names. */
  async wol(name: string): Promise<Set<WolMode>> {
    const on = await this.wolStatus(name);
    return new Set(on.filter((m): m is WolMode => m in WOL_BITS));
  }

  /** Every Wake-on-LAN mode on now (arp included), by Talos' names, in the kernel's bit order. */
  wolStatus(name: string): Promise<WolStatusMode[]> {
    return this.get(MSG.WOL_GET, name, 'Wake-on-LAN', (m) => {
      const r = genlAttributes(m);
      let bits = new Set<string>();
      while (r.next()) if (r.type === WOL_MODES) bits = readBits(r.nested());
      return (Object.entries(WOL_STATUS_BITS) as Array<[WolStatusMode, string]>).filter(([, bit]) => bits.has(bit)).map(([mode]) => mode);
    });
  }

  /** Exactly these Wake-on-LAN modes (none: off). */
  setWol(name: string, modes: ReadonlySet<WolMode>): Promise<void> {
    const bits = new Map<string, boolean>([...modes].map((m) => [WOL_BITS[m], true]));
    return this.set(MSG.WOL_SET, name, `Wake-on-LAN ${modes.size === 0 ? 'off' : [...modes].join(', ')}`, (w) => writeBits(w, WOL_MODES, bits, true));
  }

  close(): void {
    this.genl.close();
  }
}

/** The link an ethtool notification is about (its header's ifindex), or undefined when it names none. */
export function notifiedIfindex(m: NlMessage): number | undefined {
  const r = genlAttributes(m);
  while (r.next()) {
    if (r.type !== A_HEADER) continue;
    const h = r.nested();
    while (h.next()) if (h.type === HEADER_DEV_INDEX) return h.u32();
    return undefined;
  }
  return undefined;
}

/**
 * ethtool's notifications in one namespace: the kernel sends one whenever a
 * link's rings, channels, features, link modes, Wake-on-LAN… change, through
 * netlink or the old ioctl alike (a ring or channel change need not raise a link event).
 * `onChange` hears the link's ifindex (undefined: a notification naming none).
 */
export class EthtoolMonitor {
  private constructor(private readonly genl: GenlClient) {}

  /** Undefined when the kernel has no ethtool netlink interface or no monitor group. */
  static async open(netns: string | undefined, onChange: (ifindex: number | undefined) => void): Promise<EthtoolMonitor | undefined> {
    const genl = GenlClient.open(netns === undefined ? {} : { netns });
    try {
      const family = await genl.family('ethtool');
      const group = family?.groups.get(MONITOR_GROUP);
      if (!family || group === undefined) {
        genl.close();
        return undefined;
      }
      genl.conn.onNotification = (m) => {
        if (m.type === family.id) onChange(notifiedIfindex(m));
      };
      // notifications were dropped (ENOBUFS): any link may have changed
      genl.conn.onOverrun = () => onChange(undefined);
      genl.conn.subscribe([group]);
      return new EthtoolMonitor(genl);
    } catch (err) {
      genl.close();
      throw err;
    }
  }

  close(): void {
    this.genl.close();
  }
}
