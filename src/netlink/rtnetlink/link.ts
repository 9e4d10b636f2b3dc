// Links: struct ifinfomsg + IFLA_* attributes (RTM_NEWLINK/DELLINK/GETLINK).
import { AttrReader, NlWriter, readU16, readU32, readS32 } from '../codec.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../constants.js';
import type { Request } from '../connection.js';
import { NetlinkDecodeError } from '../errors.js';
import type { NlMessage } from '../message.js';
import {
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_ALT_IFNAME,
  IFLA_BROADCAST,
  IFLA_CARRIER,
  IFLA_CARRIER_CHANGES,
  IFLA_EXT_MASK,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_LINK_NETNSID,
  IFLA_MASTER,
  IFLA_MAX_MTU,
  IFLA_MIN_MTU,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_PARENT_DEV_BUS_NAME,
  IFLA_PARENT_DEV_NAME,
  IFLA_PERM_ADDRESS,
  IFLA_PROP_LIST,
  IFLA_QDISC,
  IFLA_TXQLEN,
  IFF_UP,
  IFF_MULTICAST,
  LINK_ATTR_NAMES,
  OPER_STATES,
  RTEXT_FILTER_SKIP_STATS,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTM_NEWLINKPROP,
  RTM_DELLINKPROP,
  type OperState,
} from './constants.js';
import { linkKindDriver } from './drivers.js';
import { parseHardwareAddr } from '../codec.js';

export interface LinkInfo {
  kind?: string;
  /** IFLA_INFO_DATA decoded by the kind's driver (undefined when no driver). */
  data?: unknown;
  slaveKind?: string;
  slaveData?: unknown;
}

/** A link as the kernel reports it. */
export interface LinkMessage {
  index: number;
  /** ARPHRD_* */
  type: number;
  flags: number;
  name: string;
  mtu: number;
  minMtu?: number;
  maxMtu?: number;
  hardwareAddr?: string;
  broadcastAddr?: string;
  permanentAddr?: string;
  operState: OperState;
  masterIndex?: number;
  linkIndex?: number;
  linkNetnsId?: number;
  alias?: string;
  altNames: string[];
  txQueueLen?: number;
  qdisc?: string;
  carrier?: boolean;
  /** IFLA_CARRIER_CHANGES: how many times the carrier came or went (a renegotiation between two listings shows here). */
  carrierChanges?: number;
  info?: LinkInfo;
  parentDevName?: string;
  parentBusName?: string;
}

function decodeLinkInfo(r: AttrReader): LinkInfo {
  const info: LinkInfo = {};
  let dataStart = -1;
  let dataEnd = -1;
  let slaveStart = -1;
  let slaveEnd = -1;
  while (r.next()) {
    switch (r.type) {
      case IFLA_INFO_KIND:
        info.kind = r.string();
        break;
      case IFLA_INFO_SLAVE_KIND:
        info.slaveKind = r.string();
        break;
      case IFLA_INFO_DATA:
        dataStart = r.offset;
        dataEnd = r.offset + r.length;
        break;
      case IFLA_INFO_SLAVE_DATA:
        slaveStart = r.offset;
        slaveEnd = r.offset + r.length;
        break;
      default:
        break;
    }
  }
  // IFLA_INFO_DATA may precede IFLA_INFO_KIND in principle, so decode afterwards.
  if (info.kind && dataStart >= 0) {
    const driver = linkKindDriver(info.kind);
    if (driver?.decodeData) info.data = driver.decodeData(new AttrReader(r.buf, dataStart, dataEnd));
  }
  if (info.slaveKind && slaveStart >= 0) {
    const driver = linkKindDriver(info.slaveKind);
    if (driver?.decodeSlaveData) info.slaveData = driver.decodeSlaveData(new AttrReader(r.buf, slaveStart, slaveEnd));
  }
  return info;
}

export function decodeLink(m: NlMessage): LinkMessage {
  if (m.length < IFINFOMSG_LEN) throw new NetlinkDecodeError(`ifinfomsg of ${m.length} bytes`, m.offset);
  const b = m.buf;
  const link: LinkMessage = {
    type: readU16(b, m.offset + 2),
    index: readS32(b, m.offset + 4),
    flags: readU32(b, m.offset + 8),
    name: '',
    mtu: 0,
    operState: 'unknown',
    altNames: [],
  };
  const r = new AttrReader(b, m.offset + IFINFOMSG_LEN, m.offset + m.length);
  while (r.next()) {
    switch (r.type) {
      case IFLA_IFNAME:
        link.name = r.string();
        break;
      case IFLA_MTU:
        link.mtu = r.u32();
        break;
      case IFLA_MIN_MTU:
        link.minMtu = r.u32();
        break;
      case IFLA_MAX_MTU:
        link.maxMtu = r.u32();
        break;
      case IFLA_ADDRESS:
        link.hardwareAddr = r.hwaddr();
        break;
      case IFLA_BROADCAST:
        link.broadcastAddr = r.hwaddr();
        break;
      case IFLA_PERM_ADDRESS:
        link.permanentAddr = r.hwaddr();
        break;
      case IFLA_OPERSTATE:
        link.operState = OPER_STATES[r.u8()] ?? 'unknown';
        break;
      case IFLA_MASTER:
        link.masterIndex = r.u32();
        break;
      case IFLA_LINK:
        link.linkIndex = r.u32();
        break;
      case IFLA_LINK_NETNSID:
        link.linkNetnsId = r.s32();
        break;
      case IFLA_IFALIAS:
        link.alias = r.string();
        break;
      case IFLA_TXQLEN:
        link.txQueueLen = r.u32();
        break;
      case IFLA_QDISC:
        link.qdisc = r.string();
        break;
      case IFLA_CARRIER:
        link.carrier = r.u8() !== 0;
        break;
      case IFLA_CARRIER_CHANGES:
        link.carrierChanges = r.u32();
        break;
      case IFLA_LINKINFO:
        link.info = decodeLinkInfo(r.nested());
        break;
      case IFLA_PROP_LIST: {
        const props = r.nested();
        while (props.next()) if (props.type === IFLA_ALT_IFNAME) link.altNames.push(props.string());
        break;
      }
      case IFLA_PARENT_DEV_NAME:
        link.parentDevName = r.string();
        break;
      case IFLA_PARENT_DEV_BUS_NAME:
        link.parentBusName = r.string();
        break;
      default:
        break;
    }
  }
  if (link.name === '') throw new NetlinkDecodeError(`link ${link.index} without IFLA_IFNAME`, m.offset);
  return link;
}

function linkAttributeName(type: number): string | undefined {
  return LINK_ATTR_NAMES[type];
}

function ifinfomsg(w: NlWriter, index: number, flags: number, change: number, type = 0): void {
  w.u8(0).u8(0).u16(type).s32(index).u32(flags).u32(change);
}

export function dumpLinksRequest(): Request {
  return {
    type: RTM_GETLINK,
    write: false,
    headerLength: IFINFOMSG_LEN,
    encode(w) {
      ifinfomsg(w, 0, 0, 0);
      w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    },
    describe: () => 'list links',
    attributeName: linkAttributeName,
  };
}

/** RTM_GETLINK for one link by name (or index when name is empty). */
export function getLinkRequest(name: string, index = 0): Request {
  return {
    type: RTM_GETLINK,
    write: false,
    headerLength: IFINFOMSG_LEN,
    encode(w) {
      ifinfomsg(w, index, 0, 0);
      if (name !== '') w.attrString(IFLA_IFNAME, name);
      w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    },
    describe: () => `get link ${name || `#${index}`}`,
    attributeName: linkAttributeName,
  };
}

/** Changes to an existing link; only the fields present are sent. */
export interface LinkChange {
  up?: boolean;
  /** Set or clear IFF_MULTICAST. */
  multicast?: boolean;
  mtu?: number;
  /** Master ifindex; 0 releases the link from its master. */
  master?: number;
  hardwareAddr?: string;
  name?: string;
  alias?: string;
  /** Kind-specific settings (IFLA_INFO_DATA) for the link's own kind. */
  info?: { kind: string; data?: unknown };
}

function encodeInfo(w: NlWriter, info: { kind: string; data?: unknown }): void {
  const li = w.beginNested(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, info.kind);
  if (info.data !== undefined) {
    const driver = linkKindDriver(info.kind);
    if (!driver?.encodeData) throw new Error(`no driver encodes data for link kind "${info.kind}"`);
    const d = w.beginNested(IFLA_INFO_DATA);
    driver.encodeData(w, info.data);
    w.endNested(d);
  }
  w.endNested(li);
}

function encodeChange(w: NlWriter, change: LinkChange): void {
  if (change.name !== undefined) w.attrString(IFLA_IFNAME, change.name);
  if (change.mtu !== undefined) w.attrU32(IFLA_MTU, change.mtu);
  if (change.master !== undefined) w.attrU32(IFLA_MASTER, change.master);
  if (change.alias !== undefined) w.attrString(IFLA_IFALIAS, change.alias);
  if (change.hardwareAddr !== undefined) {
    const mac = parseHardwareAddr(change.hardwareAddr);
    if (!mac) throw new Error(`invalid hardware address "${change.hardwareAddr}"`);
    w.attrBytes(IFLA_ADDRESS, mac);
  }
  if (change.info) encodeInfo(w, change.info);
}

function describeChange(change: LinkChange): string {
  const parts: string[] = [];
  if (change.up !== undefined) parts.push(change.up ? 'up' : 'down');
  if (change.multicast !== undefined) parts.push(change.multicast ? 'multicast on' : 'multicast off');
  if (change.mtu !== undefined) parts.push(`mtu ${change.mtu}`);
  if (change.master !== undefined) parts.push(change.master === 0 ? 'nomaster' : `master #${change.master}`);
  if (change.hardwareAddr !== undefined) parts.push(`address ${change.hardwareAddr}`);
  if (change.name !== undefined) parts.push(`name ${change.name}`);
  if (change.info) parts.push(`${change.info.kind} settings`);
  return parts.join(' ');
}

/** The ifi_flags and ifi_change of a change (IFF_UP, IFF_MULTICAST). */
function flagChange(change: LinkChange): { flags: number; mask: number } {
  let flags = 0;
  let mask = 0;
  if (change.up !== undefined) {
    mask |= IFF_UP;
    if (change.up) flags |= IFF_UP;
  }
  if (change.multicast !== undefined) {
    mask |= IFF_MULTICAST;
    if (change.multicast) flags |= IFF_MULTICAST;
  }
  return { flags, mask };
}

/** RTM_NEWLINK on an existing link (no NLM_F_CREATE): modify in place. */
export function setLinkRequest(index: number, name: string, change: LinkChange): Request {
  return {
    type: RTM_NEWLINK,
    write: true,
    headerLength: IFINFOMSG_LEN,
    encode(w) {
      const { flags, mask } = flagChange(change);
      ifinfomsg(w, index, flags, mask);
      encodeChange(w, change);
    },
    describe: () => `set link ${name} ${describeChange(change)}`,
    attributeName: linkAttributeName,
  };
}

export interface NewLink extends LinkChange {
  name: string;
  kind: string;
  data?: unknown;
  /** Parent link (IFLA_LINK), e.g. for VLANs. */
  parentIndex?: number;
}

export function newLinkRequest(link: NewLink): Request {
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    write: true,
    headerLength: IFINFOMSG_LEN,
    encode(w) {
      const { flags, mask } = flagChange(link);
      ifinfomsg(w, 0, flags, mask);
      const { kind, data, parentIndex, ...rest } = link;
      encodeChange(w, { ...rest, info: data === undefined ? { kind } : { kind, data } });
      if (parentIndex !== undefined) w.attrU32(IFLA_LINK, parentIndex);
    },
    describe: () => `create ${link.kind} link ${link.name}`,
    attributeName: linkAttributeName,
  };
}

export function deleteLinkRequest(index: number, name: string): Request {
  return {
    type: RTM_DELLINK,
    write: true,
    okErrors: ['ENODEV'],
    headerLength: IFINFOMSG_LEN,
    encode(w) {
      ifinfomsg(w, index, 0, 0);
    },
    describe: () => `delete link ${name}`,
    attributeName: linkAttributeName,
  };
}

/**
 * Adds (RTM_NEWLINKPROP) or removes (RTM_DELLINKPROP) alternative names of a link:
 * IFLA_PROP_LIST holding one IFLA_ALT_IFNAME per name (up to 127 bytes each). The
 * kernel applies them in order and stops at the first failure (EEXIST when another
 * link already has the name).
 */
export function altNamesRequest(index: number, name: string, altNames: readonly string[], action: 'add' | 'delete' = 'add'): Request {
  return {
    type: action === 'add' ? RTM_NEWLINKPROP : RTM_DELLINKPROP,
    write: true,
    headerLength: IFINFOMSG_LEN,
    encode(w) {
      ifinfomsg(w, index, 0, 0);
      const list = w.beginNested(IFLA_PROP_LIST);
      for (const alt of altNames) w.attrString(IFLA_ALT_IFNAME, alt);
      w.endNested(list);
    },
    describe: () => `${action === 'add' ? 'add' : 'delete'} altname ${altNames.join(' ')} ${action === 'add' ? 'to' : 'of'} link ${name}`,
    attributeName: linkAttributeName,
  };
}
