// Loading a config file: a YAML stream of documents (stream.ts). The v1alpha1
// machine config is optional; every other document is identified by kind and
// apiVersion as Talos does (talos-multidoc.md §1.1), decoded and validated by
// its kind (documents/), and the whole set is checked for duplicates and
// conflicts (documents/assemble.ts). Every problem is reported at once, each
// located in its own document: file:line:col, the document, the YAML path.
import { ConfigInvalidError, suggest, type ConfigIssue } from './issues.js';
import { readConfigText, type LoadedConfig } from './config-set.js';
import { exactJson, fromExactJson } from '../util/exact-json.js';
import { withoutEmptyValues, zodIssues } from './load-helpers.js';
import { Locator } from './locate.js';
import { MachineConfigSchema, UNUSED_CLUSTER_KEYS, UNUSED_MACHINE_KEYS, type MachineConfig } from './schema.js';
import { parseChunk, splitStream, YamlSyntaxError, type Chunk } from './stream.js';
import { ALL_KINDS, DOCUMENT_API_VERSION, NAMED_KINDS, documentId, isKnownKind, isOtherTalosKind } from './documents/kinds.js';
import { documentLabel } from './documents/types.js';
import type { ConfigDocument } from './documents/decode.js';
import { documentSupport, loadDocumentSupport, mayHaveDocuments } from './documents/support.js';
import { wholeConfig } from './documents/whole-config.js';
import type { AssemblyIssue } from './documents/assemble.js';

export { EMPTY_CONFIG, configSet, readConfigText, type ConfigDocument, type ConfigSet, type LoadedConfig } from './config-set.js';

function machineNotes(config: MachineConfig): ConfigIssue[] {
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
  return out;
}

const V1ALPHA1_KEYS = ['machine', 'cluster', 'debug', 'persist'];

const describeShape = (v: unknown) => (Array.isArray(v) ? 'a list' : typeof v === 'string' ? `the string "${v.length > 40 ? `${v.slice(0, 37)}...` : v}"` : `${String(v)} (a ${typeof v})`);

/** Issues found in one document, located together (one position-keeping parse per document). */
class ChunkIssues {
  readonly issues: ConfigIssue[] = [];
  readonly keys = new Set<ConfigIssue>();
  constructor(readonly chunk: Chunk) {}
}

/**
 * zod compiles a validator of its own for each object schema the first time it
 * checks one (new Function): that pays off only over thousands of objects, and
 * the compiled code is in no code cache, so every start pays for it again. A
 * config smaller than this is checked without (a start with a small config:
 * 18–21 → 12 ms to validate; at 10k routes, 0.66 MB, both take the same; at
 * 100k the compiled validators are ~40 ms quicker). Same results either way.
 */
const COMPILED_VALIDATORS_FROM = 256 * 1024;

/**
 * The YAML parser's strings of 13 characters and more are slices of the text:
 * each keeps all of it in memory, for as long as the config is held (the
 * daemon: for its life). From a config this large on (in characters), the
 * config and its notes (labels and messages hold such slices too) are made
 * again from their JSON: strings of their own, and short ones that repeat
 * (gateways) made once (V8's JSON parser internalizes them). Each is kept as is
 * when JSON would not give it back exactly (util/exact-json.ts). At 100k routes
 * (6.7 MB of text): ~85 ms, ~11 MB less held (6.7 MB of text, 3.2 MB of
 * gateways, smaller objects).
 */
const OWN_STRINGS_FROM = 256 * 1024;

function ownStrings<T extends object>(text: string, parsed: T, keepJson: boolean): T {
  if (text.length < OWN_STRINGS_FROM) return parsed;
  const json = exactJson(parsed);
  if (json === undefined) return parsed;
  // kept only for a validated copy written right away (util/exact-json.ts): it holds the JSON until then
  return keepJson ? fromExactJson<T>(json) : (JSON.parse(json) as T);
}

export interface ParseOptions {
  /** Check with zod's compiled validators (default: for a config of 256 KB or more). */
  compiledValidators?: boolean;
  /**
   * Keep the JSON a large config is made again from (see ownStrings) for the
   * validated copy (takeExactJson): only when the copy is written right after.
   */
  keepJson?: boolean;
}

export function parseConfig(file: string, text: string, options: ParseOptions = {}): LoadedConfig {
  const chunks = splitStream(text);
  const zodContext = { jitless: !(options.compiledValidators ?? text.length >= COMPILED_VALIDATORS_FROM) };
  const found = new Map<Chunk, ChunkIssues>();
  const at = (chunk: Chunk): ChunkIssues => {
    let f = found.get(chunk);
    if (!f) found.set(chunk, (f = new ChunkIssues(chunk)));
    return f;
  };
  const fileIssues: ConfigIssue[] = [];
  let machine: { chunk: Chunk; value: Record<string, unknown> } | undefined;
  const documents: Array<{ chunk: Chunk; doc: ConfigDocument }> = [];
  const ignored: string[] = [];
  let index = 0;
  /** Kinds validated but not applied yet: their note, and the first document that needs it. */
  const notApplied = new Map<string, { chunk: Chunk; label: string; more: number }>();
  /** First document of each (apiVersion, kind, name), for the duplicate check. */
  const seen = new Map<string, Chunk>();

  for (const chunk of chunks) {
    let value: unknown;
    try {
      value = parseChunk(file, chunk);
    } catch (err) {
      if (!(err instanceof YamlSyntaxError)) throw err;
      at(chunk).issues.push({ severity: 'error', path: [], message: `YAML syntax error: ${err.reason}`, line: err.line, col: err.col });
      continue;
    }
    if (value === null || value === undefined) continue; // empty documents are skipped
    const docStart = { line: chunk.start.line, col: chunk.start.col };
    if (typeof value !== 'object' || Array.isArray(value)) {
      at(chunk).issues.push({ severity: 'error', path: [], message: `expected a YAML document at line ${chunk.start.line}: a mapping of keys, got ${describeShape(value)}`, ...docStart });
      continue;
    }
    const doc = value as Record<string, unknown>;
    const docIndex = index++;
    const kind = doc.kind;
    const apiVersion = doc.apiVersion;
    if (kind === undefined && (apiVersion === DOCUMENT_API_VERSION || V1ALPHA1_KEYS.some((k) => k in doc))) {
      if (machine) {
        at(chunk).issues.push({
          severity: 'error',
          document: 'v1alpha1',
          path: [],
          message: `duplicate document v1alpha1 (the machine config) is not allowed (line ${chunk.start.line}): the first one starts at line ${machine.chunk.start.line}`,
          ...docStart,
        });
        continue;
      }
      machine = { chunk, value: doc };
      continue;
    }
    if (typeof kind !== 'string' || kind === '') {
      at(chunk).issues.push({
        severity: 'error',
        path: kind === undefined ? [] : ['kind'],
        message: kind === undefined ? 'missing kind: a document needs "kind" and "apiVersion" (or is the v1alpha1 machine config, with "machine" or "cluster")' : 'missing kind',
        ...(kind === undefined ? docStart : {}),
      });
      continue;
    }
    const rawName = doc.name;
    const name = typeof rawName === 'string' ? rawName : typeof rawName === 'number' || typeof rawName === 'boolean' ? String(rawName) : '';
    if (apiVersion === undefined || apiVersion === '') {
      at(chunk).issues.push({ severity: 'error', document: documentLabel(kind, name, name !== ''), path: [], message: `missing apiVersion: ${kind} takes apiVersion: ${DOCUMENT_API_VERSION}`, ...docStart });
      continue;
    }
    const known = isKnownKind(kind);
    if ((!known && !isOtherTalosKind(kind)) || apiVersion !== DOCUMENT_API_VERSION) {
      const registered = known || isOtherTalosKind(kind);
      const hint = registered ? `; ${kind} takes apiVersion: ${DOCUMENT_API_VERSION}` : suggest(kind, ALL_KINDS) ? `; did you mean "${suggest(kind, ALL_KINDS)}"?` : '';
      at(chunk).issues.push({ severity: 'error', path: [registered ? 'apiVersion' : 'kind'], message: `"${kind}" "${String(apiVersion)}": not registered${hint}` });
      continue;
    }
    const named = known ? NAMED_KINDS.has(kind) : name !== '';
    const label = documentLabel(kind, name, named);
    const dupKey = `${apiVersion}/${kind}/${named ? name : ''}`;
    const first = seen.get(dupKey);
    if (first) {
      at(chunk).issues.push({
        severity: 'error',
        document: label,
        path: [],
        message: `duplicate document ${dupKey} is not allowed (line ${chunk.start.line}): the first one starts at line ${first.start.line}`,
        ...docStart,
      });
      continue;
    }
    seen.set(dupKey, chunk);
    if (!known) {
      ignored.push(label);
      continue;
    }
    const meta = { kind, apiVersion, name: named ? name : '', id: documentId(kind, named ? name : ''), index: docIndex, line: chunk.start.line };
    const support = documentSupport();
    if (!support) throw new Error('internal error: document kinds not loaded (parseConfigText loads them; parseConfig needs loadDocumentSupport() first)');
    const decoded = support.decodeDocument(meta, doc, zodContext);
    const f = decoded.issues.length > 0 ? at(chunk) : undefined;
    for (const issue of decoded.issues) {
      f!.issues.push(issue);
      if (decoded.keyIssues.has(issue)) f!.keys.add(issue);
    }
    if (!decoded.document) continue;
    const use = support.kindDefinition(kind).use;
    const valid = !decoded.issues.some((i) => i.severity === 'error');
    if (use.applied === 'ignored') ignored.push(label);
    else documents.push({ chunk, doc: decoded.document });
    if (use.applied === false && valid) {
      const first = notApplied.get(use.note);
      if (first) first.more++;
      else notApplied.set(use.note, { chunk, label, more: 0 });
    }
  }
  // what is validated but not applied: said once per feature, at its first document
  for (const [note, { chunk, label, more }] of notApplied) {
    at(chunk).issues.push({ severity: 'warning', document: label, path: [], message: `${note}${more > 0 ? ` (this document and ${more} more)` : ''}` });
  }

  // the v1alpha1 machine config
  let config: MachineConfig = {};
  if (machine) {
    const parsed = MachineConfigSchema.safeParse(withoutEmptyValues(machine.value), zodContext);
    if (!parsed.success) {
      const f = at(machine.chunk);
      f.issues.push(...zodIssues(MachineConfigSchema, parsed.error, f.keys));
    } else {
      config = parsed.data;
      const notes = machineNotes(config);
      if (notes.length > 0) at(machine.chunk).issues.push(...notes);
    }
  }
  if (chunks.every((c) => found.get(c)?.issues.some((i) => i.severity === 'error') !== true) && machine === undefined && documents.length === 0 && ignored.length === 0) {
    const empty = index === 0;
    fileIssues.push({ severity: 'error', path: [], message: empty ? 'config not found: the file holds no YAML document' : 'config not found', line: 1, col: 1 });
  }

  // the documents together, and with the machine config
  const docs = documents.map((d) => d.doc);
  const support = documentSupport();
  const assembled: AssemblyIssue[] = support ? support.assemble(docs, machine ? config : undefined, machine?.value) : wholeConfig(docs, machine ? config : undefined);
  const chunkOf = new Map(documents.map((d) => [d.doc.id, d.chunk]));
  for (const issue of assembled) {
    const where = issue.documentId !== undefined ? chunkOf.get(issue.documentId) : machine?.chunk;
    const { documentId: _, ...rest } = issue;
    if (where) at(where).issues.push(rest);
    else fileIssues.push(rest);
  }

  if (ignored.length > 0) fileIssues.push({ severity: 'info', path: [], message: `documents netcfg does not use (ignored): ${ignored.join(', ')}` });

  // positions: one position-keeping parse per document that has something located inside it
  const all: ConfigIssue[] = [...fileIssues];
  const hasErrors = fileIssues.some((i) => i.severity === 'error') || [...found.values()].some((f) => f.issues.some((i) => i.severity === 'error'));
  for (const f of found.values()) {
    const unplaced = f.issues.filter((i) => i.line === undefined && (i.severity === 'error' || i.path.length > 0 || i.document !== undefined));
    if (unplaced.length > 0) {
      if (unplaced.some((i) => i.path.length > 0)) new Locator(f.chunk).annotate(unplaced, f.keys);
      for (const i of unplaced) {
        if (i.line === undefined) {
          i.line = f.chunk.start.line;
          i.col = f.chunk.start.col;
        }
      }
    }
    all.push(...(hasErrors ? f.issues : f.issues.filter((i) => i.severity !== 'error')));
  }
  if (hasErrors) throw new ConfigInvalidError(file, sortIssues(all));
  const keep = options.keepJson === true;
  const own = { config: ownStrings(text, config, keep), documents: ownStrings(text, documents.map((d) => d.doc), keep) };
  return { file, config: own.config, hasMachineConfig: machine !== undefined, documents: own.documents, notes: ownStrings(text, sortIssues(all), keep) };
}

/** parseConfig, with the document kinds loaded first when the text may hold documents. */
export async function parseConfigText(file: string, text: string, options: ParseOptions = {}): Promise<LoadedConfig> {
  if (mayHaveDocuments(text)) await loadDocumentSupport();
  return parseConfig(file, text, options);
}

/** Reads and validates a config file; the text is kept (the daemon stores it). */
export async function loadConfig(file: string): Promise<LoadedConfig & { text: string }> {
  const text = readConfigText(file);
  return { text, ...(await parseConfigText(file, text)) };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
