// Executing a planned batch of kernel operations: every operation is one or
// more requests (in order); its callbacks learn whether all of them succeeded.
import type { Request } from '../netlink/connection.js';
import type { Kernel } from './kernel.js';

export interface Operation {
  requests: Request[];
  /** All requests succeeded. */
  ok(): void;
  /** The first failing request's error, and how many requests before it succeeded. */
  failed(error: Error, succeeded: number): void;
}

export async function runOperations(kernel: Kernel, ops: readonly Operation[]): Promise<void> {
  if (ops.length === 0) return;
  const requests: Request[] = [];
  for (const op of ops) requests.push(...op.requests);
  const outcomes = await kernel.execAll(requests);
  let i = 0;
  for (const op of ops) {
    let failure: Error | undefined;
    let succeeded = 0;
    for (let j = 0; j < op.requests.length; j++) {
      const outcome = outcomes[i + j];
      if (!outcome) continue;
      if (outcome.ok) {
        if (!failure) succeeded++;
      } else if (!failure) {
        failure = outcome.error;
      }
    }
    i += op.requests.length;
    if (failure) op.failed(failure, succeeded);
    else op.ok();
  }
}
