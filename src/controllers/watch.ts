// Kernel events wake the spec controllers (daemon mode). The events themselves
// are never trusted: they only trigger a full re-list (Talos §2.5), and an
// overrun (ENOBUFS) wakes everything.
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { NetlinkConnection } from '../netlink/connection.js';
import {
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_DELRULE,
  RTM_NEWRULE,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV4_RULE,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_IPV6_ROUTE,
  RTNLGRP_IPV6_RULE,
  RTNLGRP_LINK,
} from '../netlink/rtnetlink/constants.js';
import type { Logger } from '../log.js';

export interface WakeTargets {
  link: readonly string[];
  address: readonly string[];
  route: readonly string[];
  rule: readonly string[];
}

export class KernelWatch {
  private readonly conn: NetlinkConnection;

  constructor(
    netns: string | undefined,
    private readonly targets: WakeTargets,
    private readonly wake: (controller: string) => void,
    private readonly log: Logger,
  ) {
    this.conn = NetlinkConnection.open(NETLINK_ROUTE, { netns, receiveBuffer: 4 << 20 });
    this.conn.onNotification = (m) => {
      if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) this.wakeAll(this.targets.link);
      else if (m.type === RTM_NEWADDR || m.type === RTM_DELADDR) this.wakeAll(this.targets.address);
      else if (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE) this.wakeAll(this.targets.route);
      else if (m.type === RTM_NEWRULE || m.type === RTM_DELRULE) this.wakeAll(this.targets.rule);
    };
    this.conn.onOverrun = () => {
      this.log.warn('kernel event overrun (ENOBUFS): re-listing everything');
      this.wakeAll([...this.targets.link, ...this.targets.address, ...this.targets.route, ...this.targets.rule]);
    };
    this.conn.subscribe([RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE]);
  }

  private wakeAll(names: readonly string[]): void {
    for (const n of new Set(names)) this.wake(n);
  }

  close(): void {
    this.conn.close();
  }
}
