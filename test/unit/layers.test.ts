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
