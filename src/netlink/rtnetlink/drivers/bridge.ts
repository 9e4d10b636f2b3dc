// bridge: IFLA_BR_STP_STATE (u32) and IFLA_BR_VLAN_FILTERING (u8).
import { registerLinkKind } from '../drivers.js';

const IFLA_BR_STP_STATE = 5;
const IFLA_BR_VLAN_FILTERING = 7;

export interface BridgeData {
  stp: boolean;
  vlanFiltering: boolean;
}

registerLinkKind<BridgeData>({
  kind: 'bridge',
  encodeData(w, data) {
    w.attrU32(IFLA_BR_STP_STATE, data.stp ? 1 : 0);
    w.attrU8(IFLA_BR_VLAN_FILTERING, data.vlanFiltering ? 1 : 0);
  },
  decodeData(r) {
    const data: BridgeData = { stp: false, vlanFiltering: false };
    while (r.next()) {
      if (r.type === IFLA_BR_STP_STATE) data.stp = r.u32() !== 0;
      else if (r.type === IFLA_BR_VLAN_FILTERING) data.vlanFiltering = r.u8() !== 0;
    }
    return data;
  },
});
