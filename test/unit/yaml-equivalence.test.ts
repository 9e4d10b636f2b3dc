// One YAML semantics: netcfg parses documents with js-yaml (fast) and finds
// positions with the `yaml` package (only to report). This corpus test proves
// both agree on every config file the project has — the real Talos configs,
// the test fixtures and the YAML examples of the seed guide: the same
// documents (values), the same document boundaries, and for every node the
// same line and column whether located in its own document (as netcfg does)
// or in the whole file parsed at once.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { Locator } from '../../src/config/locate.js';
import { parseChunk, splitStream, YamlSyntaxError } from '../../src/config/stream.js';
import { describeWithShared, sharedAvailable, sharedPath } from '../helpers/shared.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (e.name.endsWith('.yaml') || e.name.endsWith('.yml')) out.push(p);
  }
  return out.sort();
}

/** The ```yaml blocks of a Markdown guide, as (name, text). */
function markdownBlocks(file: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const re = /```ya?ml\n([\s\S]*?)```/g;
  const text = fs.readFileSync(file, 'utf8');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([`${path.basename(file)}#${out.length + 1}`, m[1]!]);
  return out;
}

type Path = Array<string | number>;

/** Every node's path and position in a `yaml` document (keys of maps, items of lists). */
function positions(node: unknown, lines: LineCounter, at: Path, out: Map<string, [Path, string]>): void {
  const range = (node as Node | null)?.range;
  if (range) {
    const p = lines.linePos(range[0]);
    out.set(JSON.stringify(at), [at, `${p.line}:${p.col}`]);
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      positions(pair.value, lines, [...at, String(pair.key.value)], out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => positions(item, lines, [...at, i], out));
  }
}

/** Compares both parsers on one stream; returns how many node positions were compared. */
function compare(name: string, text: string): number {
  const lines = new LineCounter();
  const whole = parseAllDocuments(text, { lineCounter: lines });
  const wholeDocs = Array.isArray(whole) ? whole : [whole];
  const yamlFails = wholeDocs.some((d) => d.errors.length > 0);
  const chunks = splitStream(text);
  let values: unknown[];
  try {
    values = chunks.map((c) => parseChunk(name, c));
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    expect(yamlFails, `${name}: js-yaml rejects it (${err.message}) but yaml accepts it`).toBe(true);
    return 0;
  }
  expect(yamlFails, `${name}: yaml rejects it (${wholeDocs.flatMap((d) => d.errors).map((e) => e.message).join('; ')}) but js-yaml accepts it`).toBe(false);

  // the same documents (empty ones are skipped by both netcfg and Talos)
  const nonEmpty = chunks.map((c, i) => ({ c, v: values[i] })).filter((x) => x.v !== null && x.v !== undefined);
  const wholeNonEmpty = wholeDocs.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null));
  expect(nonEmpty.map((x) => x.v), `${name}: documents`).toEqual(wholeNonEmpty.map((d) => d.toJS()));

  // the same positions: each document's start, and every node located in its own document
  let compared = 0;
  nonEmpty.forEach(({ c }, i) => {
    const doc = wholeNonEmpty[i]!;
    const start = lines.linePos(doc.contents!.range[0]);
    expect(`${c.start.line}:${c.start.col}`, `${name}: start of document ${i + 1}`).toBe(`${start.line}:${start.col}`);
    const expected = new Map<string, [Path, string]>();
    positions(doc.contents, lines, [], expected);
    const locator = new Locator(c);
    for (const [key, [p, where]] of expected) {
      const got = locator.locate(p);
      expect(got && `${got.line}:${got.col}`, `${name}: position of ${key}`).toBe(where);
      compared++;
    }
  });
  return compared;
}

describe('js-yaml and yaml agree (documents and positions)', () => {
  it('on the test fixtures', () => {
    const files = yamlFiles(fixtures);
    expect(files.length).toBeGreaterThan(80);
    let nodes = 0;
    for (const f of files) nodes += compare(path.relative(fixtures, f), fs.readFileSync(f, 'utf8'));
    expect(nodes).toBeGreaterThan(1000);
  });

  it('on streams with empty documents, comments, directives and end markers', () => {
    const streams = [
      '# only a comment\n',
      '---\n---\na: 1\n',
      '# head\n---\na: 1\n---\n# nothing\n---\nb: [1, 2]\n...\n',
      '%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n',
      'a: 1\n---\n',
      '--- {a: 1, b: [x, y]}\n--- c: 3\n',
      'a: |\n  ---text\n  x\nb: 2\n',
      'key: "multi\n  line"\n---\n- 1\n- 2\n',
      'a: 1\n...\nb: 2\n',
      'a: |\n  x\n---\nb: 1\n',
      "a: 'x\n---\nb: 1\n",
      'a:\n\t- 1\n',
      'a: 1\na: 2\n',
      '--- |\n  text\n--- !!str 5\n',
      'x: &a [1]\ny: *a\n',
    ];
    for (const [i, s] of streams.entries()) compare(`stream ${i}`, s);
  });
});

describeWithShared('js-yaml and yaml agree on the shared corpus', () => {
  it('on every real Talos config and every example of the seed guide', () => {
    if (!sharedAvailable()) return;
    const files = yamlFiles(sharedPath('talos-configs'));
    expect(files.length).toBeGreaterThan(140);
    let nodes = 0;
    for (const f of files) nodes += compare(path.basename(f), fs.readFileSync(f, 'utf8'));
    for (const f of fs.readdirSync(sharedPath('seeds'))) {
      for (const [name, text] of markdownBlocks(sharedPath('seeds', f))) nodes += compare(name, text);
    }
    expect(nodes).toBeGreaterThan(10_000);
  });
});
