// Finds the line and column of a YAML path in one document of the stream. Only
// used to report issues, so the slower position-keeping parser runs only when
// there is something to report, and only over that document (stream.ts).
import type { Document, LineCounter, Node } from 'yaml';
import { yamlModule } from '../util/lazy.js';
import type { ConfigIssue, IssuePath } from './issues.js';
import type { Chunk } from './stream.js';

export interface Position {
  line: number;
  col: number;
}

export class Locator {
  private readonly lines: LineCounter;
  private readonly doc: Document.Parsed;

  constructor(private readonly chunk: Pick<Chunk, 'text' | 'firstLine'>) {
    const yaml = yamlModule();
    this.lines = new yaml.LineCounter();
    this.doc = yaml.parseDocument(chunk.text, { lineCounter: this.lines, keepSourceTokens: false, uniqueKeys: false });
  }

  /**
   * Position of the node at `path`. With `key`, the position of the mapping
   * key itself (for unknown keys). Falls back to the nearest ancestor that exists.
   */
  locate(path: IssuePath, key = false): Position | undefined {
    let node: unknown = this.doc.contents;
    const { isMap, isPair, isScalar, isSeq } = yamlModule();
    let best: Position | undefined = this.position(node);
    for (let i = 0; i < path.length; i++) {
      const part = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) break;
        if (key && i === path.length - 1) return this.position(pair.key) ?? best;
        node = pair.value ?? pair.key;
        best = this.position(node) ?? this.position(pair.key) ?? best;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
        if (node === undefined) break;
        best = this.position(node) ?? best;
      } else {
        break;
      }
    }
    return best;
  }

  private position(node: unknown): Position | undefined {
    const range = (node as Node | null | undefined)?.range;
    if (!range) return undefined;
    const pos = this.lines.linePos(range[0]);
    return { line: pos.line + this.chunk.firstLine - 1, col: pos.col };
  }

  /** Adds line and column to issues that lack them. */
  annotate(issues: ConfigIssue[], keyIssues: ReadonlySet<ConfigIssue> = new Set()): void {
    for (const issue of issues) {
      if (issue.line !== undefined) continue;
      const pos = this.locate(issue.path, keyIssues.has(issue));
      if (pos) {
        issue.line = pos.line;
        issue.col = pos.col;
      }
    }
  }
}
