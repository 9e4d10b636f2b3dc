// vrf: IFLA_VRF_TABLE (u32), the routing table the VRF device binds to.
import { registerLinkKind } from '../drivers.js';

const IFLA_VRF_TABLE = 1;

export interface VrfData {
  table: number;
}

registerLinkKind<VrfData>({
  kind: 'vrf',
  encodeData(w, data) {
    w.attrU32(IFLA_VRF_TABLE, data.table);
  },
  decodeData(r) {
    const data: VrfData = { table: 0 };
    while (r.next()) if (r.type === IFLA_VRF_TABLE) data.table = r.u32();
    return data;
  },
});
