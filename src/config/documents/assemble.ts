// Checks across documents, and between documents and the v1alpha1 machine
// config (talos-multidoc.md §1.3, §1.5): kind conflicts, link-name claims,
// each kind's v1alpha1 conflict check, and the whole-config checks (DoT/DoH
// need host DNS; discovery needs a cluster identity; KubeSpan needs discovery).
import { wholeConfig } from './whole-config.js';
import type { MachineConfig } from '../schema.js';
import type { ConfigDocument } from './decode.js';
import { LINK_KINDS } from './kinds.js';
import { kindDefinition } from './registry.js';
import { documentLabel, type AssemblyIssue } from './types.js';
import type { RawMachineConfig } from './definition.js';

/** An issue and the document (by ID) it is located in; none: the machine config. */
export type { AssemblyIssue } from './types.js';

const labelOf = (d: ConfigDocument) => documentLabel(d.kind, d.name, d.id !== `${d.kind}/`);

export function assemble(documents: readonly ConfigDocument[], machine: MachineConfig | undefined, raw: RawMachineConfig | undefined): AssemblyIssue[] {
  const out: AssemblyIssue[] = [];
  const error = (d: ConfigDocument, message: string, path: ReadonlyArray<string | number> = []): void => {
    out.push({ severity: 'error', document: labelOf(d), documentId: d.id, path, message });
  };

  // kind conflicts: link kinds among themselves, the two VIP kinds
  const byName = new Map<string, ConfigDocument>();
  const vips = new Map<string, ConfigDocument>();
  for (const d of documents) {
    const group = LINK_KINDS.has(d.kind) ? byName : d.kind === 'Layer2VIPConfig' || d.kind === 'HCloudVIPConfig' ? vips : undefined;
    if (!group) continue;
    const other = group.get(d.name);
    if (other && other.kind !== d.kind) error(d, `conflicting documents: ${other.id} and ${d.id}`);
    else if (!other) group.set(d.name, d);
  }

  // link-name claims: every link document claims its name, a veth also its peer's (names compared as written)
  const claims = new Map<string, ConfigDocument>();
  for (const d of documents) {
    if (!LINK_KINDS.has(d.kind)) continue;
    const names: Array<[string, Array<string | number>]> = [[d.name, ['name']]];
    if (d.kind === 'VethConfig' && d.spec.peer?.name) names.push([d.spec.peer.name, ['peer', 'name']]);
    for (const [link, path] of names) {
      const owner = claims.get(link);
      if (!owner) claims.set(link, d);
      // the same name on two link kinds is already a kind conflict
      else if (owner !== d && !(owner.name === d.name && link === d.name)) error(d, `conflicting link configurations: ${owner.id} and ${d.id} both configure "${link}"`, path);
    }
  }

  // each kind against the v1alpha1 machine config
  if (raw) {
    for (const d of documents) {
      const check = kindDefinition(d.kind).v1alpha1Conflicts as ((doc: unknown, m: RawMachineConfig) => Array<{ path: ReadonlyArray<string | number>; message: string }>) | undefined;
      for (const p of check?.(d.spec, raw) ?? []) error(d, p.message, p.path);
    }
  }

  out.push(...wholeConfig(documents, machine));
  return out;
}
