// The state file's lock: temporary files left by a killed netcfg are removed, a live writer's are not.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateFile, currentBootId } from '../../src/runtime/state-file.js';
import type { Resource } from '../../src/resources/resource.js';

// fsyncs counted (and done): what a power loss can cost decides which saves pay for them
const synced = vi.hoisted(() => ({ count: 0 }));
// writes counted, and the one numbered `failAt` failing as a full disk fails it
const writes = vi.hoisted(() => ({ count: 0, failAt: 0 }));
vi.mock('../../src/util/fs-async.js', async (original) => {
  const real = await original<typeof import('../../src/util/fs-async.js')>();
  return {
    ...real,
    fsync: (fd: number) => (synced.count++, real.fsync(fd)),
    writeAll: (fd: number, text: string) => {
      if (++writes.count !== writes.failAt) return real.writeAll(fd, text);
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    },
  };
});

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
      expect(JSON.parse(fs.readFileSync(state.file, 'utf8')).version).toBe(3);
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
    const routes = Array.from({ length: 10_000 }, (_, i) => record('AppliedRoute', `r${i}`, { dst: `10.0.${i >> 8}.${i & 255}/32`, gateway: '192.0.2.1', created: i % 3 === 0, ...(i === 7 ? { replaced: { dst: 'x' } } : {}) }));
    const links = [record('AppliedLink', 'eth0', { mtu: 1500 }), record('AppliedLink', 'eth1', { mtu: 9000, up: true })];
    await state.save([...routes, ...links]);
    const text = fs.readFileSync(state.file, 'utf8');
    const data = JSON.parse(text) as { version: number; scope: string; kinds: Record<string, { constants: Record<string, unknown>; fields: string[]; rows: unknown[][] }> };
    expect(data.version).toBe(3);
    expect(data.scope).toBe('netns-x');
    expect(Object.keys(data.kinds)).toEqual(['AppliedRoute', 'AppliedLink']);
    expect(data.kinds.AppliedRoute!.constants).toEqual({ gateway: '192.0.2.1' });
    expect(data.kinds.AppliedRoute!.rows).toHaveLength(10_000);
    const loaded = state.load();
    expect(loaded.map((k) => [k.type, k.owner, k.items.length])).toEqual([
      ['AppliedRoute', 'o', 10_000],
      ['AppliedLink', 'o', 2],
    ]);
    // strictly: a field a record does not have is not there as undefined or null either
    expect(loaded[0]!.items.map((i) => ({ id: i.id, spec: i.spec }))).toStrictEqual(routes.map((r) => ({ id: r.metadata.id, spec: r.spec })));
    expect(loaded[1]!.items.map((i) => i.spec)).toStrictEqual([{ mtu: 1500 }, { mtu: 9000, up: true }]);
    expect(loaded[1]!.items.map((i) => Object.keys(i.spec as object))).toEqual([['mtu'], ['mtu', 'up']]);
  });

  it('a save whose write fails (a full disk) rejects and leaves the file saved before as it was; the next save writes it whole', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const state = new StateFile(dir, 'netns-x', { oneBoot: new Set(['AppliedRoute']) });
    const routes = (gateway: string) => Array.from({ length: 10_000 }, (_, i) => record('AppliedRoute', `r${i}`, { dst: `10.0.${i >> 8}.${i & 255}/32`, gateway, n: i }));
    await state.save(routes('192.0.2.1'));
    const before = fs.readFileSync(state.file, 'utf8');
    // the third write from here: the third piece of the state file, found failed while the next is made
    writes.failAt = writes.count + 3;
    try {
      await expect(state.save(routes('192.0.2.2'))).rejects.toThrow(/ENOSPC/);
    } finally {
      writes.failAt = 0;
    }
    expect(fs.readFileSync(state.file, 'utf8')).toBe(before);
    await state.save(routes('192.0.2.2'));
    const loaded = state.load()[0]!.items;
    expect([loaded.length, (loaded[9999]!.spec as { gateway: string }).gateway]).toEqual([10_000, '192.0.2.2']);
  });

  it('records of one kind with fields in other orders, missing, undefined or of several values: constants only what all share, and each back as it was', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const state = new StateFile(dir, 'netns-x');
    const specs = Array.from({ length: 3000 }, (_, i) => {
      let spec: Record<string, unknown> = { family: 'inet4', dst: `10.0.${i >> 8}.${i & 255}/32`, gateway: '192.0.2.1', table: 'main', created: true, scope: 'global' };
      if (i % 7 === 0) spec = { ...spec, replaced: { dst: 'x' } }; // an object: never a constant
      if (i % 11 === 0) {
        const { created: _, ...rest } = spec;
        spec = { created: false, ...rest, table: undefined }; // another order and value, a field undefined
      }
      if (i % 13 === 0) delete spec['gateway']; // a field missing
      if (i === 2999) spec = { ...spec, family: 'inet6', late: 1 }; // another value, and a field only the last one has
      return spec;
    });
    await state.save(specs.map((spec, i) => record('AppliedRoute', `r${i}`, spec)));
    const data = JSON.parse(fs.readFileSync(state.file, 'utf8')) as { kinds: Record<string, { constants: Record<string, unknown>; fields: string[] }> };
    // scope is shared by all, at other positions in some; every other field varies, is missing or undefined
    // somewhere: in the order first given a value (record 0 has no table or gateway)
    expect(data.kinds.AppliedRoute!.constants).toEqual({ scope: 'global' });
    expect(data.kinds.AppliedRoute!.fields).toEqual(['created', 'family', 'dst', 'replaced', 'gateway', 'table', 'late']);
    const without = (spec: Record<string, unknown>) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
    expect(state.load()[0]!.items.map((i) => i.spec)).toEqual(specs.map(without));
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

/** A record of the state namespace. */
function record(type: string, id: string, spec: Record<string, unknown>): Resource {
  return { metadata: { namespace: 'state', type, id, version: 1, phase: 'running', owner: 'o', finalizers: [], created: 0, updated: 0 }, spec } as unknown as Resource;
}

const EARLIER_BOOT = '00000000-0000-4000-8000-000000000000';

describe('StateFile lasting records', () => {
  const oneBoot = new Set(['AppliedRoute', 'AppliedAddress']);
  const newState = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    return new StateFile(dir, 'netns-x', { oneBoot });
  };
  const resolv = record('AppliedFile', 'resolv.conf', { path: '/etc/resolv.conf', sha256: 'ab' });
  const lease = record('OperatorLease', 'dhcp4/eth0', { address: '192.0.2.7/24', expires: 1234 });
  const route = (i: number) => record('AppliedRoute', `r${i}`, { dst: `10.0.0.${i}/32`, created: true });
  const rewritten = (file: string) => {
    const before = fs.statSync(file, { bigint: true });
    return () => {
      const after = fs.statSync(file, { bigint: true });
      return after.ino !== before.ino || after.mtimeNs !== before.mtimeNs;
    };
  };

  it('writes version 3 (a route record may be its spec, without `created`), reads version 2, and refuses another', async () => {
    const state = newState();
    await state.save([route(1), resolv]);
    const data = JSON.parse(fs.readFileSync(state.file, 'utf8')) as Record<string, unknown>;
    expect(data['version']).toBe(3);
    expect((JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { version: number }).version).toBe(3);
    // what an earlier netcfg wrote is read as before
    fs.writeFileSync(state.file, JSON.stringify({ ...data, version: 2 }));
    expect(state.load().map((k) => `${k.type}:${k.items.map((i) => i.id).join(',')}`)).toEqual(['AppliedRoute:r1', 'AppliedFile:resolv.conf']);
    // a later format is refused, not read as this one
    fs.writeFileSync(state.file, JSON.stringify({ ...data, version: 4 }));
    expect(() => state.load()).toThrow(/netns-x\.json: unsupported state file format/);
  });

  it('keeps what outlives a reboot in a second file, rewritten only when that changes', async () => {
    const state = newState();
    await state.save([route(1), resolv]);
    const lasting = JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { version: number; boot: string; kinds: Record<string, unknown> };
    expect(lasting.version).toBe(3);
    expect(lasting.boot).toBe(currentBootId());
    expect(Object.keys(lasting.kinds)).toEqual(['AppliedFile']);
    // records of kernel objects change: the state file is rewritten, the lasting file is not; nothing is fsynced
    let changed = rewritten(state.lastingFile);
    synced.count = 0;
    await state.save([route(1), route(2), resolv]);
    expect(changed()).toBe(false);
    expect(synced.count).toBe(0);
    expect(state.load().map((k) => [k.type, k.items.length])).toEqual([['AppliedRoute', 2], ['AppliedFile', 1]]);
    // a lease: rewritten, by this process and by the next one (which reads what is on disk)
    await state.save([route(1), route(2), resolv, lease]);
    expect(changed()).toBe(true);
    expect(synced.count).toBe(2); // the lasting file and its directory
    changed = rewritten(state.lastingFile);
    const next = new StateFile(state.dir, 'netns-x', { oneBoot });
    next.load();
    await next.save([route(3), resolv, lease]);
    expect(changed()).toBe(false);
    await next.save([route(3), lease]); // the file record goes: so does its lasting copy
    expect(changed()).toBe(true);
    expect(Object.keys((JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { kinds: object }).kinds)).toEqual(['OperatorLease']);
    await next.save([route(3)]);
    expect((JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { kinds: object }).kinds).toEqual({});
    // the lasting file first: when it cannot be written, the state file is not replaced either
    // (a state file cut short by a power loss always has a lasting file beside it)
    const before = fs.readFileSync(state.file, 'utf8');
    fs.rmSync(state.lastingFile);
    fs.mkdirSync(state.lastingFile);
    await expect(next.save([route(4), lease])).rejects.toThrow();
    expect(fs.readFileSync(state.file, 'utf8')).toBe(before);
  });

  it('after a reboot, loads what lasts from the lasting file, even from a state file cut short or gone', async () => {
    const state = newState();
    await state.save([route(1), route(2), resolv, lease]);
    const data = JSON.parse(fs.readFileSync(state.file, 'utf8')) as Record<string, unknown>;
    const types = (kinds: ReturnType<StateFile['load']>) => kinds.map((k) => `${k.type}:${k.items.map((i) => i.id).join(',')}`);
    // the same boot: everything, nothing dropped
    expect(types(state.load())).toEqual(['AppliedRoute:r1,r2', 'AppliedFile:resolv.conf', 'OperatorLease:dhcp4/eth0']);
    expect([state.savedInEarlierBoot, state.droppedRecords, state.recovered]).toEqual([false, 0, false]);
    // an earlier boot's state file: the kernel's records are dropped and counted
    fs.writeFileSync(state.file, JSON.stringify({ ...data, boot: EARLIER_BOOT }));
    expect(types(state.load())).toEqual(['AppliedFile:resolv.conf', 'OperatorLease:dhcp4/eth0']);
    expect([state.savedInEarlierBoot, state.droppedRecords, state.recovered]).toEqual([true, 2, false]);
    // cut short by a power loss (its rename reached the disk, its data did not)
    const text = fs.readFileSync(state.file, 'utf8');
    fs.writeFileSync(state.file, text.slice(0, text.length >> 1));
    expect(types(state.load())).toEqual(['AppliedFile:resolv.conf', 'OperatorLease:dhcp4/eth0']);
    expect([state.savedInEarlierBoot, state.recovered]).toEqual([true, true]);
    fs.writeFileSync(state.file, '');
    expect(types(state.load())).toEqual(['AppliedFile:resolv.conf', 'OperatorLease:dhcp4/eth0']);
    fs.rmSync(state.file);
    expect(types(state.load())).toEqual(['AppliedFile:resolv.conf', 'OperatorLease:dhcp4/eth0']);
    expect([state.savedInEarlierBoot, state.recovered]).toEqual([true, false]);
    // without a lasting file, a state file cut short is an error (nothing is silently forgotten)
    fs.writeFileSync(state.file, text.slice(0, 40));
    fs.rmSync(state.lastingFile);
    expect(() => state.load()).toThrow(SyntaxError);
    // a lasting file of another format: an error when it is needed (after a reboot)…
    fs.writeFileSync(state.lastingFile, JSON.stringify({ version: 1 }));
    fs.writeFileSync(state.file, JSON.stringify({ ...data, boot: EARLIER_BOOT }));
    expect(() => state.load()).toThrow(/netns-x\.json\.lasting: unsupported state file format/);
    // …not in the boot of the state file, where the lasting file is replaced (with the lock held)
    fs.writeFileSync(state.file, JSON.stringify(data));
    state.lock();
    try {
      expect(types(state.load())).toEqual(['AppliedRoute:r1,r2', 'AppliedFile:resolv.conf', 'OperatorLease:dhcp4/eth0']);
    } finally {
      state.unlock();
    }
    expect(Object.keys((JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { kinds: object }).kinds)).toEqual(['AppliedFile', 'OperatorLease']);
  });

  it('reads a state file of an older netcfg (fsynced, no lasting file): after a reboot, without the records of kernel objects', async () => {
    const state = newState();
    await state.save([route(1), resolv]);
    const { lasting: marker, ...data } = JSON.parse(fs.readFileSync(state.file, 'utf8')) as Record<string, unknown>;
    expect(marker).toBe(true);
    fs.writeFileSync(state.file, JSON.stringify(data));
    fs.rmSync(state.lastingFile);
    expect(state.load().map((k) => k.type)).toEqual(['AppliedRoute', 'AppliedFile']);
    fs.writeFileSync(state.file, JSON.stringify({ ...data, boot: EARLIER_BOOT }));
    expect(state.load().map((k) => k.type)).toEqual(['AppliedFile']);
    expect([state.savedInEarlierBoot, state.droppedRecords]).toEqual([true, 1]);
    // an older netcfg ran after this one (a downgrade): its state file, not the stale lasting file, is the one to trust
    fs.writeFileSync(state.lastingFile, JSON.stringify({ version: 2, scope: 'netns-x', updated: '', boot: EARLIER_BOOT, lasting: true, kinds: {} }));
    expect(state.load().map((k) => k.type)).toEqual(['AppliedFile']);
    fs.rmSync(state.lastingFile);
    // the next save writes the lasting file (none on disk), and marks the state file as one that has it
    state.load();
    await state.save([resolv]);
    expect(Object.keys((JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { kinds: object }).kinds)).toEqual(['AppliedFile']);
    expect((JSON.parse(fs.readFileSync(state.file, 'utf8')) as { lasting?: boolean }).lasting).toBe(true);
  });

  it('a netcfg killed between writing the lasting file and the state file: the next one, in the same boot, brings them in line', async () => {
    const state = newState();
    await state.save([route(1)]);
    const older = fs.readFileSync(state.lastingFile);
    await state.save([route(1), resolv]);
    // as if killed after the state file's rename, before the lasting file's (the order is the other way, but a
    // lasting file that lags or leads must be fixed alike)
    fs.writeFileSync(state.lastingFile, older);
    const reader = new StateFile(state.dir, 'netns-x', { oneBoot });
    reader.load(); // without the lock (a dry run, `get`): reads only
    expect(fs.readFileSync(state.lastingFile)).toEqual(older);
    const next = new StateFile(state.dir, 'netns-x', { oneBoot });
    next.lock();
    try {
      synced.count = 0;
      expect(next.load().map((k) => k.type)).toEqual(['AppliedRoute', 'AppliedFile']);
      expect(synced.count).toBe(0); // (load writes synchronously, not through the counted module)
      expect(Object.keys((JSON.parse(fs.readFileSync(state.lastingFile, 'utf8')) as { kinds: object }).kinds)).toEqual(['AppliedFile']);
      // nothing changes after that: the next save does not rewrite it
      const changed = rewritten(state.lastingFile);
      await next.save([route(2), resolv]);
      expect(changed()).toBe(false);
    } finally {
      next.unlock();
    }
    // and after a reboot, the file record is there
    const data = JSON.parse(fs.readFileSync(state.file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(state.file, JSON.stringify({ ...data, boot: EARLIER_BOOT }));
    expect(next.load().map((k) => `${k.type}:${k.items.map((i) => i.id).join(',')}`)).toEqual(['AppliedFile:resolv.conf']);
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

describe('StateFile try marker', () => {
  it('the marker of netns x and the state file of a netns named x.try are two files: neither touches the other', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const x = new StateFile(dir, 'netns-x');
    const xTry = new StateFile(dir, 'netns-x.try');
    await xTry.save([record('AppliedRoute', 'r1', { dst: '10.0.0.1/32' })]);
    // the other namespace's state file is no pending try of x
    expect(x.readTry()).toBeUndefined();
    x.writeTry({ token: 't1', deadline: 1 });
    expect(x.readTry()).toEqual({ token: 't1', deadline: 1 });
    expect(xTry.readTry()).toBeUndefined();
    x.writeTry(undefined);
    expect(x.readTry()).toBeUndefined();
    // x.try's records are as saved, through all of it
    expect(xTry.load().map((k) => k.items.map((i) => [i.id, i.spec]))).toEqual([[['r1', { dst: '10.0.0.1/32' }]]]);
    expect(fs.readdirSync(dir).sort()).toEqual(['netns-x.try.json', 'netns-x.try.json.lasting']);
  });

  it('reads a marker an older netcfg left under the old name (SCOPE.try.json), and removes it when the try ends', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-state-'));
    dirs.push(dir);
    const y = new StateFile(dir, 'netns-y');
    const legacy = path.join(dir, 'netns-y.try.json');
    fs.writeFileSync(legacy, JSON.stringify({ token: 'old', deadline: 5, watcherPid: 1 }));
    expect(y.readTry()).toEqual({ token: 'old', deadline: 5, watcherPid: 1 });
    // rewritten (a watcher taking it over): under the new name only
    y.writeTry({ token: 'old', deadline: 5, watcherPid: 2 });
    expect(fs.existsSync(legacy)).toBe(false);
    expect(y.readTry()).toEqual({ token: 'old', deadline: 5, watcherPid: 2 });
    fs.writeFileSync(legacy, JSON.stringify({ token: 'old', deadline: 5 }));
    y.writeTry(undefined);
    expect(y.readTry()).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
