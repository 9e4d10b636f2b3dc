// CI-sized fuzzing of the netlink decoders (bench/fuzz.mjs runs millions of
// cases): decode, or throw NetlinkDecodeError pointing inside the bytes.
import { describe, expect, it } from 'vitest';
import { connectionTarget } from '../fuzz/connection.js';
import { netlinkTargets } from '../fuzz/netlink.js';
import { formatFailure, runTarget } from '../fuzz/run.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 0x7fffffff);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);

describe(`netlink decoders under fuzzing (seed ${SEED})`, () => {
  it.each(netlinkTargets.map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    const r = await runTarget(target, { numRuns: RUNS, seed: SEED });
    expect(r.failure, formatFailure(r)).toBeUndefined();
  });

  it(connectionTarget.name, async () => {
    const r = await runTarget(connectionTarget, { numRuns: Math.ceil(RUNS / 3), seed: SEED });
    expect(r.failure, formatFailure(r)).toBeUndefined();
  });
});
