// The state file's lock: temporary files left by a killed netcfg are removed, a live writer's are not.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateFile, currentBootId } from '../../src/runtime/state-file.js';
import type { Resource } from '../../src/resources/resource.js';

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

describe('StateFile save', () => {
  it('writes many records a chunk at a time as one JSON document, and loads them back as they were', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const state = new StateFile(dir, 'netns-x');
    const record = (type: string, id: string, spec: Record<string, unknown>): Resource => ({ metadata: { namespace: 'state', type, id, version: 1, phase: 'running', owner: 'o', finalizers: [], created: 0, updated: 0 }, spec }) as unknown as Resource;
    const routes = Array.from({ length: 10_000 }, (_, i) => record('AppliedRoute', `r${i}`, { dst: `10.0.${i >> 8}.${i & 255}/32`, gateway: '192.0.2.1', created: i % 3 === 0, ...(i === 7 ? { replaced: { dst: 'x' } } : {}) }));
    const links = [record('AppliedLink', 'eth0', { mtu: 1500 }), record('AppliedLink', 'eth1', { mtu: 9000, up: true })];
    await state.save([...routes, ...links]);
    const text = fs.readFileSync(state.file, 'utf8');
    const data = JSON.parse(text) as { version: number; scope: string; kinds: Record<string, { constants: Record<string, unknown>; fields: string[]; rows: unknown[][] }> };
    expect(data.version).toBe(2);
    expect(data.scope).toBe('netns-x');
    expect(Object.keys(data.kinds)).toEqual(['AppliedRoute', 'AppliedLink']);
    expect(data.kinds.AppliedRoute!.constants).toEqual({ gateway: '192.0.2.1' });
    expect(data.kinds.AppliedRoute!.rows).toHaveLength(10_000);
    const loaded = state.load();
    expect(loaded.map((k) => [k.type, k.owner, k.items.length])).toEqual([
      ['AppliedRoute', 'o', 10_000],
      ['AppliedLink', 'o', 2],
    ]);
    expect(loaded[0]!.items.map((i) => ({ id: i.id, spec: i.spec }))).toEqual(routes.map((r) => ({ id: r.metadata.id, spec: r.spec })));
    expect(loaded[1]!.items.map((i) => i.spec)).toEqual([{ mtu: 1500 }, { mtu: 9000, up: true }]);
  });
});

describe('StateFile boot', () => {
  it('records the boot it was saved in, and load() tells a file of an earlier boot (none recorded: the same boot)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const state = new StateFile(dir, 'netns-x');
    await state.save([]);
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const data = JSON.parse(fs.readFileSync(state.file, 'utf8')) as Record<string, unknown>;
    expect(data.boot).toBe(boot);
    expect(currentBootId()).toBe(boot);
    state.load();
    expect(state.savedInEarlierBoot).toBe(false);
    fs.writeFileSync(state.file, JSON.stringify({ ...data, boot: '00000000-0000-4000-8000-000000000000' }));
    state.load();
    expect(state.savedInEarlierBoot).toBe(true);
    const { boot: _, ...older } = data;
    fs.writeFileSync(state.file, JSON.stringify(older));
    state.load();
    expect(state.savedInEarlierBoot).toBe(false);
  });
});

describe('StateFile configs', () => {
  it('applyConfig: the applied config becomes previous (the same bytes, 0600) and the new one, given or staged, applied', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const state = new StateFile(dir, 'netns-x');
    const mode = (which: 'applied' | 'previous') => (fs.statSync(state.configFile(which)).mode & 0o777).toString(8);
    // nothing applied yet: no previous
    state.writeConfig('previous', 'stale: true\n');
    state.applyConfig('one: 1\n');
    expect(state.readConfig('applied')).toBe('one: 1\n');
    expect(state.readConfig('previous')).toBeUndefined();
    // staged (a one-shot apply): moved into place, nothing staged is left
    state.writeConfig('staged', 'two: 2 # ünïcode\n');
    state.applyConfig();
    expect(state.readConfig('applied')).toBe('two: 2 # ünïcode\n');
    expect(state.readConfig('previous')).toBe('one: 1\n');
    expect(state.readConfig('staged')).toBeUndefined();
    state.applyConfig('three: 3\n');
    expect(state.readConfig('previous')).toBe('two: 2 # ünïcode\n');
    expect([mode('applied'), mode('previous')]).toEqual(['600', '600']);
    expect(fs.readdirSync(dir).sort()).toEqual(['netns-x.applied.yaml', 'netns-x.previous.yaml']);
  });
});
