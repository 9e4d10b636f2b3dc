// Modules a long-running daemon rarely needs (the position-keeping YAML parser
// for error reports, YAML output, the pretty log printer) are loaded on first
// use: each costs the process ~10 MB of memory for as long as it runs.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}

export const yamlModule = lazy<typeof import('yaml')>('yaml');
