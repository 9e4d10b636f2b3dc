// Loading a machine config: YAML (fast parser), the v1alpha1 document, schema
// validation with every issue at once, positions for each issue.
import fs from 'node:fs';
import jsYaml from 'js-yaml';
import { z } from 'zod';
import { ConfigInvalidError, suggest, type ConfigIssue } from './issues.js';
import { Locator } from './locate.js';
import { MachineConfigSchema, UNUSED_CLUSTER_KEYS, UNUSED_MACHINE_KEYS, type MachineConfig } from './schema.js';

export interface LoadedConfig {
  file: string;
  config: MachineConfig;
  /** Warnings and informational notes (errors are thrown). */
  notes: ConfigIssue[];
}

/** Known keys of a strict object schema at an issue path, for suggestions. */
function knownKeys(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let node: unknown = schema;
  for (const part of path) {
    node = unwrap(node);
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, unknown>)[String(part)];
    else if (node instanceof z.ZodArray) node = node.element;
    else return [];
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape as Record<string, unknown>) : [];
}

function unwrap(node: unknown): unknown {
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable) node = node.unwrap();
    else if (node instanceof z.ZodPipe) node = node.in;
    else return node;
  }
}

function toIssues(error: z.ZodError, keyIssues: Set<ConfigIssue>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of error.issues) {
    const path = iss.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeys(MachineConfigSchema, iss.path);
      for (const k of iss.keys) {
        const hint = suggest(k, known);
        const issue: ConfigIssue = {
          severity: 'error',
          path: [...path, k],
          message: `unknown key "${k}"${hint ? `; did you mean "${hint}"?` : known.length > 0 ? `; expected one of: ${known.join(', ')}` : ''}`,
        };
        keyIssues.add(issue);
        out.push(issue);
      }
      continue;
    }
    out.push({ severity: 'error', path, message: iss.message });
  }
  return out;
}

function notes(config: MachineConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const unused = [
    ...UNUSED_MACHINE_KEYS.filter((k) => config.machine?.[k] !== undefined).map((k) => `machine.${k}`),
    ...UNUSED_CLUSTER_KEYS.filter((k) => config.cluster?.[k] !== undefined).map((k) => `cluster.${k}`),
  ];
  if (unused.length > 0) out.push({ severity: 'info', path: [], message: `sections netcfg does not use (ignored): ${unused.join(', ')}` });
  const type = config.machine?.type;
  if (type === 'init') out.push({ severity: 'warning', path: ['machine', 'type'], message: 'machine type "init" is deprecated; it is treated as "controlplane"' });
  if (type === 'join') out.push({ severity: 'warning', path: ['machine', 'type'], message: 'machine type "join" is deprecated; use "worker"' });
  config.machine?.network?.interfaces?.forEach((device, i) => {
    const at = ['machine', 'network', 'interfaces', i];
    if (device.ignore === true) return;
    if (device.cidr !== undefined) out.push({ severity: 'warning', path: [...at, 'cidr'], message: '"cidr" is deprecated; use "addresses"' });
    if (device.dhcpOptions !== undefined && device.dhcp !== true) out.push({ severity: 'warning', path: [...at, 'dhcpOptions'], message: 'dhcpOptions has no effect without dhcp: true' });
  });
  if (config.machine?.network?.kubespan?.enabled === true) {
    out.push({ severity: 'warning', path: ['machine', 'network', 'kubespan'], message: 'KubeSpan is validated but not applied yet by this netcfg version' });
  }
  return out;
}

/**
 * Drops mapping keys whose value is empty (`bond:` with nothing after it), as
 * Go's YAML decoding into Talos's types does; empty list items stay (and are errors).
 */
function withoutEmptyValues(v: unknown): unknown {
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

export function parseConfig(file: string, text: string): LoadedConfig {
  let docs: unknown[];
  try {
    docs = jsYaml.loadAll(text, undefined, { filename: file, schema: jsYaml.CORE_SCHEMA }) as unknown[];
  } catch (err) {
    if (err instanceof jsYaml.YAMLException) {
      const reason = err.reason || err.message;
      throw new ConfigInvalidError(file, [
        { severity: 'error', path: [], message: `YAML syntax error: ${reason}`, line: (err.mark?.line ?? 0) + 1, col: (err.mark?.column ?? 0) + 1 },
      ]);
    }
    throw err;
  }
  const docNotes: ConfigIssue[] = [];
  let index = -1;
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    const kind = typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).kind : undefined;
    if (typeof kind === 'string') {
      docNotes.push({ severity: 'info', path: [`document ${i + 1}`], message: `document of kind ${kind} is not used by netcfg; ignored` });
      return;
    }
    if (index < 0) index = i;
    else docNotes.push({ severity: 'error', path: [`document ${i + 1}`], message: 'a second v1alpha1 machine config document; expected exactly one' });
  });
  if (index < 0) {
    throw new ConfigInvalidError(file, [{ severity: 'error', path: [], message: 'no v1alpha1 machine config document found', line: 1, col: 1 }]);
  }
  const doc = docs[index];
  const issues: ConfigIssue[] = [];
  const keyIssues = new Set<ConfigIssue>();
  const parsed = MachineConfigSchema.safeParse(withoutEmptyValues(doc));
  if (!parsed.success) issues.push(...toIssues(parsed.error, keyIssues));
  const infos = docNotes.filter((n) => n.severity !== 'error');
  const otherDocs = docNotes.filter((n) => n.severity === 'error');
  if (issues.length > 0 || otherDocs.length > 0) {
    const locator = new Locator(text);
    locator.annotate(index, issues, keyIssues);
    for (const issue of otherDocs) {
      const docIndex = Number(String(issue.path[0]).replace('document ', '')) - 1;
      const pos = locator.locate(docIndex, []);
      if (pos) Object.assign(issue, pos);
    }
    throw new ConfigInvalidError(file, sortIssues([...issues, ...otherDocs]));
  }
  const config = parsed.data!;
  const all = [...infos, ...notes(config)];
  if (all.length > 0) new Locator(text).annotate(index, all.filter((n) => n.path.length > 0));
  return { file, config, notes: sortIssues(all) };
}

/** Reads and validates a config file; the text is kept (the daemon and `apply --try` store it). */
export function loadConfig(file: string): LoadedConfig & { text: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigInvalidError(file, [{ severity: 'error', path: [], message: `cannot read the file: ${e.code ?? e.message}` }]);
  }
  return { text, ...parseConfig(file, text) };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
