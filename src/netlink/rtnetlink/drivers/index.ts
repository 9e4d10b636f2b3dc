// Importing this module registers every built-in link kind.
import './dummy.js';
import './veth.js';
