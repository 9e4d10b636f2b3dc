// Which network namespace are we talking about? Named namespaces live under
// /run/netns (iproute2's convention); the state of each is kept apart.
import fs from 'node:fs';
import path from 'node:path';
import { netnsPath } from './netlink/transport.js';
import { RtnlClient } from './netlink/rtnetlink/client.js';
import type { Logger } from './log.js';

export const NETNS_DIR = '/run/netns';

/** Name of the namespace this process is in, when it is a named one. */
export function currentNetnsName(): string | undefined {
  let self: fs.Stats;
  try {
    self = fs.statSync('/proc/self/ns/net');
  } catch {
    return undefined;
  }
  let names: string[];
  try {
    names = fs.readdirSync(NETNS_DIR);
  } catch {
    return undefined;
  }
  for (const name of names.sort()) {
    try {
      const st = fs.statSync(path.join(NETNS_DIR, name));
      if (st.ino === self.ino && st.dev === self.dev) return name;
    } catch {
      // a namespace that went away while we looked
    }
  }
  return undefined;
}

/**
 * Whether this process works on the machine's own network namespace: the
 * initial one, and not a named one (ip netns exec).
 */
export function inHostNetns(): boolean {
  if (currentNetnsName() !== undefined) return false;
  // when nothing can tell, it is not assumed to be the machine's: netcfg then writes no /etc files and sets no hostname
  return inInitialNetns() === true;
}

/**
 * The network namespace a run works on, as far as host-global things (/etc,
 * the hostname, the kernel command line, sysfs, the state scope) are concerned:
 *  - host: the machine's own (no --netns, not under `ip netns exec`);
 *  - named: `--netns NAME`, or detected under `ip netns exec NAME`;
 *  - other: `--netns /proc/PID/ns/net`, or an unnamed namespace this process
 *    is in (a container, `unshare -n`): nothing of the machine's may be assumed to be its.
 */
export type NetnsPlace = { kind: 'host' } | { kind: 'named'; name: string } | { kind: 'other'; what: string };

export function netnsPlace(netns: string | undefined): NetnsPlace {
  if (netns !== undefined) return netns.startsWith('/') ? { kind: 'other', what: `network namespace ${netns}` } : { kind: 'named', name: netns };
  const name = currentNetnsName();
  if (name !== undefined) return { kind: 'named', name };
  return inHostNetns() ? { kind: 'host' } : { kind: 'other', what: 'an unnamed network namespace (not the machine\'s own)' };
}

/** rtnetlink in a namespace (a clear error when a named one does not exist). */
export function openNetnsKernel(netns: string | undefined, log?: Logger): RtnlClient {
  if (netns !== undefined) checkNetns(netns);
  return RtnlClient.open({ netns, ...(log ? { log } : {}) });
}

/** Throws a clear error when a named namespace does not exist. */
export function checkNetns(netns: string): void {
  const p = netnsPath(netns);
  if (!fs.existsSync(p)) throw new Error(`network namespace "${netns}" does not exist (${p})`);
}

/** The initial network namespace's fixed inode number (PROC_NET_INIT_INO, Linux 6.18 and later). */
const PROC_NET_INIT_INO = 0xeffffff9;
/** Dynamically allocated namespace inode numbers start here (PROC_DYNAMIC_FIRST): a fixed one can never be mistaken for them. */
const PROC_DYNAMIC_FIRST = 0xf0000000;

function sameNetns(pid: number): boolean | undefined {
  try {
    const a = fs.statSync('/proc/self/ns/net');
    const b = fs.statSync(`/proc/${pid}/ns/net`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return undefined; // hidden (a sandbox may deny even root PID 1's namespace links)
  }
}

/**
 * Whether this process is in the machine's initial network namespace:
 * by the fixed inode of newer kernels; else by kthreadd (PID 2 of the initial
 * PID namespace, always in the initial network namespace); else by PID 1.
 * undefined when none of these can be read: callers must then assume it is not.
 */
export function inInitialNetns(): boolean | undefined {
  let ino: number;
  try {
    ino = fs.statSync('/proc/self/ns/net').ino;
  } catch {
    return undefined;
  }
  if (ino === PROC_NET_INIT_INO) return true;
  // a kernel with fixed initial inodes numbers every other namespace dynamically
  if (ino >= PROC_DYNAMIC_FIRST && fixedInitialInodes()) return false;
  let kthreadd = false;
  try {
    kthreadd = fs.readFileSync('/proc/2/comm', 'utf8').trim() === 'kthreadd';
  } catch {
    // no PID 2 here (a PID namespace of its own)
  }
  return (kthreadd ? sameNetns(2) : undefined) ?? sameNetns(1);
}

/** Whether this kernel gives the initial network namespace its fixed inode (seen through kthreadd's, when readable). */
function fixedInitialInodes(): boolean {
  try {
    if (fs.readFileSync('/proc/2/comm', 'utf8').trim() !== 'kthreadd') return false;
    return fs.statSync('/proc/2/ns/net').ino === PROC_NET_INIT_INO;
  } catch {
    return false;
  }
}

/**
 * Key under which netcfg keeps state: "host", "netns-<name>", or, for an
 * unnamed namespace this process is in (a container, `unshare -n`), one keyed
 * by the namespace's inode, so its records never mix with the machine's own.
 */
export function stateScope(netns: string | undefined): string {
  const name = netns ?? currentNetnsName();
  if (name === undefined) {
    if (inInitialNetns() === true) return 'host';
    return `netns-inode-${fs.statSync('/proc/self/ns/net').ino}`;
  }
  if (name.startsWith('/')) return `netns-path-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  return `netns-${name}`;
}
