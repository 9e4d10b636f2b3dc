// bond: IFLA_BOND_* (include/uapi/linux/if_link.h). Data is a map of attribute
// number → value; each attribute is written with its kernel width.
import { registerLinkKind } from '../drivers.js';

export const IFLA_BOND = {
  MODE: 1,
  ACTIVE_SLAVE: 2,
  MIIMON: 3,
  UPDELAY: 4,
  DOWNDELAY: 5,
  USE_CARRIER: 6,
  ARP_INTERVAL: 7,
  ARP_IP_TARGET: 8,
  ARP_VALIDATE: 9,
  ARP_ALL_TARGETS: 10,
  PRIMARY: 11,
  PRIMARY_RESELECT: 12,
  FAIL_OVER_MAC: 13,
  XMIT_HASH_POLICY: 14,
  RESEND_IGMP: 15,
  NUM_PEER_NOTIF: 16,
  ALL_SLAVES_ACTIVE: 17,
  MIN_LINKS: 18,
  LP_INTERVAL: 19,
  PACKETS_PER_SLAVE: 20,
  AD_LACP_RATE: 21,
  AD_SELECT: 22,
  AD_INFO: 23,
  AD_ACTOR_SYS_PRIO: 24,
  AD_USER_PORT_KEY: 25,
  AD_ACTOR_SYSTEM: 26,
  TLB_DYNAMIC_LB: 27,
  PEER_NOTIF_DELAY: 28,
  AD_LACP_ACTIVE: 29,
  MISSED_MAX: 30,
} as const;

/** Width in bytes of each numeric bond attribute. */
export const BOND_WIDTH: Readonly<Record<number, 1 | 2 | 4>> = {
  [IFLA_BOND.MODE]: 1,
  [IFLA_BOND.ACTIVE_SLAVE]: 4,
  [IFLA_BOND.MIIMON]: 4,
  [IFLA_BOND.UPDELAY]: 4,
  [IFLA_BOND.DOWNDELAY]: 4,
  [IFLA_BOND.USE_CARRIER]: 1,
  [IFLA_BOND.ARP_INTERVAL]: 4,
  [IFLA_BOND.ARP_VALIDATE]: 4,
  [IFLA_BOND.ARP_ALL_TARGETS]: 4,
  [IFLA_BOND.PRIMARY]: 4,
  [IFLA_BOND.PRIMARY_RESELECT]: 1,
  [IFLA_BOND.FAIL_OVER_MAC]: 1,
  [IFLA_BOND.XMIT_HASH_POLICY]: 1,
  [IFLA_BOND.RESEND_IGMP]: 4,
  [IFLA_BOND.NUM_PEER_NOTIF]: 1,
  [IFLA_BOND.ALL_SLAVES_ACTIVE]: 1,
  [IFLA_BOND.MIN_LINKS]: 4,
  [IFLA_BOND.LP_INTERVAL]: 4,
  [IFLA_BOND.PACKETS_PER_SLAVE]: 4,
  [IFLA_BOND.AD_LACP_RATE]: 1,
  [IFLA_BOND.AD_SELECT]: 1,
  [IFLA_BOND.AD_ACTOR_SYS_PRIO]: 2,
  [IFLA_BOND.AD_USER_PORT_KEY]: 2,
  [IFLA_BOND.TLB_DYNAMIC_LB]: 1,
  [IFLA_BOND.PEER_NOTIF_DELAY]: 4,
  [IFLA_BOND.AD_LACP_ACTIVE]: 1,
  [IFLA_BOND.MISSED_MAX]: 1,
};

export const BOND_ATTRIBUTE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(IFLA_BOND).map(([k, v]) => [v, k.toLowerCase()]));

/** Numeric bond settings by IFLA_BOND_* number. */
export type BondData = Map<number, number>;

registerLinkKind<BondData>({
  kind: 'bond',
  encodeData(w, data) {
    for (const [type, value] of data) {
      const width = BOND_WIDTH[type];
      if (width === 1) w.attrU8(type, value);
      else if (width === 2) w.attrU16(type, value);
      else if (width === 4) w.attrU32(type, value);
      else throw new Error(`bond attribute ${type} has no known width`);
    }
  },
  decodeData(r) {
    const data: BondData = new Map();
    while (r.next()) {
      const width = BOND_WIDTH[r.type];
      if (width === 1 && r.length >= 1) data.set(r.type, r.u8());
      else if (width === 2 && r.length >= 2) data.set(r.type, r.u16());
      else if (width === 4 && r.length >= 4) data.set(r.type, r.u32());
    }
    return data;
  },
});
