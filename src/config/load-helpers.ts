// Turning zod's findings into located config issues, and Go-like decoding of empty values.
import { z } from 'zod';
import { suggest, type ConfigIssue } from './issues.js';

/** Known keys of a strict object schema at an issue path, for suggestions. */
export function knownKeys(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let node: unknown = schema;
  for (const part of path) {
    node = unwrap(node);
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, unknown>)[String(part)];
    else if (node instanceof z.ZodArray) node = node.element;
    else if (node instanceof z.ZodRecord) node = node.valueType;
    else return [];
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape as Record<string, unknown>) : [];
}

function unwrap(node: unknown): unknown {
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault || node instanceof z.ZodLazy) node = node.unwrap();
    else if (node instanceof z.ZodPipe) node = node.in;
    else return node;
  }
}

/** zod issues as located config issues; unknown keys get a "did you mean" and are located at the key. */
export function zodIssues(schema: z.ZodType, error: z.ZodError, keyIssues: Set<ConfigIssue>, document?: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const doc = document === undefined ? {} : { document };
  for (const iss of error.issues) {
    const path = iss.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeys(schema, iss.path);
      for (const k of iss.keys) {
        const hint = suggest(k, known);
        const issue: ConfigIssue = {
          severity: 'error',
          ...doc,
          path: [...path, k],
          message: `unknown key "${k}"${hint ? `; did you mean "${hint}"?` : known.length > 0 ? `; expected one of: ${known.join(', ')}` : ''}`,
        };
        keyIssues.add(issue);
        out.push(issue);
      }
      continue;
    }
    out.push({ severity: 'error', ...doc, path, message: iss.message });
  }
  return out;
}

/**
 * Drops mapping keys whose value is empty (`bond:` with nothing after it), as
 * Go's YAML decoding into Talos's types does; empty list items stay (and are errors).
 */
export function withoutEmptyValues(v: unknown): unknown {
  // in place: the document is freshly parsed and ours (100k routes: no copy)
  if (Array.isArray(v)) {
    for (const x of v) withoutEmptyValues(x);
  } else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (x === null || x === undefined) delete o[k];
      else if (typeof x === 'object') withoutEmptyValues(x);
    }
  }
  return v;
}

