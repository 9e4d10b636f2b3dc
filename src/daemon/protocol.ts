// The daemon's control protocol: one JSON object per line over a unix socket
// that only root can open (mode 0600). A request gets one response line; a
// watch gets the current resources, then one line per change until either side closes.
import type { ConfigIssue } from '../config/issues.js';
import type { Resource } from '../resources/resource.js';
import type { ApplyReport } from '../report.js';

export type Request =
  | { op: 'ping' }
  /**
   * `changesLimit`: list at most this many changes in the report (the text
   * output prints a thousand); the report then counts the others (omittedChanges).
   */
  | { op: 'apply'; file: string; text: string; dryRun: boolean; tryMs?: number; changesLimit?: number }
  | { op: 'confirm' }
  | { op: 'rollback' }
  | { op: 'get'; namespaces: string[]; type: string }
  | { op: 'watch'; namespaces: string[]; type: string }
  | { op: 'reset-identity' };

export interface RequestError {
  message: string;
  /** The CLI's exit code for it (2: invalid input, 1: failure). */
  exitCode: number;
  /** Config problems (exit 2), with file positions. */
  issues?: { file: string; issues: readonly ConfigIssue[] };
}

export type Response =
  | { ok: true; result: unknown }
  | { ok: false; error: RequestError };

export interface PingResult {
  pid: number;
  version: string;
  netns: string | null;
  startedAt: string;
}

export type ApplyResultMessage = ApplyReport;

export interface ResetIdentityResult {
  previous: string | null;
  nodeId: string | null;
}

export type WatchLine =
  | { event: 'bootstrapped' }
  | { event: 'created' | 'updated' | 'destroyed'; resource: Resource };

/** Splits a byte stream into JSON lines. */
export class LineReader {
  /** The pieces of the line not yet complete: none holds a newline. */
  private pieces: string[] = [];

  constructor(private readonly onLine: (value: unknown) => void) {}

  /**
   * Only the new chunk is searched for a newline, and a line's pieces are joined
   * once: an apply request carries the whole config (megabytes with 100k routes),
   * and re-scanning what came before on every 64 KiB read made it quadratic
   * (1.3 s of the daemon's CPU for a 4 MB config).
   */
  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.pieces.push(chunk.slice(start, nl));
      const line = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
      this.pieces = [];
      start = nl + 1;
      if (line.trim() !== '') this.onLine(JSON.parse(line));
    }
    if (start < chunk.length) this.pieces.push(chunk.slice(start));
  }
}

/** What serves the requests the control socket reads (the daemon). */
export interface Handler {
  /** Answers a request (throwing a RequestFailure answers with an error). */
  request(req: Exclude<Request, { op: 'watch' }>): Promise<unknown>;
  /**
   * Starts a watch: `send` for each line, `sendEach` for many (made as they
   * are written: a watch of 100k resources starts without a copy of each at
   * once); returns the function that stops it.
   */
  watch(req: Extract<Request, { op: 'watch' }>, send: (line: WatchLine) => void, sendEach: (lines: Iterable<WatchLine>) => void): () => void;
}

export class RequestFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly issues?: { file: string; issues: readonly ConfigIssue[] },
  ) {
    super(message);
  }
}
