// vlan: IFLA_VLAN_ID (u16) and IFLA_VLAN_PROTOCOL (big-endian u16: 0x8100 802.1Q, 0x88a8 802.1ad).
import { registerLinkKind } from '../drivers.js';

const IFLA_VLAN_ID = 1;
const IFLA_VLAN_PROTOCOL = 5;

export const VLAN_PROTOCOLS = { '802.1q': 0x8100, '802.1ad': 0x88a8 } as const;

export interface VlanData {
  id: number;
  protocol: number;
}

registerLinkKind<VlanData>({
  kind: 'vlan',
  encodeData(w, data) {
    w.attrU16(IFLA_VLAN_ID, data.id);
    w.attrU16be(IFLA_VLAN_PROTOCOL, data.protocol);
  },
  decodeData(r) {
    const data: VlanData = { id: 0, protocol: VLAN_PROTOCOLS['802.1q'] };
    while (r.next()) {
      if (r.type === IFLA_VLAN_ID) data.id = r.u16();
      else if (r.type === IFLA_VLAN_PROTOCOL) data.protocol = r.u16be();
    }
    return data;
  },
});
