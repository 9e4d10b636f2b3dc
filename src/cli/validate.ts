// netcfg validate FILE: every problem at once, no kernel access.
import { loadConfig } from '../config/load.js';
import { formatIssue } from '../config/issues.js';
import { EXIT_OK, UsageError } from './usage.js';

export async function runValidate(file: string | undefined, print: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (!file) throw new UsageError('validate needs a config file: netcfg validate FILE');
  const loaded = await loadConfig(file);
  for (const note of loaded.notes) warn(formatIssue(file, note));
  const devices = loaded.config.machine?.network?.interfaces?.length ?? 0;
  const docs = loaded.documents.length;
  const counts = [`${devices} interface${devices === 1 ? '' : 's'}`, ...(docs > 0 ? [`${docs} network document${docs === 1 ? '' : 's'}`] : [])];
  print(`${file}: valid (${counts.join(', ')})`);
  return EXIT_OK;
}
