// parseConfig checks a small config without zod's compiled validators (they
// cost more to compile than they save) and a large one with them: both ways
// must give the same config and the same issues, positions included.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/config/issues.js';
import { exactJson } from '../../src/util/exact-json.js';

const fixtures = path.resolve(__dirname, '../fixtures');
const files = ['seeds', 'bad', 'bad-documents'].flatMap((dir) =>
  fs
    .readdirSync(path.join(fixtures, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(fixtures, dir, f)),
);

/** What parseConfig gives: the loaded config, or the issues it throws. */
function outcome(file: string, compiledValidators: boolean): { loaded?: LoadedConfig; issues?: unknown } {
  try {
    return { loaded: parseConfig(file, fs.readFileSync(file, 'utf8'), { compiledValidators }) };
  } catch (err) {
    if (err instanceof ConfigInvalidError) return { issues: err.issues };
    throw err;
  }
}

describe('config checked with and without compiled validators', () => {
  it('picks them by size: none for a small config, compiled ones from 256 KB on', async () => {
    // fresh schemas (zod compiles a schema's validator once and keeps it); zod compiles with new Function
    vi.resetModules();
    const fresh = await import('../../src/config/load.js');
    const made: string[] = [];
    const Real = globalThis.Function;
    globalThis.Function = new Proxy(Real, {
      construct(target, args: string[]) {
        made.push(args.at(-1) ?? '');
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      const text = fs.readFileSync(path.join(fixtures, 'seeds/static-ip.yaml'), 'utf8');
      fresh.parseConfig('small.yaml', text);
      expect(made).toEqual([]);
      // the same config, made larger by a comment
      fresh.parseConfig('large.yaml', `${text}\n${`# ${'-'.repeat(98)}\n`.repeat(2700)}`);
      expect(made.length).toBeGreaterThan(0);
    } finally {
      globalThis.Function = Real;
    }
  });

  it('gives the same config and issues for every fixture either way', () => {
    expect(files.length).toBeGreaterThan(130);
    let valid = 0;
    for (const file of files) {
      const interpreted = outcome(file, false);
      expect({ file, ...outcome(file, true) }).toEqual({ file, ...interpreted });
      if (interpreted.loaded) valid++;
    }
    expect(valid).toBeGreaterThan(10);
  });

  it('gives the same config for every valid fixture made larger than 256 KB (its strings then its own, not slices of the text)', () => {
    let valid = 0;
    for (const file of files) {
      const small = outcome(file, false).loaded;
      if (!small) continue; // a config with errors is never remade: its issues are thrown first
      const text = fs.readFileSync(file, 'utf8');
      const large = parseConfig(file, `${text}\n${`# ${'-'.repeat(98)}\n`.repeat(2700)}`);
      // it is remade: JSON gives it back exactly
      expect(exactJson({ config: large.config, documents: large.documents }), file).toBeDefined();
      expect(exactJson(large.notes), file).toBeDefined();
      expect(large, file).toStrictEqual(small);
      // in the same order too (JSON output, the validated copy)
      expect(JSON.stringify(large), file).toBe(JSON.stringify(small));
      valid++;
    }
    expect(valid).toBeGreaterThan(10);
  });
});
