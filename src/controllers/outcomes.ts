// Executing a planned batch of kernel operations: every operation is one or
// more requests (in order); its callbacks learn whether all of them succeeded.
import type { Request } from '../netlink/connection.js';
import type { Kernel } from './kernel.js';

export interface Operation {
  /** Read once per run (an operation may build them then: a bulk plan holds no requests). */
  readonly requests: readonly Request[];
  /** All requests succeeded. */
  ok(): void;
  /** The first failing request's error, and how many requests before it succeeded. */
  failed(error: Error, succeeded: number): void;
}

/** One batch (the connection pipelines it, and progress displays see its whole size from the start). */
export async function runOperations(kernel: Kernel, ops: readonly Operation[]): Promise<void> {
  if (ops.length === 0) return;
  const requests: Request[] = [];
  const counts = new Array<number>(ops.length);
  for (let k = 0; k < ops.length; k++) {
    const own = ops[k]!.requests;
    counts[k] = own.length;
    for (const r of own) requests.push(r);
  }
  const outcomes = await kernel.execAll(requests);
  let i = 0;
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const count = counts[k]!;
    let failure: Error | undefined;
    let succeeded = 0;
    for (let j = 0; j < count; j++) {
      const outcome = outcomes[i + j];
      if (!outcome) continue;
      if (outcome.ok) {
        if (!failure) succeeded++;
      } else if (!failure) {
        failure = outcome.error;
      }
    }
    i += count;
    if (failure) op.failed(failure, succeeded);
    else op.ok();
  }
}
