// A loaded config as the rest of netcfg sees it: the types, the set the
// configuration controllers get, and reading a config file. No parser or schema
// library here: the daemon's way to a configured network loads them only when it
// must validate a config (config/load.ts), not when its validated copy serves
// (config/validated-copy.ts).
import fs from 'node:fs';
import { ConfigInvalidError, type ConfigIssue } from './issues.js';
import type { MachineConfig } from './schema.js';
import type { ConfigDocument } from './documents/decode.js';

export interface LoadedConfig {
  file: string;
  /** The v1alpha1 machine config ({} when the file has none). */
  config: MachineConfig;
  /** The file has a v1alpha1 machine config document. */
  hasMachineConfig: boolean;
  /** The documents netcfg reads (network, discovery, KubeSpan…), in file order. */
  documents: ConfigDocument[];
  /** Warnings and informational notes (errors are thrown). */
  notes: ConfigIssue[];
}

/** What the configuration controllers get: the machine config (when there is one) and the documents. */
export interface ConfigSet {
  machine?: MachineConfig | undefined;
  documents: readonly ConfigDocument[];
}

export function configSet(loaded: Pick<LoadedConfig, 'config' | 'hasMachineConfig' | 'documents'>): ConfigSet {
  return { machine: loaded.hasMachineConfig ? loaded.config : undefined, documents: loaded.documents };
}

export type { ConfigDocument };

export const EMPTY_CONFIG: ConfigSet = { documents: [] };

/** A config file's text; a file that cannot be read is a config error (exit 2), as a bad config is. */
export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigInvalidError(file, [{ severity: 'error', path: [], message: `cannot read the file: ${e.code ?? e.message}` }]);
  }
}
