// Tests call parseConfig (synchronous) directly: the document kinds, which the
// CLI and the daemon load only for files that may hold documents, are loaded up front.
import { loadDocumentSupport } from '../src/config/documents/support.js';

await loadDocumentSupport();
