// Runs a fuzz target with fast-check and turns a failure into a report with the
// input in hex (what a regression test records), the seed and the path.
import fc from 'fast-check';
import type { FuzzTarget } from './target.js';

export interface TargetResult {
  name: string;
  runs: number;
  ms: number;
  seed: number;
  /** The (shrunk) failing input in hex, its error, and fast-check's replay path. */
  failure?: { hex: string; error: string; path: string };
}

export interface RunOptions {
  numRuns: number;
  seed: number;
  /** Minimise a failing input (default true). */
  shrink?: boolean;
  /** Called before each case with its input (bench/fuzz.mjs keeps it where a watchdog can read it). */
  before?: (input: unknown) => void;
}

export async function runTarget<T>(target: FuzzTarget<T>, options: RunOptions): Promise<TargetResult> {
  const started = performance.now();
  const params: fc.Parameters<[T]> = { numRuns: options.numRuns, seed: options.seed, endOnFailure: options.shrink === false };
  const before = options.before;
  const details = target.async
    ? await fc.check(
        fc.asyncProperty(target.arbitrary, async (input) => {
          before?.(input);
          await target.run(input);
        }),
        params,
      )
    : fc.check(
        fc.property(target.arbitrary, (input) => {
          before?.(input);
          const r = target.run(input);
          if (r instanceof Promise) throw new Error(`${target.name}: run() returned a promise; mark the target async`);
        }),
        params,
      );
  const result: TargetResult = { name: target.name, runs: details.numRuns, ms: performance.now() - started, seed: options.seed };
  if (details.failed && details.counterexample) {
    const err = details.errorInstance as Error | undefined;
    const cause = err?.cause instanceof Error ? `\n  cause: ${err.cause.stack ?? err.cause.message}` : '';
    result.failure = { hex: target.hex(details.counterexample[0]), error: `${err?.stack ?? String(err)}${cause}`, path: details.counterexamplePath ?? '' };
  } else if (details.failed) {
    result.failure = { hex: '', error: `fast-check failed without a counterexample: ${String(details.errorInstance)}`, path: '' };
  }
  return result;
}

/** A failure as text: target, seed, path, input hex, error. */
export function formatFailure(r: TargetResult): string {
  if (!r.failure) return `${r.name}: ok`;
  return `${r.name}: CRASH (seed ${r.seed}, path ${r.failure.path})\n  input: ${r.failure.hex}\n  ${r.failure.error}`;
}
