// Decoding one document by its kind.
import type { ConfigIssue } from '../issues.js';
import type { DocumentMeta } from './types.js';

export interface ConfigDocument extends DocumentMeta {
  spec: Record<string, unknown>;
}

export interface Decoded {
  document?: ConfigDocument;
  issues: ConfigIssue[];
  /** Issues about a key itself (unknown keys): located at the key, not its value. */
  keyIssues: Set<ConfigIssue>;
}

export function decodeDocument(meta: DocumentMeta, raw: Record<string, unknown>): Decoded {
  const { kind: _k, apiVersion: _a, ...spec } = raw;
  return { document: { ...meta, spec }, issues: [], keyIssues: new Set() };
}
