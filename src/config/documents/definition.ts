// What netcfg knows of a document kind: its schema (decoding, with the JSON
// Schema description), Talos' Validate() rules, its v1alpha1 conflict check,
// and what netcfg does with it.
import { z } from 'zod';
import type { KnownKind } from './kinds.js';
import type { Problem } from './fields.js';

/** The v1alpha1 machine config document as written (raw keys: features, time… that netcfg does not model). */
export type RawMachineConfig = Record<string, unknown>;

export type Use =
  /** Becomes specs netcfg applies. */
  | { applied: true }
  /** Validated exactly, not applied yet: `apply` says so once. */
  | { applied: false; note: string }
  /** Read through the configuration accessors (discovery, KubeSpan) by the features that use it. */
  | { applied: 'accessor' }
  /** Outside networking: validated, then ignored with one informational line. */
  | { applied: 'ignored' };

export interface KindDefinition<S = unknown> {
  kind: KnownKind;
  schema: z.ZodType<S>;
  validate?(doc: S): Problem[];
  /** Talos' V1Alpha1ConflictValidate: the document against the v1alpha1 machine config (when there is one). */
  v1alpha1Conflicts?(doc: S, machine: RawMachineConfig): Problem[];
  use: Use;
}

/**
 * A document's strict schema: apiVersion and kind, then its fields. Built on
 * first use (z.lazy): a config without documents does not pay for the schemas
 * of thirty kinds at start-up.
 */
export function documentSchema<K extends string, F extends z.ZodRawShape>(kind: K, description: string, fields: () => F) {
  return z
    .lazy(() =>
      z.strictObject({
        apiVersion: z.literal('v1alpha1'),
        kind: z.literal(kind),
        ...fields(),
      }),
    )
    .describe(description);
}

/** A value built once, on first use. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

export function defineKind<S>(def: KindDefinition<S>): KindDefinition<S> {
  return def;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** A path into the raw machine config (undefined when any step is missing or not a mapping). */
export function rawAt(machine: RawMachineConfig, ...path: string[]): unknown {
  let node: unknown = machine;
  for (const p of path) {
    node = obj(node)?.[p];
    if (node === undefined) return undefined;
  }
  return node;
}
