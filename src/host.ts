// The host around a run: which namespaces we are in, where /etc is, which
// kernel command line applies, and the UTS namespace (hostname).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { netnsPlace } from './netns.js';
import { parseCmdline, type CmdlineNetwork } from './config/cmdline.js';
import type { Uts } from './controllers/spec/hostname-spec.js';
import { native } from './native/index.js';
import type { HostnameStatus } from './resources/network/types.js';

export { inHostNetns, netnsPlace, type NetnsPlace } from './netns.js';

/** iproute2's per-namespace /etc: what `ip netns exec NAME` bind-mounts over /etc. */
export function netnsEtcDir(name: string): string {
  return path.join('/etc/netns', name);
}

/** Where resolv.conf and hosts go for a run, and how they are written. */
export interface EtcTarget {
  /** undefined: no files are written (an unnamed namespace without --etc-dir). */
  dir: string | undefined;
  /**
   * Rewrite an existing file in place (same inode) rather than replacing it:
   * `ip netns exec NAME` bind-mounts /etc/netns/NAME/FILE over /etc/FILE for
   * every process it starts, and a bind mount keeps showing the inode it was
   * made from, so only an in-place write reaches processes already running there.
   */
  inPlace: boolean;
  /** Why no files are written (said once). */
  skipped?: string | undefined;
}

/**
 * /etc for a run: --etc-dir; else /etc/netns/NAME for a named namespace (also
 * under `ip netns exec NAME`, where /etc/resolv.conf is the machine's own file
 * unless /etc/netns/NAME/resolv.conf existed when the process started); /etc
 * only for the machine's own namespace; nothing for an unnamed one.
 */
export function etcTargetFor(netns: string | undefined, explicit: string | undefined): EtcTarget {
  const place = netnsPlace(netns);
  if (explicit !== undefined) return { dir: explicit, inPlace: place.kind === 'named' && path.resolve(explicit) === netnsEtcDir(place.name) };
  switch (place.kind) {
    case 'host':
      return { dir: '/etc', inPlace: false };
    case 'named':
      return { dir: netnsEtcDir(place.name), inPlace: true };
    case 'other':
      return { dir: undefined, inPlace: false, skipped: `resolv.conf and hosts are not written: netcfg works on ${place.what}, whose /etc is not known (pass --etc-dir DIR)` };
  }
}

/**
 * The kernel command line that applies: --cmdline FILE, or /proc/cmdline when
 * netcfg works on the machine's own network namespace (never for another
 * namespace: the command line describes the host's interfaces).
 */
export function kernelCmdline(netns: string | undefined, file: string | undefined, linkNames: readonly string[]): CmdlineNetwork | undefined {
  let text: string | undefined;
  if (file !== undefined) text = fs.readFileSync(file, 'utf8');
  else if (netnsPlace(netns).kind === 'host') text = fs.readFileSync('/proc/cmdline', 'utf8');
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
  const place = netnsPlace(netns);
  const other = place.kind === 'named' ? `network namespace ${place.name}` : place.kind === 'other' ? place.what : undefined;
  return {
    current: (): HostnameStatus => ({ hostname: os.hostname(), domainname: readDomainname() }),
    set: (names) => {
      native().sethostname(names.hostname);
      native().setdomainname(names.domainname || NO_DOMAIN);
    },
    refusal:
      other !== undefined
        ? `not applied: netcfg is configuring ${other}, whose hostname lives in a UTS namespace it was not given (pass --uts /proc/PID/ns/uts)`
        : undefined,
  };
}
