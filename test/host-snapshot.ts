// What the test suite must never change on the machine it runs on: the
// hostname and domain name, /etc/resolv.conf, /etc/hosts, and /etc/netns
// (iproute2's per-namespace /etc; tests that use it clean it up).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

function digest(file: string): string {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return 'absent';
  }
}

/**
 * With `netns`, also the entries of /etc/netns: only between whole runs, since a
 * test file that works with /etc/netns/NAME has it while it runs, and files run
 * side by side.
 */
export function hostSnapshot(options: { netns: boolean }): Record<string, string> {
  const out: Record<string, string> = {
    hostname: os.hostname(),
    domainname: fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim(),
    '/etc/resolv.conf': digest('/etc/resolv.conf'),
    '/etc/hosts': digest('/etc/hosts'),
  };
  if (options.netns) {
    try {
      out['/etc/netns'] = fs.readdirSync('/etc/netns').sort().join(',');
    } catch {
      out['/etc/netns'] = 'absent';
    }
  }
  return out;
}

/** What differs, one line each ("/etc/hosts: <sha> → <sha>"). */
export function hostChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before)
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${before[k] || '(empty)'} → ${after[k] || '(empty)'}`);
}
