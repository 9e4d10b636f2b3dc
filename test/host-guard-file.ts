// Per test file: the file fails, named, if it changed the machine it runs on
// (hostname, domain name, /etc/resolv.conf, /etc/hosts). The
// suite-wide check in host-guard.ts catches anything that happens between files.
import { afterAll, beforeAll, expect } from 'vitest';
import { hostSnapshot, hostChanges } from './host-snapshot.js';

let before: Record<string, string> | undefined;

beforeAll(() => {
  before = hostSnapshot({ netns: false });
});

afterAll(() => {
  if (!before) return;
  const changes = hostChanges(before, hostSnapshot({ netns: false }));
  if (changes.length > 0) {
    const file = expect.getState().testPath ?? 'this test file';
    throw new Error(`${file} changed this machine: ${changes.join('; ')}`);
  }
});
