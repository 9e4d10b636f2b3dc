// Global setup: the suite must never change the machine it runs on. Records the
// hostname, domain name, /etc/resolv.conf, /etc/hosts and /etc/netns before the
// tests and fails the run if any of them differ afterwards (each test file is
// also checked on its own, by host-guard-file.ts, which names the file).
import { hostChanges, hostSnapshot } from './host-snapshot.js';

export default function setup(): () => void {
  const before = hostSnapshot({ netns: true });
  return () => {
    const changes = hostChanges(before, hostSnapshot({ netns: true }));
    if (changes.length > 0) throw new Error(`the test suite changed this machine: ${changes.join('; ')}`);
  };
}
