// Executing a planned batch of kernel operations: every operation is one or
// more requests (in order); its callbacks learn whether all of them succeeded.
import type { Request } from '../netlink/connection.js';
import type { Kernel } from './kernel.js';

export interface Operation {
  /**
   * Read when the operation is run, and before that when a batch is counted for
   * progress (an operation may build them each time: a bulk plan holds no requests).
   * The same requests each time.
   */
  readonly requests: readonly Request[];
  /** All requests succeeded. */
  ok(): void;
  /** The first failing request's error, and how many requests before it succeeded. */
  failed(error: Error, succeeded: number): void;
}

/**
 * Operations handed to the kernel in one execAll. A bulk plan goes a slice at a
 * time, so that its requests and their outcomes exist for one slice only (an
 * add's request is built when it is run): 100k routes held ~4 MB less at the
 * peak of a first apply (bench/routes.mjs), in no more time. The connection
 * pipelines within a slice; between two it waits for the last acknowledgement.
 */
export const OPS_PER_SLICE = 8192;

/**
 * One batch: the operations given when it starts, in order (pipelined within a
 * slice; progress displays see its whole size from the start). Operations a
 * callback adds to the array meanwhile are the caller's to run.
 */
export async function runOperations(kernel: Kernel, ops: readonly Operation[]): Promise<void> {
  const count = ops.length;
  if (count <= OPS_PER_SLICE) {
    await runSlice(kernel, ops, 0, count, () => {});
    return;
  }
  let ahead = 0;
  if (kernel.announceWrites) {
    for (let k = 0; k < count; k++) for (const r of ops[k]!.requests) if (r.write) ahead++;
    kernel.announceWrites(ahead);
  }
  const sent = (writes: number): void => {
    ahead = Math.max(0, ahead - writes);
  };
  try {
    for (let from = 0; from < count; from += OPS_PER_SLICE) await runSlice(kernel, ops, from, Math.min(count, from + OPS_PER_SLICE), sent);
  } finally {
    // a callback or the connection threw: what was announced and never handed over is taken back
    if (ahead > 0) kernel.announceWrites?.(-ahead);
  }
}

/** Runs ops[from, to) in one execAll (`sent` learns its write requests as they are handed over) and dispatches their outcomes. */
async function runSlice(kernel: Kernel, ops: readonly Operation[], from: number, to: number, sent: (writes: number) => void): Promise<void> {
  if (from === to) return;
  const requests: Request[] = [];
  const counts = new Array<number>(to - from);
  let writes = 0;
  for (let k = from; k < to; k++) {
    const own = ops[k]!.requests;
    counts[k - from] = own.length;
    for (const r of own) {
      requests.push(r);
      if (r.write) writes++;
    }
  }
  // handed over: the connection no longer counts them as announced, whatever comes of them
  sent(writes);
  const outcomes = await kernel.execAll(requests);
  let i = 0;
  for (let k = from; k < to; k++) {
    const op = ops[k]!;
    const count = counts[k - from]!;
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
