// CI-sized fuzzing of the netlink decoders (bench/fuzz.mjs runs millions of
// cases): decode, or throw NetlinkDecodeError pointing inside the bytes.
import { describe, expect, it } from 'vitest';
import { connectionTarget } from '../fuzz/connection.js';
import { GENL_SEEDS, RTNL_SEEDS, decodeGenl, decodeRtnl, netlinkTargets, recorded } from '../fuzz/netlink.js';
import { formatFailure, runTarget } from '../fuzz/run.js';

// A new seed each run (printed in the suite's name; FUZZ_SEED=… FUZZ_RUNS=… to replay or go longer).
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 0x7fffffff);
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);

describe(`netlink decoders under fuzzing (seed ${SEED})`, () => {
  it('the recorded seeds decode cleanly (links of every kind, events, nlctrl, a WireGuard device)', () => {
    const names = (prefixes: string[]) => recorded(prefixes).map((s) => s.name);
    expect(names(RTNL_SEEDS)).toEqual(expect.arrayContaining(['links-dump', 'links-bridge-dump', 'links-kinds-dump', 'events-rtnl', 'addresses-dump', 'routes-table-1000-dump']));
    for (const s of recorded(RTNL_SEEDS)) expect(decodeRtnl(s.bytes), s.name).toBeGreaterThan(0);
    const wg = decodeGenl(recorded(['wg-device-dump'])[0]!.bytes);
    expect(wg?.peers.map((p) => [p.endpoint, p.allowedIPs])).toEqual([
      ['192.0.2.7:51820', ['10.10.0.0/24', '10.20.0.1/32']],
      ['[2001:db8::7]:51821', ['2001:db8:10::/64']],
    ]);
    expect(names(GENL_SEEDS)).toEqual(['genl-nlctrl-family', 'wg-device-dump']);
    for (const s of recorded(GENL_SEEDS)) expect(() => decodeGenl(s.bytes), s.name).not.toThrow();
  });

  it.each(netlinkTargets.map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    const r = await runTarget(target, { numRuns: RUNS, seed: SEED });
    expect(r.failure, formatFailure(r)).toBeUndefined();
  });

  it(connectionTarget.name, async () => {
    const r = await runTarget(connectionTarget, { numRuns: Math.ceil(RUNS / 2), seed: SEED });
    expect(r.failure, formatFailure(r)).toBeUndefined();
  });
});
