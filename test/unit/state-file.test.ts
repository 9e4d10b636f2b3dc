// The state file's lock: temporary files left by a killed netcfg are removed, a live writer's are not.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateFile } from '../../src/runtime/state-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A pid that is certainly not running: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number.parseInt(r.stdout, 10);
}

describe('StateFile lock', () => {
  it('removes the temporary files of dead writers (kill -9 between write and rename), keeps the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const dead = deadPid();
    const stale = [`netns-x.json.${dead}.tmp`, `netns-x.applied.yaml.${dead}.tmp`];
    const kept = [`netns-x.json.${process.ppid}.tmp`, `netns-y.json.${dead}.tmp`, 'netns-x.json', 'netns-x.applied.yaml'];
    for (const f of [...stale, ...kept]) fs.writeFileSync(path.join(dir, f), '{}');
    const state = new StateFile(dir, 'netns-x');
    state.lock();
    try {
      expect(fs.readdirSync(dir).sort()).toEqual([...kept, 'netns-x.lock'].sort());
      await state.save([]);
      expect(JSON.parse(fs.readFileSync(state.file, 'utf8')).version).toBe(2);
    } finally {
      state.unlock();
    }
  });
});
