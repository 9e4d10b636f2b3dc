// Global setup: the suite must never change the machine it runs on. Records the
// hostname, domain name, /etc/resolv.conf, /etc/hosts and /etc/netns before the
// tests and fails the run if any of them differ afterwards.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

function snapshot(): Record<string, string> {
  const read = (f: string) => {
    try {
      return crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    } catch {
      return 'absent';
    }
  };
  let netns = 'absent';
  try {
    netns = fs.readdirSync('/etc/netns').sort().join(',');
  } catch {
    // none
  }
  return {
    hostname: os.hostname(),
    domainname: fs.readFileSync('/proc/sys/kernel/domainname', 'utf8').trim(),
    'resolv.conf': read('/etc/resolv.conf'),
    hosts: read('/etc/hosts'),
    '/etc/netns': netns,
  };
}

export default function setup(): () => void {
  const before = snapshot();
  return () => {
    const after = snapshot();
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    if (changed.length > 0) {
      throw new Error(`the test suite changed this machine: ${changed.map((k) => `${k}: ${before[k]} → ${after[k]}`).join('; ')}`);
    }
  };
}
