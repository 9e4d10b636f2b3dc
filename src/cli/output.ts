// Printing resources: talosctl-style tables (padding 3), YAML and JSON.
import { yamlModule } from '../util/lazy.js';
import type { Resource } from '../resources/resource.js';

export type OutputFormat = 'table' | 'yaml' | 'json';

export interface Column<S> {
  header: string;
  value(spec: S): unknown;
}

export function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Column widths of rows (for aligning more rows later, as a watch does). */
export function columnWidths(rows: string[][], widths: number[] = []): number[] {
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return widths;
}

/** One row padded to `widths` (padding 3; the last cell is not padded). */
export function tableRow(row: string[], widths: readonly number[]): string {
  return row
    .map((c, i) => (i === row.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
    .join('')
    .trimEnd();
}

/** Aligns rows like Go's tabwriter with padding 3. */
export function table(rows: string[][]): string {
  const widths = columnWidths(rows);
  return rows.map((row) => tableRow(row, widths)).join('\n');
}

export interface ResourceView<S> {
  node: string;
  displayType: string;
  columns: ReadonlyArray<Column<S>>;
  resources: ReadonlyArray<Resource<S>>;
}

const SECRET_KEYS = new Set(['privateKey', 'presharedKey', 'apiToken', 'equinixMetalToken', 'hcloudToken', 'secret', 'clusterSecret', 'sharedSecret', 'uniqueToken']);

/** A copy with secrets replaced (specs are "sensitive" in Talos terms: never printed). */
export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.has(k) && typeof x === 'string' && x !== '' ? '[redacted]' : redact(x);
    return out;
  }
  return v;
}

function plain<S>(node: string, r: Resource<S>): Record<string, unknown> {
  const md = r.metadata;
  return {
    node,
    metadata: {
      namespace: md.namespace,
      type: md.type,
      id: md.id,
      version: md.version,
      owner: md.owner,
      phase: md.phase,
      created: new Date(md.created).toISOString(),
      updated: new Date(md.updated).toISOString(),
    },
    spec: redact(r.spec),
  };
}

/** Table rows (header first) of a view. */
export function tableRows<S>(view: ResourceView<S>): string[][] {
  const rows: string[][] = [['NODE', 'NAMESPACE', 'TYPE', 'ID', 'VERSION', ...view.columns.map((c) => c.header)]];
  for (const r of view.resources) {
    rows.push([view.node, r.metadata.namespace, view.displayType, r.metadata.id, String(r.metadata.version), ...view.columns.map((c) => cell(c.value(r.spec)))]);
  }
  return rows;
}

export function render<S>(view: ResourceView<S>, format: OutputFormat): string {
  if (format === 'json') return view.resources.map((r) => JSON.stringify(plain(view.node, r), null, 2)).join('\n');
  if (format === 'yaml') return view.resources.map((r) => yamlModule().stringify(plain(view.node, r), { indent: 4 }).trimEnd()).join('\n---\n');
  return table(tableRows(view));
}
