// The architecture, checked on the sources: lower layers never import higher
// ones, the daemon never imports the CLI, the discovery server shares only the
// wire and crypto code with the client, and no module imports itself in a
// cycle (type imports included).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Static imports and re-exports (type-only included; dynamic import() excluded: it is how the CLI loads commands lazily). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gms)) {
    const target = path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, '.ts');
    if (fs.existsSync(target)) out.push(target);
  }
  return out;
}

const graph = new Map(files(src).map((f) => [f, importsOf(f)]));

/**
 * What loading `file` runs: its static imports, re-exports and side-effect imports, modules of the
 * sources and packages by name. Only `import type`/`export type` are erased: under verbatimModuleSyntax
 * (tsconfig.json) `import { type A } from 'm'` still loads m.
 */
function valueImportsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const target = (spec: string): string | undefined => {
    if (spec.startsWith('.')) return path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    if (spec.startsWith('node:')) return undefined;
    const parts = spec.split('/');
    return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  };
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s([^;]*?)\s?from\s+(['"])([^'"]+)\2/gms)) {
    if (/^type\s/.test(m[1]!.trim())) continue;
    const t = target(m[3]!);
    if (t !== undefined) out.push(t);
  }
  for (const m of text.matchAll(/^import\s+(['"])([^'"]+)\1/gm)) {
    const t = target(m[2]!);
    if (t !== undefined) out.push(t);
  }
  return out;
}

/** Every module that loading `entry` loads (dynamic import() excluded), each with the module that first imported it. */
function loadedBy(entry: string): Map<string, string | undefined> {
  const by = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const f = queue.shift()!;
    if (!f.endsWith('.ts')) continue;
    for (const d of valueImportsOf(f)) {
      if (by.has(d)) continue;
      by.set(d, f);
      queue.push(d);
    }
  }
  return by;
}
const rel = (f: string) => path.relative(src, f);
const area = (f: string) => rel(f).split(path.sep)[0]!;

/** Which top-level areas may not be imported from an area. */
const FORBIDDEN: Record<string, readonly string[]> = {
  netlink: ['runtime', 'resources', 'controllers', 'operators', 'daemon', 'cli', 'engine.ts', 'discovery-server'],
  native: ['netlink', 'runtime', 'resources', 'controllers', 'operators', 'daemon', 'cli', 'engine.ts'],
  net: ['netlink', 'runtime', 'controllers', 'operators', 'daemon', 'cli', 'engine.ts'],
  resources: ['controllers', 'operators', 'daemon', 'cli', 'engine.ts'],
  runtime: ['controllers', 'operators', 'daemon', 'cli', 'engine.ts'],
  controllers: ['daemon', 'cli'],
  operators: ['daemon', 'cli'],
  daemon: ['cli'],
  discovery: ['runtime', 'controllers', 'operators', 'daemon', 'cli', 'engine.ts', 'discovery-server'],
  'discovery-server': ['runtime', 'resources', 'controllers', 'operators', 'daemon', 'cli', 'engine.ts', 'netlink'],
};

describe('layers', () => {
  it.each(Object.keys(FORBIDDEN))('src/%s imports none of the layers above it', (from) => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      if (area(f) !== from) continue;
      for (const d of deps) if (FORBIDDEN[from]!.includes(area(d))) bad.push(`${rel(f)} → ${rel(d)}`);
    }
    expect(bad).toEqual([]);
  });

  it.each(['daemon', 'apply'])("the %s command's way to a configured network loads neither the schema library nor the YAML parsers of the config", (command) => {
    // they load (import()) only to validate a config the validated copy does not hold (config/validated-copy.ts)
    // from the bundle's entry (its static imports load at every command) and from the command's module
    const loaded = new Map([...loadedBy(path.join(src, 'cli/main.ts')), ...loadedBy(path.join(src, `cli/${command}.ts`))]);
    const chain = (m: string): string => {
      const out = [m.startsWith(src) ? rel(m) : m];
      for (let f = loaded.get(m); f !== undefined; f = loaded.get(f)) out.push(rel(f));
      return out.join(' ← ');
    };
    // the check sees what it must: the daemon's modules, and the packages they do load
    expect(loaded.has(path.join(src, 'engine.ts'))).toBe(true);
    expect(loaded.has(path.join(src, command === 'daemon' ? 'daemon/daemon.ts' : 'cli/apply-at.ts'))).toBe(true);
    expect(loaded.has('pino')).toBe(true);
    const unwanted = ['zod', 'yaml', path.join(src, 'config/load.ts'), path.join(src, 'config/schema.ts'), path.join(src, 'config/stream.ts')];
    expect(unwanted.filter((m) => loaded.has(m)).map(chain)).toEqual([]);
    // and what they are loaded by, to validate, does load them
    const validating = loadedBy(path.join(src, 'config/load.ts'));
    expect(['zod', 'js-yaml', path.join(src, 'config/schema.ts')].filter((m) => !validating.has(m))).toEqual([]);
  });

  it('has no import cycles', () => {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let n = 0;
    const visit = (v: string): void => {
      index.set(v, n);
      low.set(v, n);
      n++;
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const c: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          c.push(rel(w));
        } while (w !== v);
        if (c.length > 1) cycles.push(c);
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
