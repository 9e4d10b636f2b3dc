// The project's reference material (../shared beside the checkout: specs,
// vectors, real Talos configs). CI always has it. On a clone without it, the
// tests that need it say plainly that their lane did not run (and, under CI,
// fail), while the rest of the suite passes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** ../shared relative to the repository root. */
export const SHARED_DIR = path.resolve(root, '../shared');

export function sharedAvailable(): boolean {
  return fs.existsSync(path.join(SHARED_DIR, 'specs'));
}

/** A path inside ../shared. */
export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

/**
 * `describe` for a lane that reads ../shared. Without it: under CI one failing
 * test says the lane could not run; elsewhere the lane is reported as not run
 * (a skipped suite whose name says so, and a line on stderr).
 */
export function describeWithShared(name: string, body: () => void): void {
  if (sharedAvailable()) {
    describe(name, body);
    return;
  }
  const why = `${SHARED_DIR} is missing: the "${name}" lane DID NOT RUN`;
  if (process.env.CI) {
    describe(name, () => {
      it('has the reference material it needs', () => {
        throw new Error(why);
      });
    });
  } else {
    process.stderr.write(`netcfg tests: ${why}\n`);
    describe.skip(`${name} — DID NOT RUN: ../shared is missing`, body);
  }
}
