// The document kinds (thirty schemas, their rules, the CEL checker) are loaded
// only for files that may hold documents: a v1alpha1-only config (100k routes)
// neither pays for loading them nor carries them in its heap.
import type { decodeDocument } from './decode.js';
import type { kindDefinition } from './registry.js';
import type { assemble } from './assemble.js';

export interface DocumentSupport {
  decodeDocument: typeof decodeDocument;
  kindDefinition: typeof kindDefinition;
  assemble: typeof assemble;
}

let support: DocumentSupport | undefined;

export function documentSupport(): DocumentSupport | undefined {
  return support;
}

/** Loads the document kinds (once). */
export async function loadDocumentSupport(): Promise<DocumentSupport> {
  if (!support) {
    const [decode, registry, assembly] = await Promise.all([import('./decode.js'), import('./registry.js'), import('./assemble.js')]);
    support = { decodeDocument: decode.decodeDocument, kindDefinition: registry.kindDefinition, assemble: assembly.assemble };
  }
  return support;
}

/** Whether a config text may hold documents (a `kind` key somewhere): then the kinds are needed. */
export function mayHaveDocuments(text: string): boolean {
  return text.includes('kind');
}
