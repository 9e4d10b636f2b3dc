// Recorded bytes (test/fixtures/*.hex) that seed the fuzzer. Found by walking up
// from this file, so the same code works compiled elsewhere (bench/fuzz.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function fixturesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'test', 'fixtures');
    if (fs.existsSync(path.join(candidate, 'links-dump.hex'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`test/fixtures not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const cache = new Map<string, Buffer>();

/** A recorded fixture's bytes (hex, whitespace ignored; lines starting with # are comments). */
export function seed(name: string): Buffer {
  let b = cache.get(name);
  if (!b) {
    const text = fs.readFileSync(path.join(fixturesDir(), `${name}.hex`), 'utf8');
    b = Buffer.from(
      text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('')
        .replace(/\s+/g, ''),
      'hex',
    );
    cache.set(name, b);
  }
  return b;
}

/** The fixtures whose names start with `prefix` (and exist). */
export function seeds(prefix: string): Array<{ name: string; bytes: Buffer }> {
  return fs
    .readdirSync(fixturesDir())
    .filter((f) => f.startsWith(prefix) && f.endsWith('.hex'))
    .sort()
    .map((f) => f.slice(0, -4))
    .map((name) => ({ name, bytes: seed(name) }));
}
