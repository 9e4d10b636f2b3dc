// Generic netlink: struct genlmsghdr, and family lookup through nlctrl.
import type { NlWriter } from './codec.js';
import { AttrReader } from './codec.js';
import { NETLINK_GENERIC } from './constants.js';
import { NetlinkConnection, type ConnectionOptions, type Request } from './connection.js';
import { NetlinkDecodeError, isNetlinkErrno } from './errors.js';
import type { NlMessage } from './message.js';
import type { OpenOptions } from './transport.js';

export const GENL_HDRLEN = 4;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
const CTRL_ATTR_MCAST_GROUPS = 7;
const CTRL_ATTR_MCAST_GRP_NAME = 1;
const CTRL_ATTR_MCAST_GRP_ID = 2;

export interface GenlFamily {
  name: string;
  id: number;
  version: number;
  groups: Map<string, number>;
}

export function genlHeader(w: NlWriter, cmd: number, version: number): void {
  w.u8(cmd).u8(version).u16(0);
}

/** A generic netlink request: the family ID as message type, a command, attributes. */
export function genlRequest(family: GenlFamily, cmd: number, write: boolean, encode: (w: NlWriter) => void, describe: () => string): Request {
  return {
    type: family.id,
    write,
    headerLength: GENL_HDRLEN,
    encode(w) {
      genlHeader(w, cmd, family.version);
      encode(w);
    },
    describe,
  };
}

/** Attributes of a generic netlink message (after the genlmsghdr). */
export function genlAttributes(m: NlMessage): AttrReader {
  if (m.length < GENL_HDRLEN) throw new NetlinkDecodeError(`genlmsghdr of ${m.length} bytes`, m.offset);
  return new AttrReader(m.buf, m.offset + GENL_HDRLEN, m.offset + m.length);
}

/** Decodes a CTRL_CMD_GETFAMILY reply (nlctrl) for family `name`. */
export function decodeFamily(name: string, m: NlMessage): GenlFamily {
  const f: GenlFamily = { name, id: 0, version: 0, groups: new Map() };
  const r = genlAttributes(m);
  while (r.next()) {
    if (r.type === CTRL_ATTR_FAMILY_ID) f.id = r.u16();
    else if (r.type === CTRL_ATTR_VERSION) f.version = r.u32();
    else if (r.type === CTRL_ATTR_MCAST_GROUPS) {
      const groups = r.nested();
      while (groups.next()) {
        const g = groups.nested();
        let gname = '';
        let gid = 0;
        while (g.next()) {
          if (g.type === CTRL_ATTR_MCAST_GRP_NAME) gname = g.string();
          else if (g.type === CTRL_ATTR_MCAST_GRP_ID) gid = g.u32();
        }
        if (gname) f.groups.set(gname, gid);
      }
    }
  }
  return f;
}

export class GenlClient {
  private readonly families = new Map<string, GenlFamily | null>();

  constructor(readonly conn: NetlinkConnection) {}

  static open(options: OpenOptions & ConnectionOptions = {}): GenlClient {
    return new GenlClient(NetlinkConnection.open(NETLINK_GENERIC, options));
  }

  /** The family, or undefined when the kernel does not know it (module not loaded). */
  async family(name: string): Promise<GenlFamily | undefined> {
    if (this.families.has(name)) return this.families.get(name) ?? undefined;
    const request: Request = {
      type: GENL_ID_CTRL,
      write: false,
      headerLength: GENL_HDRLEN,
      encode(w) {
        genlHeader(w, CTRL_CMD_GETFAMILY, 1);
        w.attrString(CTRL_ATTR_FAMILY_NAME, name);
      },
      describe: () => `look up generic netlink family ${name}`,
    };
    let found: GenlFamily | undefined;
    try {
      found = await this.conn.query(request, (m) => decodeFamily(name, m));
    } catch (err) {
      if (!isNetlinkErrno(err, 'ENOENT')) throw err;
    }
    this.families.set(name, found ?? null);
    return found;
  }

  close(): void {
    this.conn.close();
  }
}
