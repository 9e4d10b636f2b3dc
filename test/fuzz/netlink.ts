// Fuzz targets for the netlink decoders: framing, NLMSG_ERROR/DONE with extended
// acks, rtnetlink links (with each link kind's IFLA_INFO_DATA), addresses and
// routes, generic netlink family lookups and WireGuard devices. Inputs are raw
// bytes, messages built from typed attribute schemas (then mutated where the
// headers are), and recorded kernel messages, mutated the same way.
import fc from 'fast-check';
import { NLMSG_DONE, NLMSG_ERROR } from '../../src/netlink/constants.js';
import { NetlinkDecodeError } from '../../src/netlink/errors.js';
import { decodeFamily } from '../../src/netlink/genetlink.js';
import { forEachMessage, parseDonePayload, parseErrorPayload, type NlMessage } from '../../src/netlink/message.js';
import { decodeAddress } from '../../src/netlink/rtnetlink/address.js';
import {
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
} from '../../src/netlink/rtnetlink/constants.js';
import { BOND_WIDTH } from '../../src/netlink/rtnetlink/drivers/bond.js';
import '../../src/netlink/rtnetlink/drivers/index.js';
import { decodeLink } from '../../src/netlink/rtnetlink/link.js';
import { decodeRoute } from '../../src/netlink/rtnetlink/route.js';
import { decodeDevicePart, mergeDeviceParts, type WgDevice } from '../../src/netlink/wireguard.js';
import {
  attrBytes,
  attrsArb,
  fieldArb,
  be16,
  cstring,
  layoutOf,
  mutate,
  mutationsArb,
  serialize,
  u16,
  u32,
  type AttrNode,
  type Layout,
  type MessageModel,
  type Schema,
} from './netlink-bytes.js';
import { seeds } from './seeds.js';
import { bufferHex, expectTyped, hexBuffer, type FuzzTarget } from './target.js';

// ---------------------------------------------------------------------------
// schemas (include/uapi/linux/if_link.h, if_addr.h, rtnetlink.h, genetlink.h, wireguard.h)

const bondSchema: Schema = {
  ...Object.fromEntries(Object.entries(BOND_WIDTH).map(([t, w]) => [Number(t), w === 1 ? 'u8' : w === 2 ? 'u16' : 'u32'])),
  8: { list: { 0: 'ip4' } }, // ARP_IP_TARGET (children are addresses)
  23: { nested: { 1: 'u16', 2: 'u16', 3: 'u16', 4: 'u16', 5: 'mac' } }, // AD_INFO
  26: 'mac', // AD_ACTOR_SYSTEM
};
const bridgeSchema: Schema = { 1: 'u32', 2: 'u32', 3: 'u32', 4: 'u32', 5: 'u32', 6: 'u16', 7: 'u8', 8: 'be16', 9: 'u16', 22: 'mac' };
const vlanSchema: Schema = { 1: 'u16', 2: { bytes: fc.uint8Array({ minLength: 8, maxLength: 8 }) }, 3: { list: { 1: { bytes: fc.uint8Array({ minLength: 8, maxLength: 8 }) } } }, 5: 'be16' };
const vethSchema: Schema = {
  1: { bytes: fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constantFrom('veth1', '', 'p'.repeat(40))).map(([h, n]) => Buffer.concat([h, attrBytes([{ type: 3, value: cstring(n) }])])) },
};
const KIND_DATA: Record<string, Schema> = { bond: bondSchema, bridge: bridgeSchema, vlan: vlanSchema, veth: vethSchema, dummy: {}, wireguard: {}, macvlan: { 1: 'u32' }, '': {} };
const slaveSchema: Schema = { 1: 'u8', 2: 'u8', 3: 'u32', 4: 'mac', 5: 'u16', 6: 'u16' };

/** IFLA_LINKINFO: a kind and the data its driver decodes, in either order, maybe with a port's kind and data. */
const linkInfoArb: fc.Arbitrary<AttrNode[]> = fc.oneof(
  ...Object.keys(KIND_DATA).map((kind) =>
    fc
      .record({
        slave: fc.option(fc.constantFrom('bond', 'bridge', 'team'), { nil: undefined }),
        reversed: fc.boolean(),
        data: attrsArb(KIND_DATA[kind]!, { maxLength: 8, depth: 2 }),
        slaveData: attrsArb(slaveSchema, { maxLength: 4, depth: 1 }),
      })
      .map(({ slave, reversed, data, slaveData }) => {
        const nodes: AttrNode[] = [
          { type: IFLA_INFO_KIND, value: cstring(kind) },
          { type: IFLA_INFO_DATA, children: data },
        ];
        if (slave !== undefined) nodes.push({ type: IFLA_INFO_SLAVE_KIND, value: cstring(slave) }, { type: IFLA_INFO_SLAVE_DATA, children: slaveData });
        return reversed ? nodes.reverse() : nodes;
      }),
  ),
);

const linkSchema: Schema = {
  1: 'mac', // ADDRESS
  2: 'mac', // BROADCAST
  3: 'string', // IFNAME
  4: 'u32', // MTU
  5: 'u32', // LINK
  6: 'string', // QDISC
  10: 'u32', // MASTER
  13: 'u32', // TXQLEN
  16: 'u8', // OPERSTATE
  18: { children: linkInfoArb }, // LINKINFO
  20: 'string', // IFALIAS
  33: 'u8', // CARRIER
  37: 's32', // LINK_NETNSID
  50: 'u32', // MIN_MTU
  51: 'u32', // MAX_MTU
  52: { nested: { 53: 'string' } }, // PROP_LIST of ALT_IFNAME
  54: 'mac', // PERM_ADDRESS
  56: 'string', // PARENT_DEV_NAME
  57: 'string', // PARENT_DEV_BUS_NAME
};

const addressSchema: Schema = { 1: 'ip', 2: 'ip', 3: 'string', 4: 'ip', 6: { bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }) }, 8: 'u32', 9: 'u32' };

/** RTA_VIA: struct rtvia (family in host order, then the address). */
const viaArb = fc.tuple(fc.constantFrom(2, 10, 0, 7), fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 20 }))).map(([f, a]) => Buffer.concat([u16(f), a]));

/** RTA_MULTIPATH: struct rtnexthop entries, each followed by its attributes; lengths sometimes wrong. */
const multipathArb = fc
  .array(
    fc.record({
      flags: fc.nat(255),
      hops: fc.nat(255),
      ifindex: fc.integer({ min: -2, max: 100 }),
      attrs: attrsArb({ 5: 'ip', 18: { bytes: viaArb } }, { maxLength: 3, depth: 1 }),
      lenDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -12, max: 12 }) }),
    }),
    { maxLength: 4 },
  )
  .map((hops) =>
    Buffer.concat(
      hops.map((h) => {
        const attrs = attrBytes(h.attrs);
        const head = Buffer.alloc(8);
        head.set(u16(Math.max(0, Math.min(0xffff, 8 + attrs.length + h.lenDelta))), 0);
        head[2] = h.flags;
        head[3] = h.hops;
        head.set(u32(h.ifindex >>> 0), 4);
        return Buffer.concat([head, attrs]);
      }),
    ),
  );

const routeSchema: Schema = {
  1: 'ip', // DST
  2: 'ip', // SRC
  3: 'u32', // IIF
  4: 'u32', // OIF
  5: 'ip', // GATEWAY
  6: 'u32', // PRIORITY
  7: 'ip', // PREFSRC
  8: { nested: { 2: 'u32', 3: 'u32', 8: 'u32', 16: 'string' } }, // METRICS (RTAX_MTU = 2)
  9: { bytes: multipathArb }, // MULTIPATH
  12: { bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }) }, // CACHEINFO
  15: 'u32', // TABLE
  16: 'u32', // MARK
  18: { bytes: viaArb }, // VIA
  20: 'u8', // PREF
  25: 'u32', // UID
};

const extackSchema: Schema = { 1: 'string', 2: 'u32', 3: { bytes: fc.uint8Array({ maxLength: 20 }) }, 4: { nested: { 1: 'u32', 2: 'u32' } }, 5: 'u32', 6: 'u32' };

const familySchema: Schema = {
  1: 'u16', // FAMILY_ID
  2: 'string', // FAMILY_NAME
  3: 'u32', // VERSION
  4: 'u32', // HDRSIZE
  5: 'u32', // MAXATTR
  6: { list: { 1: 'u32', 2: 'u32' } }, // OPS
  7: { list: { 1: 'string', 2: 'u32' } }, // MCAST_GROUPS
};

/** A sockaddr_in or sockaddr_in6 as WireGuard reports an endpoint, or junk. */
const endpointArb = fc.oneof(
  fc.tuple(fc.nat(0xffff), fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([port, a]) => Buffer.concat([u16(2), be16(port), a, Buffer.alloc(8)])),
  fc.tuple(fc.nat(0xffff), fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([port, a]) => Buffer.concat([u16(10), be16(port), Buffer.alloc(4), a, Buffer.alloc(4)])),
  fc.tuple(fc.constantFrom(2, 10, 0, 1), fc.uint8Array({ maxLength: 30 })).map(([f, rest]) => Buffer.concat([u16(f), rest])),
);

const peerSchema: Schema = {
  1: 'key', // PUBLIC_KEY
  2: 'key', // PRESHARED_KEY
  3: 'u32', // FLAGS
  4: { bytes: endpointArb }, // ENDPOINT
  5: 'u16', // PERSISTENT_KEEPALIVE_INTERVAL
  6: { bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }) }, // LAST_HANDSHAKE_TIME
  7: 'u64', // RX_BYTES
  8: 'u64', // TX_BYTES
  9: { list: { 1: 'u16', 2: 'ip', 3: 'u8' } }, // ALLOWEDIPS
  10: 'u32', // PROTOCOL_VERSION
};

const wgDeviceSchema: Schema = { 1: 'u32', 2: 'string', 3: 'key', 4: 'key', 5: 'u32', 6: 'u16', 7: 'u32', 8: { list: peerSchema } };

// ---------------------------------------------------------------------------
// message generators

const FLAGS = fc.oneof(fc.constantFrom(0, 0x2, 0x12, 0x22, 0x100, 0x200, 0x300, 0x302), fc.nat(0xffff));

/** A fixed family header of the usual length (sometimes shorter or longer), first byte a family. */
function fixedHeader(length: number, families: readonly number[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...families), fc.uint8Array({ minLength: length, maxLength: length }), fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -length, max: 8 }) }))
    .map(([family, bytes, delta]) => {
      const h = Buffer.alloc(Math.max(0, length + delta));
      h.set(bytes.subarray(0, Math.min(bytes.length, h.length)));
      if (h.length > 0) h[0] = family;
      return h;
    });
}

function modelArb(types: readonly number[], header: fc.Arbitrary<Uint8Array>, schema: Schema, first?: fc.Arbitrary<AttrNode>): fc.Arbitrary<MessageModel> {
  return fc.record({
    type: fc.constantFrom(...types),
    flags: FLAGS,
    seq: fc.oneof(fc.constant(0), fc.nat()),
    portId: fc.oneof(fc.constant(0), fc.nat()),
    header,
    attrs: first ? fc.tuple(fc.option(first, { freq: 8, nil: undefined }), attrsArb(schema)).map(([f, rest]) => (f ? [f, ...rest] : rest)) : attrsArb(schema),
  });
}

/** Links nearly always have a name (a link without one is refused before anything else is read). */
const ifnameArb: fc.Arbitrary<AttrNode> = fc.constantFrom('eth0', 'bond0', 'x').map((n) => ({ type: 3, value: cstring(n) }));
const linkArb = modelArb([RTM_NEWLINK, RTM_DELLINK], fixedHeader(16, [0, 7, 2, 10]), linkSchema, ifnameArb);
const addressArb = modelArb([RTM_NEWADDR, RTM_DELADDR], fixedHeader(8, [2, 10, 0, 7]), addressSchema);
const routeArb = modelArb([RTM_NEWROUTE, RTM_DELROUTE], fixedHeader(12, [2, 10, 0, 7, 128]), routeSchema);

/** NLMSG_ERROR: error code, the echoed header (its length sometimes absurd), maybe the request, maybe ext-ack TLVs. */
const errorArb: fc.Arbitrary<MessageModel> = fc
  .record({
    errno: fc.oneof(fc.constantFrom(0, -1, -2, -17, -22, -101, 5), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
    capped: fc.boolean(),
    tlvs: fc.boolean(),
    origLen: fc.oneof(fc.constant(16), fc.constant(36), fc.nat(64), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff), fc.nat()),
    request: fc.uint8Array({ maxLength: 32 }),
    seq: fc.nat(),
    attrs: attrsArb(extackSchema, { maxLength: 5 }),
  })
  .map((e) => {
    const head = Buffer.concat([u32(e.errno >>> 0), u32(e.origLen), u16(24), u16(5), u32(e.seq), u32(0)]);
    return {
      type: NLMSG_ERROR,
      flags: (e.capped ? 0x100 : 0) | (e.tlvs ? 0x200 : 0),
      seq: e.seq,
      portId: 0,
      header: e.capped ? head : Buffer.concat([head, e.request]),
      attrs: e.tlvs ? e.attrs : [],
    };
  });

const doneArb: fc.Arbitrary<MessageModel> = fc
  .record({ errno: fc.oneof(fc.constant(0), fc.integer({ min: -200, max: 10 })), tlvs: fc.boolean(), attrs: attrsArb(extackSchema, { maxLength: 4 }), short: fc.boolean() })
  .map((d) => ({ type: NLMSG_DONE, flags: 0x2 | (d.tlvs ? 0x200 : 0), seq: 0, portId: 0, header: d.short ? new Uint8Array(0) : u32(d.errno >>> 0), attrs: d.tlvs ? d.attrs : [] }));

const GENL_ID = 0x1c;
const genlHeader = fc.tuple(fc.nat(8), fc.nat(3)).map(([cmd, v]) => Uint8Array.of(cmd, v, 0, 0));
const genlHeaderArb = fc.oneof({ weight: 8, arbitrary: genlHeader }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) });
const familyArb = fc.record({ type: fc.constant(0x10), flags: FLAGS, seq: fc.nat(), portId: fc.constant(0), header: genlHeaderArb, attrs: attrsArb(familySchema, { maxLength: 8 }) });
/** Device dumps nearly always carry peers (where most of the decoding is). */
const peersArb = fieldArb(8, { list: peerSchema }, 3);
const wgDeviceArb = fc.record({
  type: fc.constant(GENL_ID),
  flags: FLAGS,
  seq: fc.nat(),
  portId: fc.constant(0),
  header: genlHeaderArb,
  attrs: fc.tuple(attrsArb(wgDeviceSchema, { maxLength: 6 }), fc.option(peersArb, { freq: 6, nil: undefined })).map(([a, p]) => (p ? [...a, p] : a)),
});

/** The message generators, for the connection's fuzzing (which addresses them itself). */
export const messageModels = { link: linkArb, address: addressArb, route: routeArb, error: errorArb, done: doneArb };

/** Fixed header length by message type, for finding the attributes of recorded messages. */
export function rtnlHeaderLength(type: number): number {
  if (type === RTM_NEWLINK || type === RTM_DELLINK) return 16;
  if (type === RTM_NEWADDR || type === RTM_DELADDR) return 8;
  if (type === RTM_NEWROUTE || type === RTM_DELROUTE) return 12;
  if (type === NLMSG_ERROR) return 20;
  if (type === NLMSG_DONE) return 4;
  return 4; // generic netlink
}

export interface Seed {
  name: string;
  bytes: Buffer;
  layout: Layout;
}

/** Recorded fixtures whose names start with one of `prefixes`, with their header layout. */
export function recorded(prefixes: readonly string[]): Seed[] {
  return prefixes.flatMap((p) => seeds(p)).map((s) => ({ ...s, layout: layoutOf(s.bytes, rtnlHeaderLength) }));
}

/** Models serialised, sometimes mutated at their headers. */
function built(models: fc.Arbitrary<MessageModel[]>): fc.Arbitrary<Buffer> {
  return fc.tuple(models, fc.option(mutationsArb, { freq: 2, nil: undefined })).map(([ms, mutations]) => {
    const { bytes, layout } = serialize(ms);
    return mutations ? mutate(bytes, layout, mutations) : bytes;
  });
}

/** Recorded messages, mutated at their headers, sometimes with another recording appended. */
function fromRecorded(list: readonly Seed[]): fc.Arbitrary<Buffer> {
  if (list.length === 0) throw new Error('no recorded fixtures to seed from');
  return fc
    .tuple(fc.constantFrom(...list), mutationsArb, fc.option(fc.constantFrom(...list), { freq: 4, nil: undefined }))
    .map(([s, mutations, append]) => {
      const b = mutate(s.bytes, s.layout, mutations);
      return append ? Buffer.concat([b, append.bytes]) : b;
    });
}

const rawArb = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 600 })).map((b) => Buffer.from(b));

export const RTNL_SEEDS = ['links-', 'addresses-', 'routes-', 'error-', 'events-'];
export const GENL_SEEDS = ['genl-', 'wg-'];

/** Anything the rtnetlink socket could hand us: raw, built from schemas, or recorded and mutated. */
export function rtnlBytesArb(): fc.Arbitrary<Buffer> {
  const any = fc.oneof(linkArb, addressArb, routeArb, errorArb, doneArb);
  return fc.oneof(
    { weight: 1, arbitrary: rawArb },
    { weight: 2, arbitrary: built(fc.array(linkArb, { minLength: 1, maxLength: 2 })) },
    { weight: 1, arbitrary: built(fc.array(addressArb, { minLength: 1, maxLength: 3 })) },
    { weight: 2, arbitrary: built(fc.array(routeArb, { minLength: 1, maxLength: 3 })) },
    { weight: 1, arbitrary: built(fc.array(fc.oneof(errorArb, doneArb), { minLength: 1, maxLength: 2 })) },
    { weight: 1, arbitrary: built(fc.array(any, { minLength: 1, maxLength: 4 })) },
    { weight: 3, arbitrary: fromRecorded(recorded(RTNL_SEEDS)) },
  );
}

export function genlBytesArb(): fc.Arbitrary<Buffer> {
  const list = recorded(GENL_SEEDS);
  return fc.oneof(
    { weight: 1, arbitrary: rawArb },
    { weight: 2, arbitrary: built(fc.array(familyArb, { minLength: 1, maxLength: 2 })) },
    { weight: 3, arbitrary: built(fc.array(wgDeviceArb, { minLength: 1, maxLength: 3 })) },
    { weight: 1, arbitrary: built(fc.array(fc.oneof(errorArb, doneArb), { minLength: 1, maxLength: 2 })) },
    ...(list.length > 0 ? [{ weight: 3, arbitrary: fromRecorded(list) }] : []),
  );
}

// ---------------------------------------------------------------------------
// the contract

export function isNetlinkDecodeError(e: unknown): boolean {
  return e instanceof NetlinkDecodeError;
}

/** A NetlinkDecodeError must point inside the bytes and say what is wrong. */
export function checkDecodeError(buf: Buffer): (e: Error) => string | undefined {
  return (e) => {
    const d = e as NetlinkDecodeError;
    if (!Number.isInteger(d.offset) || d.offset < 0 || d.offset > buf.length) return `offset ${d.offset} outside 0..${buf.length}`;
    if (!/^malformed netlink data at byte \d+: ./.test(d.message)) return `message ${JSON.stringify(d.message)}`;
    return undefined;
  };
}

/** Decodes every message as the rtnetlink client and the daemon's listeners do, by type. */
export function decodeRtnl(buf: Buffer): number {
  let n = 0;
  forEachMessage(buf, (m) => {
    switch (m.type) {
      case RTM_NEWLINK:
      case RTM_DELLINK: {
        const l = decodeLink(m);
        if (typeof l.name !== 'string' || l.name === '') throw new Error('a link without a name was returned');
        break;
      }
      case RTM_NEWADDR:
      case RTM_DELADDR:
        decodeAddress(m);
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE:
        decodeRoute(m);
        break;
      default:
        decodeControl(m);
    }
    n++;
  });
  return n;
}

function decodeControl(m: NlMessage): void {
  if (m.type === NLMSG_ERROR) parseErrorPayload(m);
  else if (m.type === NLMSG_DONE) parseDonePayload(m);
}

/** Decodes every message as the generic netlink clients do: family lookups and WireGuard device dumps. */
export function decodeGenl(buf: Buffer): WgDevice | undefined {
  const parts: WgDevice[] = [];
  forEachMessage(buf, (m) => {
    if (m.type < 0x10) return decodeControl(m);
    // nlctrl (0x10) answers family lookups; the other families' ids are dynamic
    if (m.type === 0x10) decodeFamily('wireguard', m);
    else parts.push(decodeDevicePart(m));
  });
  return mergeDeviceParts(parts);
}

function decoderTarget(name: string, about: string, arbitrary: () => fc.Arbitrary<Buffer>, decode: (b: Buffer) => unknown): FuzzTarget<Buffer> {
  let arb: fc.Arbitrary<Buffer> | undefined;
  return {
    name,
    about,
    get arbitrary() {
      return (arb ??= arbitrary());
    },
    run: (buf) => void expectTyped(name, () => decode(buf), isNetlinkDecodeError, checkDecodeError(buf)),
    hex: bufferHex,
    fromHex: hexBuffer,
  };
}

export const netlinkTargets: Array<FuzzTarget<Buffer>> = [
  decoderTarget('netlink-rtnl', 'framing, NLMSG_ERROR/DONE + ext-ack, links (every link kind), addresses, routes (multipath, via, metrics)', rtnlBytesArb, decodeRtnl),
  decoderTarget('netlink-genl', 'generic netlink family lookup, WireGuard device dumps (peers, endpoints, allowed IPs)', genlBytesArb, decodeGenl),
];
