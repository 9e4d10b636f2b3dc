// Every fuzz target, for bench/fuzz.mjs and the suite.
import { connectionTarget } from './connection.js';
import { dhcpTargets } from './dhcp.js';
import { netlinkTargets } from './netlink.js';
import type { FuzzTarget } from './target.js';

export const allTargets: ReadonlyArray<FuzzTarget<Buffer> | FuzzTarget<Buffer[]>> = [...netlinkTargets, connectionTarget, ...dhcpTargets];

export { runTarget, formatFailure } from './run.js';
export { SLOW_CASE_MS } from './target.js';
