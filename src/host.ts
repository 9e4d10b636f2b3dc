// The host around a run: which namespaces we are in, where /etc is, which
// kernel command line applies, and the UTS namespace (hostname).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentNetnsName } from './netns.js';
import { parseCmdline, type CmdlineNetwork } from './config/cmdline.js';
import type { Uts } from './controllers/spec/hostname-spec.js';
import { native } from './native/index.js';
import type { HostnameStatus } from './resources/network/types.js';

/**
 * Whether this process works on the machine's own network namespace: it shares
 * PID 1's (when that can be read) and is not in a named one (ip netns exec).
 */
export function inHostNetns(): boolean {
  if (currentNetnsName() !== undefined) return false;
  try {
    const a = fs.statSync('/proc/self/ns/net');
    const b = fs.statSync('/proc/1/ns/net');
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return true; // PID 1 hidden (a sandbox): not a named namespace is all we can tell
  }
}

/**
 * /etc for a run: --etc-dir, else iproute2's per-namespace /etc/netns/NAME for
 * a named namespace (what `ip netns exec` shows as /etc), else /etc.
 */
export function etcDirFor(netns: string | undefined, explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  // under `ip netns exec NAME` (no --netns) /etc already shows /etc/netns/NAME's files
  if (netns !== undefined && !netns.startsWith('/')) return path.join('/etc/netns', netns);
  return '/etc';
}

/**
 * The kernel command line that applies: --cmdline FILE, or /proc/cmdline when
 * netcfg works on the machine's own network namespace (never for another
 * namespace: the command line describes the host's interfaces).
 */
export function kernelCmdline(netns: string | undefined, file: string | undefined, linkNames: readonly string[]): CmdlineNetwork | undefined {
  let text: string | undefined;
  if (file !== undefined) text = fs.readFileSync(file, 'utf8');
  else if (netns === undefined && inHostNetns()) text = fs.readFileSync('/proc/cmdline', 'utf8');
  return text === undefined ? undefined : parseCmdline(text, linkNames);
}

/** The kernel's "no domain name" value (what an unset domain reads as). */
const NO_DOMAIN = '(none)';

function readDomainname(): string {
  try {
    const d = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim();
    return d === '(none)' ? '' : d;
  } catch {
    return '';
  }
}

/**
 * The UTS namespace whose hostname netcfg manages: the one at `utsPath` when
 * given; the process's own when it works on its own network namespace;
 * otherwise none (the hostname of the namespace being configured is not ours
 * to set: it is reported as pending). When in doubt, netcfg does not rename the machine.
 */
export function kernelUts(netns: string | undefined, utsPath?: string): Uts {
  if (utsPath !== undefined) {
    return {
      current: () => {
        const [hostname, domainname] = native().namesIn(utsPath);
        return { hostname, domainname: domainname === '(none)' ? '' : domainname };
      },
      set: (names) => native().setNamesIn(utsPath, names.hostname, names.domainname || NO_DOMAIN),
    };
  }
  const other = netns ?? currentNetnsName();
  return {
    current: (): HostnameStatus => ({ hostname: os.hostname(), domainname: readDomainname() }),
    set: (names) => {
      native().sethostname(names.hostname);
      native().setdomainname(names.domainname || NO_DOMAIN);
    },
    refusal:
      other !== undefined
        ? `not applied: netcfg is configuring network namespace ${other}, whose hostname lives in a UTS namespace it was not given (pass --uts /proc/PID/ns/uts)`
        : undefined,
  };
}
