// netcfg validate FILE: every problem at once, no kernel access.
import { loadConfig } from '../config/load.js';
import { formatIssue } from '../config/issues.js';
import { EXIT_OK, UsageError } from './usage.js';

export function runValidate(file: string | undefined, print: (s: string) => void, warn: (s: string) => void): number {
  if (!file) throw new UsageError('validate needs a config file: netcfg validate FILE');
  const loaded = loadConfig(file);
  for (const note of loaded.notes) warn(formatIssue(file, note));
  const devices = loaded.config.machine?.network?.interfaces?.length ?? 0;
  print(`${file}: valid (${devices} interface${devices === 1 ? '' : 's'})`);
  return EXIT_OK;
}
