// Runs a fuzz target with fast-check and turns a failure into a report with the
// input in hex (what a regression test records), the seed and the path.
import fc from 'fast-check';
import { ContractViolation, type FuzzTarget } from './target.js';

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
  /** Minimise a failing input (default true; never for a slow case: every try would be slow too). */
  shrink?: boolean;
  /** Called before each case with its input (bench/fuzz.mjs keeps it where a watchdog can read it). */
  before?: (input: unknown) => void;
}

async function check<T>(target: FuzzTarget<T>, params: fc.Parameters<[T]>, before: ((input: unknown) => void) | undefined): Promise<fc.RunDetails<[T]>> {
  if (target.async) {
    return fc.check(
      fc.asyncProperty(target.arbitrary, async (input) => {
        before?.(input);
        await target.run(input);
      }),
      params,
    );
  }
  return fc.check(
    fc.property(target.arbitrary, (input) => {
      before?.(input);
      const r = target.run(input);
      if (r instanceof Promise) throw new Error(`${target.name}: run() returned a promise; mark the target async`);
    }),
    params,
  );
}

export async function runTarget<T>(target: FuzzTarget<T>, options: RunOptions): Promise<TargetResult> {
  const started = performance.now();
  // find a failure first, then minimise it from its path
  let details = await check(target, { numRuns: options.numRuns, seed: options.seed, endOnFailure: true }, options.before);
  const runs = details.numRuns;
  const slow = details.errorInstance instanceof ContractViolation && details.errorInstance.slow;
  if (details.failed && options.shrink !== false && !slow && details.counterexamplePath) {
    const shrunk = await check(target, { seed: options.seed, path: details.counterexamplePath, endOnFailure: false }, options.before);
    if (shrunk.failed) details = shrunk;
  }
  const result: TargetResult = { name: target.name, runs, ms: performance.now() - started, seed: options.seed };
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
