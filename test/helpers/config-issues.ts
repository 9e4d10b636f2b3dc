// What `netcfg validate c.yaml` prints for a config text: its errors, or its
// warnings and notes when it loads, each as file:line:col: level: message.
import { parseConfig } from '../../src/config/load.js';
import { ConfigInvalidError, formatIssue } from '../../src/config/issues.js';

export function configIssues(yaml: string, file = 'c.yaml'): string[] {
  try {
    const { notes } = parseConfig(file, yaml);
    return notes.map((n) => formatIssue(file, n));
  } catch (err) {
    if (err instanceof ConfigInvalidError) return err.issues.map((i) => formatIssue(file, i));
    throw err;
  }
}
