// The host around a run: which namespaces we are in, where /etc is, which
// kernel command line applies, and the UTS namespace (hostname).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCmdline, type CmdlineNetwork } from './config/cmdline.js';
import type { Uts } from './controllers/spec/hostname-spec.js';
import { native } from './native/index.js';
import type { HostnameStatus } from './resources/network/types.js';

function sameNamespace(kind: 'net' | 'uts', pid: number | 'self'): boolean {
  try {
    const a = fs.statSync(`/proc/self/ns/${kind}`);
    const b = fs.statSync(`/proc/${pid}/ns/${kind}`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** True when this process shares PID 1's namespace of that kind (the machine's own). */
export function inInitialNamespace(kind: 'net' | 'uts'): boolean {
  return sameNamespace(kind, 1);
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
  else if (netns === undefined && inInitialNamespace('net')) text = fs.readFileSync('/proc/cmdline', 'utf8');
  return text === undefined ? undefined : parseCmdline(text, linkNames);
}

function readDomainname(): string {
  try {
    const d = fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim();
    return d === '(none)' ? '' : d;
  } catch {
    return '';
  }
}

/** The process's UTS namespace; refuses when that would rename the machine while configuring another netns. */
export function kernelUts(netns: string | undefined): Uts {
  const otherNetns = netns !== undefined || !inInitialNamespace('net');
  const refusal =
    otherNetns && inInitialNamespace('uts')
      ? "not applied: netcfg is configuring another network namespace but shares this machine's UTS namespace (run it under `unshare --uts` to set the hostname)"
      : undefined;
  return {
    current: (): HostnameStatus => ({ hostname: os.hostname(), domainname: readDomainname() }),
    set: (names) => {
      native().sethostname(names.hostname);
      native().setdomainname(names.domainname);
    },
    refusal,
  };
}
