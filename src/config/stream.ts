// A config file is a YAML stream: documents separated by `---` (and ended by
// `...`). The stream is cut at those markers, each document is parsed on its
// own with js-yaml (fast), and positions are found, only when something is to
// be reported, by the position-keeping `yaml` parser over the same document
// text (locate.ts): both parsers see exactly the same characters, and line
// numbers are shifted by where the document starts. A corpus test
// (test/unit/yaml-equivalence.test.ts) checks that both parsers give the same
// documents and the same positions on every config file the project has.
import jsYaml from 'js-yaml';
import { yamlModule } from '../util/lazy.js';

/** One document of the stream, with where it starts in the file. */
export interface Chunk {
  /** Position in the stream (0-based, empty documents included). */
  index: number;
  text: string;
  /** 1-based file line of the chunk's first line. */
  firstLine: number;
  /** Where the document's content starts (its first key), for notes about the whole document. */
  start: { line: number; col: number };
  /** Content on the `---` line itself ("--- {a: 1}"): rare, and checked by the strict parser too. */
  inlineStart?: boolean;
}

/** Whether the line at `p` is a document marker (`---` or `...` followed by a blank or the line end). */
function markerAt(text: string, p: number): '---' | '...' | undefined {
  const c = text.charCodeAt(p);
  if (c !== 45 /* - */ && c !== 46 /* . */) return undefined;
  if (text.charCodeAt(p + 1) !== c || text.charCodeAt(p + 2) !== c) return undefined;
  const after = text.charCodeAt(p + 3);
  if (!(Number.isNaN(after) || after === 10 || after === 13 || after === 32 || after === 9)) return undefined;
  return c === 45 ? '---' : '...';
}

/** Column (1-based) of the line's content, or undefined for a blank, comment or directive line. */
function contentCol(text: string, p: number, end: number): number | undefined {
  let i = p;
  while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (i >= end) return undefined;
  const c = text.charCodeAt(i);
  if (c === 35 /* # */ || c === 13) return undefined;
  if (i === p && c === 37 /* % */) return undefined;
  return i - p + 1;
}

/**
 * Cuts a stream into documents. A `---` line starts one (the marker belongs to
 * it); a `...` line ends one. Text before the first marker or after a `...`
 * that holds no content (comments, directives) belongs to the next document.
 * One pass over the text, no copy of it when it holds a single document.
 */
export function splitStream(text: string): Chunk[] {
  const out: Chunk[] = [];
  let start = 0; // offset where the current chunk starts
  let startLine = 1;
  let hasMarker = false;
  let inline = false;
  let content: { line: number; col: number } | undefined;
  /** Ends the current chunk at offset `end` (line `endLine` starts there); one with no marker and no content stays open. */
  const cut = (end: number, endLine: number): void => {
    if (!hasMarker && content === undefined) return;
    const chunk: Chunk = { index: out.length, text: start === 0 && end >= text.length ? text : text.slice(start, end), firstLine: startLine, start: content ?? { line: startLine, col: 1 } };
    if (inline) chunk.inlineStart = true;
    out.push(chunk);
    start = end;
    startLine = endLine;
    hasMarker = false;
    inline = false;
    content = undefined;
  };
  let line = 1;
  for (let p = 0; p < text.length; line++) {
    let nl = text.indexOf('\n', p);
    if (nl < 0) nl = text.length;
    const marker = markerAt(text, p);
    if (marker === '---') {
      cut(p, line);
      hasMarker = true;
      // content on the marker line itself ("--- {a: 1}")
      const col = contentCol(text, p + 3, nl);
      if (col !== undefined) {
        content = { line, col: col + 3 };
        inline = true;
      }
    } else if (marker === '...') {
      cut(nl + 1, line + 1); // the end marker belongs to the document it ends
    } else if (content === undefined) {
      const col = contentCol(text, p, nl);
      if (col !== undefined) content = { line, col };
    }
    p = nl + 1;
  }
  cut(text.length, line);
  return out;
}

/** A YAML syntax error, at a file position. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(reason);
    this.name = 'YamlSyntaxError';
  }
}

/** Parses one document (js-yaml, YAML 1.2 core schema); syntax errors carry file positions. */
export function parseChunk(file: string, chunk: Chunk): unknown {
  if (chunk.inlineStart) {
    // js-yaml accepts a block mapping on the `---` line, which YAML (and Talos' parser) do not
    const yaml = yamlModule();
    const lines = new yaml.LineCounter();
    const doc = yaml.parseDocument(chunk.text, { lineCounter: lines });
    const error = doc.errors[0];
    if (error) {
      const pos = lines.linePos(error.pos[0]);
      throw new YamlSyntaxError(error.message.split('\n')[0]!, pos.line + chunk.firstLine - 1, pos.col);
    }
    // the content starts after any tag or anchor
    const range = doc.contents?.range;
    if (range) {
      const pos = lines.linePos(range[0]);
      chunk.start = { line: pos.line + chunk.firstLine - 1, col: pos.col };
    }
  }
  try {
    return jsYaml.load(chunk.text, { filename: file, schema: jsYaml.CORE_SCHEMA });
  } catch (err) {
    if (err instanceof jsYaml.YAMLException) {
      throw new YamlSyntaxError(err.reason || err.message, (err.mark?.line ?? 0) + chunk.firstLine, (err.mark?.column ?? 0) + 1);
    }
    throw err;
  }
}
