// Decoding one document by its kind: the strict schema (unknown keys are
// errors with a did-you-mean), then Talos' Validate() rules of the kind.
import { withoutEmptyValues, zodIssues } from '../load-helpers.js';
import type { ConfigIssue } from '../issues.js';
import type { KnownKind } from './kinds.js';
import { kindDefinition, type DocumentSpecs } from './registry.js';
import { documentLabel, type DocumentMeta } from './types.js';

/** A document of a known kind, decoded: its spec is typed by its kind. */
export type ConfigDocument = { [K in KnownKind]: DocumentMeta & { kind: K; spec: DocumentSpecs[K] } }[KnownKind];

export type DocumentOf<K extends KnownKind> = Extract<ConfigDocument, { kind: K }>;

export interface Decoded {
  document?: ConfigDocument;
  issues: ConfigIssue[];
  /** Issues about a key itself (unknown keys): located at the key, not its value. */
  keyIssues: Set<ConfigIssue>;
}

/** `context.jitless`: check without zod's compiled validators (see parseConfig). */
export function decodeDocument(meta: DocumentMeta, raw: Record<string, unknown>, context: { jitless: boolean } = { jitless: false }): Decoded {
  const def = kindDefinition(meta.kind);
  const label = documentLabel(meta.kind, meta.name, meta.id !== `${meta.kind}/`);
  const keyIssues = new Set<ConfigIssue>();
  const parsed = def.schema.safeParse(withoutEmptyValues(raw), context);
  if (!parsed.success) return { issues: zodIssues(def.schema, parsed.error, keyIssues, label), keyIssues };
  const issues: ConfigIssue[] = [];
  for (const p of def.validate?.(parsed.data as never) ?? []) {
    issues.push({ severity: p.warning ? 'warning' : 'error', document: label, path: p.path, message: p.message });
  }
  const document = { ...meta, spec: parsed.data } as ConfigDocument;
  return { document, issues, keyIssues };
}
