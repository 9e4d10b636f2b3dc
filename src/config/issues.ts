// Problems found in a configuration file, each with its YAML path and, when it
// can be found, its line and column.
export type IssuePath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  severity: 'error' | 'warning' | 'info';
  /** The document the issue is in, as `<Kind>/<name>` (absent: the v1alpha1 machine config, or the whole file). */
  document?: string;
  /** The YAML path inside that document. */
  path: IssuePath;
  message: string;
  line?: number;
  col?: number;
}

/** machine.network.interfaces[0].addresses[1] */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(document)' : out;
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.col ?? 1}` : file;
  const label = issue.severity === 'error' ? 'error' : issue.severity === 'warning' ? 'warning' : 'info';
  if (issue.document !== undefined) {
    return `${where}: ${label}: ${issue.document}: ${issue.path.length > 0 ? `${formatPath(issue.path)}: ` : ''}${issue.message}`;
  }
  // notes about the whole file carry no path
  if (issue.path.length === 0 && issue.severity === 'info') return `${where}: ${label}: ${issue.message}`;
  return `${where}: ${label}: ${formatPath(issue.path)}: ${issue.message}`;
}

/** Thrown when a configuration has errors; carries every issue found. */
export class ConfigInvalidError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(`${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${errors.map((i) => formatIssue(file, i)).join('\n')}`);
    this.name = 'ConfigInvalidError';
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
