// A configuration document other than the v1alpha1 machine config, as loaded.
import type { ConfigIssue } from '../issues.js';
import type { KnownKind } from './kinds.js';

export interface DocumentMeta {
  kind: KnownKind;
  apiVersion: string;
  /** The `name` key ("" for unnamed kinds). */
  name: string;
  /** `<Kind>/<name>` (`<Kind>/` for unnamed kinds): the resource ID. */
  id: string;
  /** Position of the document in the file, counting every non-empty document (the v1alpha1 one too). */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
}

/** How issues name a document: `<Kind>/<name>`, or `<Kind>` for unnamed kinds (Talos' error prefix). */
export function documentLabel(kind: string, name: string, named: boolean): string {
  return named ? `${kind}/${name}` : kind;
}

/** A problem found when the documents are put together (duplicates, conflicts, whole-config rules). */
export type AssemblyIssue = ConfigIssue & { documentId?: string };
