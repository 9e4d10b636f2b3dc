// Which network namespace are we talking about? Named namespaces live under
// /run/netns (iproute2's convention); the state of each is kept apart.
import fs from 'node:fs';
import path from 'node:path';
import { netnsPath } from './netlink/transport.js';

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

/** Throws a clear error when a named namespace does not exist. */
export function checkNetns(netns: string): void {
  const p = netnsPath(netns);
  if (!fs.existsSync(p)) throw new Error(`network namespace "${netns}" does not exist (${p})`);
}

/** Key under which netcfg keeps state: "netns-<name>" or "host". */
export function stateScope(netns: string | undefined): string {
  const name = netns ?? currentNetnsName();
  if (name === undefined) return 'host';
  if (name.startsWith('/')) return `netns-path-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  return `netns-${name}`;
}
