// Under CI, a skipped test is a failure: the run exits non-zero and names every
// skipped test (a skip counted as a pass would hide a lane that did not run).
// Outside CI skips are reported, not failed (a clone without ../shared).
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkips implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const m of modules) for (const t of m.children.allTests()) if (t.result().state === 'skipped') skipped.push(`${m.moduleId}: ${t.fullName}`);
    if (skipped.length === 0) return;
    const ci = Boolean(process.env.CI);
    process.stderr.write(`\n${ci ? 'FAIL: ' : ''}${skipped.length} test${skipped.length === 1 ? ' was' : 's were'} skipped${ci ? ' (CI allows none)' : ''}:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n`);
    if (ci) process.exitCode = 1;
  }
}
