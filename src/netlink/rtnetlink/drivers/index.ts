// Importing this module registers every built-in link kind.
import './bond.js';
import './bridge.js';
import './dummy.js';
import './veth.js';
import './vlan.js';
import './vrf.js';
import './wireguard.js';
