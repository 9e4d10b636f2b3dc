// What a fuzz target is, and the contract every decoder of outside bytes keeps:
// it returns, or throws its own typed decode error; never a TypeError or
// RangeError from its guts, never a loop or a long walk.
import type fc from 'fast-check';

export interface FuzzTarget<T> {
  name: string;
  /** What is fed and what is checked, in a few words. */
  about: string;
  arbitrary: fc.Arbitrary<T>;
  /** Runs one case; throws ContractViolation when the contract is broken. */
  run(input: T): void | Promise<void>;
  /** run() returns a promise (the others are run as synchronous properties: faster). */
  async?: boolean;
  /** The input as hex (chunks separated by spaces), for crash reports and regression tests. */
  hex(input: T): string;
  fromHex(hex: string): T;
}

/** An input broke the contract: what happened, with the original error as the cause. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
  /** The case was too slow (not worth minimising: every try is slow too). */
  slow = false;
}

/** One case taking longer than this is a bug (a loop, a quadratic walk). */
export const SLOW_CASE_MS = 1000;

/**
 * Runs `fn`: it may return, or throw an error `allowed` accepts (checked
 * further by `check`); anything else, or a slow case, is a ContractViolation.
 */
export function expectTyped<R>(what: string, fn: () => R, allowed: (e: unknown) => boolean, check?: (e: Error) => string | undefined): R | undefined {
  const started = performance.now();
  let result: R | undefined;
  try {
    result = fn();
  } catch (e) {
    if (!allowed(e)) {
      const err = e as Error;
      throw new ContractViolation(`${what} threw ${err?.name ?? typeof e}: ${err?.message ?? String(e)}`, { cause: e });
    }
    const problem = check?.(e as Error);
    if (problem) throw new ContractViolation(`${what}: ${problem}`, { cause: e });
  }
  const ms = performance.now() - started;
  if (ms > SLOW_CASE_MS) {
    const v = new ContractViolation(`${what} took ${Math.round(ms)} ms`);
    v.slow = true;
    throw v;
  }
  return result;
}

export function bufferHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function hexBuffer(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}

export function chunksHex(chunks: readonly Uint8Array[]): string {
  return chunks.map((c) => (c.length === 0 ? '-' : bufferHex(c))).join(' ');
}

export function hexChunks(hex: string): Buffer[] {
  return hex
    .trim()
    .split(/\s+/)
    .map((c) => (c === '-' ? Buffer.alloc(0) : Buffer.from(c, 'hex')));
}
