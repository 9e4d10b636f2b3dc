// `netcfg get -o json` prints one JSON object per resource (as talosctl does); this splits the stream.
import fs from 'node:fs';

export function parseJsonStream<T = Record<string, unknown>>(text: string): T[] {
  const out: T[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) {
      out.push(JSON.parse(text.slice(start, i + 1)) as T);
    }
  }
  return out;
}

/**
 * The JSON lines (pino) a running process has written to `file` so far: whole
 * lines only, since the last one may be half written when the file is read.
 */
export function readJsonLog(file: string): Array<Record<string, unknown>> {
  const text = fs.readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
