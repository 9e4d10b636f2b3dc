// Kernel events: a netlink socket joined to the link, address and route
// multicast groups. Events are only triggers (the status controllers re-list);
// route events are read no further than their header, table and destination,
// and dropped there unless the filter wants them, so a routing daemon's churn
// in tables netcfg does not use costs next to nothing.
import { AttrReader, readS32 } from '../codec.js';
import { NETLINK_ROUTE } from '../constants.js';
import { NetlinkConnection, type ConnectionOptions } from '../connection.js';
import type { NlMessage } from '../message.js';
import type { OpenOptions } from '../transport.js';
import { familyOfAf, formatBytes } from '../../net/ip.js';
import {
  IFINFOMSG_LEN,
  RTA_DST,
  RTA_TABLE,
  RTMSG_LEN,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_IPV6_ROUTE,
  RTNLGRP_LINK,
  RTM_DELRULE,
  RTM_NEWRULE,
  RTNLGRP_IPV4_RULE,
  RTNLGRP_IPV6_RULE,
} from './constants.js';
import { nestedPauses } from '../../util/pauses.js';
import { getLinkRequest } from './link.js';

/** What kernel events are about. */
export type KernelEventKind = 'link' | 'address' | 'route' | 'rule';

/** The header fields of a route event: enough to tell whether it concerns netcfg. */
export interface RouteEventHeader {
  family: 'inet4' | 'inet6';
  table: number;
  /** Destination prefix ("10.0.0.0/8"; "" for a default route). */
  dst: string;
}

export interface KernelWatchOptions {
  kinds: readonly KernelEventKind[];
  /** `ifindex`: for a link event, the link it is about (read from the header alone). */
  onEvent(kind: KernelEventKind, ifindex?: number): void;
  /** The kernel dropped events (ENOBUFS): whatever is watched must be re-listed. */
  onOverrun(): void;
  /** Route events: only those it accepts are delivered; the rest are dropped after reading their header. */
  routeFilter?(route: RouteEventHeader): boolean;
}

export interface KernelEvents {
  /** Resolves once every event of a kernel change made before the call has been delivered. */
  barrier(): Promise<void>;
  /**
   * Stops route events until the function returned is called (pauses nest):
   * the kernel sends none meanwhile, and when the last pause ends, onEvent('route')
   * is called once, so that whoever watches routes re-lists what it missed. A
   * no-op when routes are not watched.
   */
  pauseRoutes(): () => void;
  close(): void;
}

const reader = new AttrReader(Buffer.alloc(0), 0, 0);

/** Family, table and destination of a route message; undefined when it is not one netcfg could hold. */
export function routeEventHeader(m: NlMessage): RouteEventHeader | undefined {
  if (m.length < RTMSG_LEN) return undefined;
  const b = m.buf;
  const o = m.offset;
  const family = familyOfAf(b[o] ?? 0);
  if (!family) return undefined;
  const dstLen = b[o + 1] ?? 0;
  let table = b[o + 4] ?? 0;
  let dst = '';
  const r = reader.reset(b, o + RTMSG_LEN, o + m.length);
  while (r.next()) {
    if (r.type === RTA_TABLE && r.length >= 4) table = r.u32();
    else if (r.type === RTA_DST && dstLen > 0 && (r.length === 4 || r.length === 16)) dst = `${formatBytes(r.buf, r.offset, r.length)}/${dstLen}`;
  }
  return { family, table, dst };
}

/** Opens the event socket in a namespace (or our own). */
export function openKernelWatch(options: KernelWatchOptions, open: OpenOptions & ConnectionOptions = {}): KernelEvents {
  // a malformed event is logged (open.log) and dropped by the connection: it never throws here
  const conn = NetlinkConnection.open(NETLINK_ROUTE, { ...open, receiveBuffer: 4 << 20 });
  const kinds = new Set(options.kinds);
  conn.onNotification = (m) => {
    switch (m.type) {
      case RTM_NEWLINK:
      case RTM_DELLINK:
        if (kinds.has('link')) options.onEvent('link', m.length >= IFINFOMSG_LEN ? readS32(m.buf, m.offset + 4) : undefined);
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        if (kinds.has('address')) options.onEvent('address');
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE: {
        if (!kinds.has('route')) break;
        const header = routeEventHeader(m);
        if (header && (options.routeFilter?.(header) ?? true)) options.onEvent('route');
        break;
      }
      case RTM_NEWRULE:
      case RTM_DELRULE:
        if (kinds.has('rule')) options.onEvent('rule');
        break;
      default:
        break;
    }
  };
  conn.onOverrun = () => options.onOverrun();
  const routeGroups = kinds.has('route') ? [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE] : [];
  const groups: number[] = [...routeGroups];
  if (kinds.has('link')) groups.push(RTNLGRP_LINK);
  if (kinds.has('address')) groups.push(RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR);
  if (kinds.has('rule')) groups.push(RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE);
  conn.subscribe(groups);
  let closed = false;
  const pause = nestedPauses(
    // leaving a group netcfg is not in (a resume that failed to join again) is no error
    () => conn.unsubscribe(routeGroups),
    () => {
      if (closed) return;
      // a join that throws leaves the groups left: the next pause and resume join them again
      conn.subscribe(routeGroups);
      options.onEvent('route');
    },
  );
  return {
    // a request on the same socket: its reply is queued after every event sent before it
    barrier: async () => {
      await conn.query(getLinkRequest('lo'), () => true);
    },
    pauseRoutes: () => (routeGroups.length === 0 || closed ? () => {} : pause()),
    close: () => {
      closed = true;
      conn.close();
    },
  };
}
