// veth: the peer is described on creation by VETH_INFO_PEER, which holds a
// struct ifinfomsg followed by the peer's IFLA_* attributes.
import { registerLinkKind } from '../drivers.js';
import { IFLA_IFNAME } from '../constants.js';

const VETH_INFO_PEER = 1;

export interface VethData {
  peerName?: string;
}

registerLinkKind<VethData>({
  kind: 'veth',
  encodeData(w, data) {
    if (data.peerName === undefined) return;
    const peer = w.beginNested(VETH_INFO_PEER);
    w.zeros(16); // struct ifinfomsg for the peer
    w.attrString(IFLA_IFNAME, data.peerName);
    w.endNested(peer);
  },
  decodeData() {
    return {}; // the kernel reports no veth data in dumps
  },
});
