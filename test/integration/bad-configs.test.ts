// The bad-input corpora: test/fixtures/bad/*.yaml (every file is a realistic
// machine config with one mistake, a few with two) and
// test/fixtures/bad-documents/*.yaml (configuration documents: each rule of
// talos-multidoc.md, unknown kinds and fields, duplicates, conflicts). Each file
// is headed by the diagnostics netcfg must print for it:
//   # expect: LINE:COL PATH: MESSAGE-SUBSTRING     (LINE:COL is "-" when there is no position)
// `netcfg apply` must refuse each one with exit code 2, print exactly those
// errors at those positions, end with "nothing was changed", and leave the
// kernel untouched.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { netcfg, type CliResult } from '../helpers/cli.js';
import { createTestNet } from '../helpers/netns.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
/** Each corpus and the least number of files it must have. */
const CORPORA: ReadonlyArray<[string, number]> = [
  ['bad', 40],
  ['bad-documents', 30],
];
const CONCURRENCY = 4;

interface Expectation {
  /** "12:5", or undefined for "-" (no position). */
  position: string | undefined;
  path: string;
  message: string;
}

interface CorpusFile {
  name: string;
  file: string;
  expectations: Expectation[];
}

const EXPECT_LINE = /^# expect: (\d+:\d+|-) (\S+): (.+)$/;

function readCorpus(dir: string): CorpusFile[] {
  const CORPUS = path.join(FIXTURES, dir);
  return fs
    .readdirSync(CORPUS)
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const file = path.join(CORPUS, name);
      const expectations: Expectation[] = [];
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.startsWith('#')) break; // the header is the leading comment block
        if (!line.startsWith('# expect:')) continue;
        const m = EXPECT_LINE.exec(line);
        if (!m) throw new Error(`${name}: malformed expectation line: ${line}`);
        expectations.push({ position: m[1] === '-' ? undefined : m[1], path: m[2]!, message: m[3]! });
      }
      return { name, file, expectations };
    });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

for (const [dir, least] of CORPORA) {
  const corpus = readCorpus(dir);

  describe(`bad-input corpus ${dir}`, () => {
    it(`has at least ${least} files, each with a well-formed name and at least one expectation`, () => {
      expect(corpus.length).toBeGreaterThanOrEqual(least);
      for (const c of corpus) {
        expect(c.name, c.name).toMatch(/^\d{2}-[a-z0-9-]+\.yaml$/);
        expect(c.expectations.length, `${c.name}: no "# expect:" lines`).toBeGreaterThan(0);
      }
    });

    it('netcfg apply rejects every file with exactly the expected diagnostics and changes nothing', async () => {
      const net = createTestNet();
      const before = net.dump();

      const results = await mapLimit(corpus, CONCURRENCY, async (c) => {
        const r: CliResult = await netcfg(['apply', '--netns', net.ns, '--state-dir', net.stateDir, c.file]);
        return { c, r, dump: net.dump() };
      });

      for (const { c, r, dump } of results) {
        const context = `${c.name}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
        expect.soft(r.exitCode, `exit code of ${context}`).toBe(2);
        expect.soft(r.stdout, `stdout of ${context}`).toBe('');

        const lines = r.stderr.split('\n').filter((l) => l !== '');
        for (const e of c.expectations) {
          const where = e.position === undefined ? c.file : `${c.file}:${e.position}`;
          const prefix = `${where}: error: ${e.path}: `;
          const found = lines.some((l) => l.startsWith(prefix) && l.slice(prefix.length).includes(e.message));
          expect.soft(found, `missing "${prefix}...${e.message}..." in ${context}`).toBe(true);
        }
        // nothing beyond what the header announces
        const errorLines = lines.filter((l) => l.startsWith(`${c.file}:`) && / error: /.test(l) && !l.includes('invalid configuration'));
        expect.soft(errorLines.length, `number of error lines in ${context}`).toBe(c.expectations.length);
        expect.soft(r.stderr.trimEnd().endsWith('nothing was changed'), `last line of ${context}`).toBe(true);
        expect.soft(dump, `kernel state after ${c.name}`).toBe(before);
      }

      expect(net.dump()).toBe(before);
      expect(fs.existsSync(net.stateDir), 'the state directory was created').toBe(false);
    }, 240_000); // one CLI process per file, four at a time
  });
}
