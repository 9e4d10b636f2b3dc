// rtnetlink constants (include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h, if_arp.h, if.h).

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;
/** Alternative names (IFLA_PROP_LIST of IFLA_ALT_IFNAME), Linux 5.5+. */
export const RTM_NEWLINKPROP = 108;
export const RTM_DELLINKPROP = 109;

// multicast groups (enum rtnetlink_groups)
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_IPV6_RULE = 19;

// struct ifinfomsg is 16 bytes; IFLA_*
export const IFINFOMSG_LEN = 16;
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_STATS = 7;
export const IFLA_MASTER = 10;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_LINKINFO = 18;
export const IFLA_IFALIAS = 20;
export const IFLA_GROUP = 27;
export const IFLA_EXT_MASK = 29;
export const IFLA_PROMISCUITY = 30;
export const IFLA_NUM_TX_QUEUES = 31;
export const IFLA_NUM_RX_QUEUES = 32;
export const IFLA_CARRIER = 33;
export const IFLA_CARRIER_CHANGES = 35;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_MIN_MTU = 50;
export const IFLA_MAX_MTU = 51;
export const IFLA_PROP_LIST = 52;
export const IFLA_ALT_IFNAME = 53;
export const IFLA_PERM_ADDRESS = 54;
export const IFLA_PARENT_DEV_NAME = 56;
export const IFLA_PARENT_DEV_BUS_NAME = 57;

export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;

export const RTEXT_FILTER_VF = 1 << 0;
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_PROMISC = 0x100;
export const IFF_MASTER = 0x400;
export const IFF_SLAVE = 0x800;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

// ARPHRD_*
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_NONE = 65534;

// IF_OPER_* (RFC 2863)
export const OPER_STATES = ['unknown', 'notPresent', 'down', 'lowerLayerDown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPER_STATES)[number];

// struct ifaddrmsg is 8 bytes; IFA_*
export const IFADDRMSG_LEN = 8;
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_ANYCAST = 5;
export const IFA_CACHEINFO = 6;
export const IFA_MULTICAST = 7;
export const IFA_FLAGS = 8;
export const IFA_RT_PRIORITY = 9;

export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;
export const IFA_F_STABLE_PRIVACY = 0x800;

/** Flags a configuration may set; the kernel manages the rest (Talos AddressFlagsManaged). */
export const IFA_F_MANAGED_MASK =
  IFA_F_PERMANENT | IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN;

export const ADDRESS_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [IFA_F_SECONDARY, 'secondary'],
  [IFA_F_NODAD, 'nodad'],
  [IFA_F_OPTIMISTIC, 'optimistic'],
  [IFA_F_DADFAILED, 'dadfailed'],
  [IFA_F_HOMEADDRESS, 'homeaddress'],
  [IFA_F_DEPRECATED, 'deprecated'],
  [IFA_F_TENTATIVE, 'tentative'],
  [IFA_F_PERMANENT, 'permanent'],
  [IFA_F_MANAGETEMPADDR, 'mngtmpaddr'],
  [IFA_F_NOPREFIXROUTE, 'noprefixroute'],
  [IFA_F_MCAUTOJOIN, 'autojoin'],
  [IFA_F_STABLE_PRIVACY, 'stable-privacy'],
];

// struct rtmsg is 12 bytes; RTA_*
export const RTMSG_LEN = 12;
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_FLOW = 11;
export const RTA_CACHEINFO = 12;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTA_MFC_STATS = 17;
export const RTA_VIA = 18;
export const RTA_NEWDST = 19;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
export const RTA_EXPIRES = 23;
export const RTA_UID = 25;
export const RTA_TTL_PROPAGATE = 26;
export const RTA_IP_PROTO = 27;
export const RTA_SPORT = 28;
export const RTA_DPORT = 29;
export const RTA_NH_ID = 30;

export const RTAX_LOCK = 1;
export const RTAX_MTU = 2;
export const RTAX_WINDOW = 3;
export const RTAX_RTT = 4;
export const RTAX_ADVMSS = 8;
export const RTAX_HOPLIMIT = 10;
export const RTAX_INITCWND = 11;

export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;

export const RTPROT_UNSPEC = 0;
export const RTPROT_REDIRECT = 1;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_RA = 9;
export const RTPROT_DHCP = 16;

export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
/** RTM_GETROUTE: return the FIB entry that matches, not the resolved result. */
export const RTM_F_FIB_MATCH = 0x2000;
export const RTNH_F_ONLINK = 4;

export const LINK_ATTR_NAMES: Readonly<Record<number, string>> = {
  [IFLA_ADDRESS]: 'IFLA_ADDRESS',
  [IFLA_BROADCAST]: 'IFLA_BROADCAST',
  [IFLA_IFNAME]: 'IFLA_IFNAME',
  [IFLA_MTU]: 'IFLA_MTU',
  [IFLA_LINK]: 'IFLA_LINK',
  [IFLA_MASTER]: 'IFLA_MASTER',
  [IFLA_TXQLEN]: 'IFLA_TXQLEN',
  [IFLA_OPERSTATE]: 'IFLA_OPERSTATE',
  [IFLA_LINKINFO]: 'IFLA_LINKINFO',
  [IFLA_IFALIAS]: 'IFLA_IFALIAS',
  [IFLA_EXT_MASK]: 'IFLA_EXT_MASK',
  [IFLA_ALT_IFNAME]: 'IFLA_ALT_IFNAME',
  [IFLA_PROP_LIST]: 'IFLA_PROP_LIST',
};

export const ADDRESS_ATTR_NAMES: Readonly<Record<number, string>> = {
  [IFA_ADDRESS]: 'IFA_ADDRESS',
  [IFA_LOCAL]: 'IFA_LOCAL',
  [IFA_LABEL]: 'IFA_LABEL',
  [IFA_BROADCAST]: 'IFA_BROADCAST',
  [IFA_CACHEINFO]: 'IFA_CACHEINFO',
  [IFA_FLAGS]: 'IFA_FLAGS',
  [IFA_RT_PRIORITY]: 'IFA_RT_PRIORITY',
};

export const ROUTE_ATTR_NAMES: Readonly<Record<number, string>> = {
  [RTA_DST]: 'RTA_DST',
  [RTA_SRC]: 'RTA_SRC',
  [RTA_OIF]: 'RTA_OIF',
  [RTA_GATEWAY]: 'RTA_GATEWAY',
  [RTA_PRIORITY]: 'RTA_PRIORITY',
  [RTA_PREFSRC]: 'RTA_PREFSRC',
  [RTA_METRICS]: 'RTA_METRICS',
  [RTA_MULTIPATH]: 'RTA_MULTIPATH',
  [RTA_TABLE]: 'RTA_TABLE',
  [RTA_VIA]: 'RTA_VIA',
  [RTA_PREF]: 'RTA_PREF',
};

// struct fib_rule_hdr is 12 bytes; FRA_* (include/uapi/linux/fib_rules.h)
export const FIB_RULE_HDR_LEN = 12;
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_FLOW = 11;
export const FRA_TUN_ID = 12;
export const FRA_SUPPRESS_IFGROUP = 13;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_L3MDEV = 19;
export const FRA_UID_RANGE = 20;
export const FRA_PROTOCOL = 21;
export const FRA_IP_PROTO = 22;
export const FRA_SPORT_RANGE = 23;
export const FRA_DPORT_RANGE = 24;

export const FR_ACT_UNSPEC = 0;
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_GOTO = 2;
export const FR_ACT_NOP = 3;
export const FR_ACT_BLACKHOLE = 6;
export const FR_ACT_UNREACHABLE = 7;
export const FR_ACT_PROHIBIT = 8;

export const FIB_RULE_PERMANENT = 0x1;
export const FIB_RULE_INVERT = 0x2;
export const FIB_RULE_UNRESOLVED = 0x4;
export const FIB_RULE_IIF_DETACHED = 0x8;
export const FIB_RULE_OIF_DETACHED = 0x10;

export const RULE_ATTR_NAMES: Readonly<Record<number, string>> = {
  [FRA_DST]: 'FRA_DST',
  [FRA_SRC]: 'FRA_SRC',
  [FRA_IIFNAME]: 'FRA_IIFNAME',
  [FRA_GOTO]: 'FRA_GOTO',
  [FRA_PRIORITY]: 'FRA_PRIORITY',
  [FRA_FWMARK]: 'FRA_FWMARK',
  [FRA_SUPPRESS_PREFIXLEN]: 'FRA_SUPPRESS_PREFIXLEN',
  [FRA_TABLE]: 'FRA_TABLE',
  [FRA_FWMASK]: 'FRA_FWMASK',
  [FRA_OIFNAME]: 'FRA_OIFNAME',
  [FRA_PROTOCOL]: 'FRA_PROTOCOL',
};
