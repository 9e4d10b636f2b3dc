// Checks across documents (talos-multidoc.md §1.3): kind conflicts and link-name claims.
import type { ConfigIssue } from '../issues.js';
import type { MachineConfig } from '../schema.js';
import type { ConfigDocument } from './decode.js';
import { LINK_KINDS } from './kinds.js';
import { documentLabel } from './types.js';

/** An issue and the document (by ID) it is located in; none: the machine config. */
export type AssemblyIssue = ConfigIssue & { documentId?: string };

const labelOf = (d: ConfigDocument) => documentLabel(d.kind, d.name, d.id !== `${d.kind}/`);

export function assemble(documents: readonly ConfigDocument[], _machine: MachineConfig | undefined, _raw: Record<string, unknown> | undefined): AssemblyIssue[] {
  const out: AssemblyIssue[] = [];
  const error = (d: ConfigDocument, message: string, path: Array<string | number> = []): void => {
    out.push({ severity: 'error', document: labelOf(d), documentId: d.id, path, message });
  };
  // kind conflicts: link kinds among themselves, the two VIP kinds
  const byName = new Map<string, ConfigDocument>();
  const vips = new Map<string, ConfigDocument>();
  for (const d of documents) {
    if (LINK_KINDS.has(d.kind)) {
      const other = byName.get(d.name);
      if (other && other.kind !== d.kind) error(d, `conflicting documents: ${other.id} and ${d.id}`);
      else if (!other) byName.set(d.name, d);
    }
    if (d.kind === 'Layer2VIPConfig' || d.kind === 'HCloudVIPConfig') {
      const other = vips.get(d.name);
      if (other && other.kind !== d.kind) error(d, `conflicting documents: ${other.id} and ${d.id}`);
      else if (!other) vips.set(d.name, d);
    }
  }
  // link-name claims: every link document claims its name, a veth also its peer
  const claims = new Map<string, ConfigDocument>();
  for (const d of documents) {
    if (!LINK_KINDS.has(d.kind)) continue;
    const names: Array<[string, Array<string | number>]> = [[d.name, ['name']]];
    const peer = d.kind === 'VethConfig' ? (d.spec.peer as { name?: unknown } | undefined)?.name : undefined;
    if (typeof peer === 'string') names.push([peer, ['peer', 'name']]);
    for (const [link, path] of names) {
      const owner = claims.get(link);
      if (owner && owner !== d) {
        if (owner.kind === d.kind || !LINK_KINDS.has(owner.kind) || owner.name !== d.name) error(d, `conflicting link configurations: ${owner.id} and ${d.id} both configure "${link}"`, path);
      } else claims.set(link, d);
    }
  }
  return out;
}
