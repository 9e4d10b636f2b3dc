// The validated copy of a config (src/config/validated-copy.ts), kept by the daemon and `netcfg apply`:
// what it reads back is exactly what validating the text gives, and it serves
// only the same text validated by the same build.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText, type LoadedConfig } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/config/issues.js';
import { ValidatedCopy } from '../../src/config/validated-copy.js';
import { takeExactJson } from '../../src/util/exact-json.js';
import { describeWithShared, sharedPath } from '../helpers/shared.js';

const fixtures = path.resolve(__dirname, '../fixtures');

/** Runs `body` in a temporary directory, removed afterwards. */
async function inTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-copy-'));
  try {
    return await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

/** A config validated in `dir`, and a copy for it there (build "build-1"). */
async function copyIn(dir: string, text: string) {
  const file = path.join(dir, 'machine.yaml');
  const where = path.join(dir, 'scope.json.validated-config');
  return { file, where, loaded: await parseConfigText(file, text), copy: new ValidatedCopy(where, 'build-1') };
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Every file of `files` that validates: the copy written from its validation reads back as exactly that (key order, every value). */
async function roundTrips(files: string[]): Promise<number> {
  return inTempDir(async (dir) => {
    let valid = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      let loaded: LoadedConfig;
      try {
        loaded = await parseConfigText(file, text);
      } catch (err) {
        if (err instanceof ConfigInvalidError) continue;
        throw err;
      }
      valid++;
      const copy = new ValidatedCopy(path.join(dir, 'scope.json.validated-config'), 'build-1');
      expect(copy.write(loaded, text), file).toBe(true);
      const back = copy.read(file, text);
      expect(back, file).toStrictEqual(loaded);
      expect(JSON.stringify(back), file).toBe(JSON.stringify(loaded));
    }
    return valid;
  });
}

describe('the validated copy of a config', () => {
  it('reads back exactly what validation gave, for every valid config of the fixtures', async () => {
    const files = yamlFiles(path.join(fixtures, 'seeds'));
    expect(await roundTrips(files)).toBe(14);
  });

  it('serves only the same text, validated by the same build', async () => {
    await inTempDir(async (dir) => {
      const text = 'machine:\n  type: init\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.0.2.10/24]\n';
      const { file, where, loaded, copy } = await copyIn(dir, text);
      expect(loaded.notes.length).toBeGreaterThan(0); // the warning about "init" is kept with the config
      expect(copy.write(loaded, text)).toBe(true);
      expect(copy.read(file, text)).toStrictEqual(loaded);
      expect(copy.read(file, text.replace('192.0.2.10', '192.0.2.11'))).toBeUndefined();
      expect(copy.read(file, `${text}\n`)).toBeUndefined();
      // the text counts, not the file it was read from (validation never looks at the file): the copy serves
      // the same text read from another file, under that file's name
      expect(copy.read(path.join(dir, 'other.yaml'), text)).toStrictEqual({ ...loaded, file: path.join(dir, 'other.yaml') });
      expect(new ValidatedCopy(where, 'build-2').read(file, text)).toBeUndefined();
      // a build without an ID (the plain build) neither reads nor writes one
      expect(new ValidatedCopy(where, undefined).read(file, text)).toBeUndefined();
      fs.rmSync(where);
      expect(new ValidatedCopy(where, undefined).write(loaded, text)).toBe(false);
      expect(fs.existsSync(where)).toBe(false);
    });
  });

  it('holds a large text by its SHA-256, not the text', async () => {
    await inTempDir(async (dir) => {
      // past 256K characters (a comment keeps the config as it is)
      const text = `machine:\n  network:\n    hostname: a\n# ${'x'.repeat(256 * 1024)}\n`;
      const { file, where, loaded, copy } = await copyIn(dir, text);
      expect(copy.write(loaded, text)).toBe(true);
      const whole = fs.readFileSync(where, 'utf8');
      const data = JSON.parse(whole) as Record<string, unknown>;
      expect(data['sha256']).toBe(sha256(text));
      expect(data).not.toHaveProperty('text');
      expect(whole).not.toContain('xxxx');
      expect(copy.read(file, text)).toStrictEqual(loaded);
      expect(copy.read(file, `${text} `)).toBeUndefined();
      fs.writeFileSync(where, JSON.stringify({ ...data, sha256: undefined, text }));
      expect(copy.read(file, text)).toBeUndefined();
    });
  });

  it('a large config loaded for writing is written from the JSON it was made from, the same bytes, and holds that JSON no longer', async () => {
    await inTempDir(async (dir) => {
      // 4000 routes: past 256K characters, so the config is made again from its JSON (config/load.ts)
      const routes = Array.from({ length: 4000 }, (_, i) => `          - network: 10.${i >> 8}.${i & 255}.0/24\n            gateway: 192.0.2.1\n`).join('');
      const text = `machine:\n  network:\n    interfaces:\n      - interface: eth0\n        routes:\n${routes}`;
      expect(text.length).toBeGreaterThan(256 * 1024);
      const file = path.join(dir, 'machine.yaml');
      const plain = path.join(dir, 'plain.json.validated-config');
      const kept = path.join(dir, 'kept.json.validated-config');
      // validated as apply validates it (to write the copy), and as anything else does
      const { loaded: forWriting } = await new ValidatedCopy(kept, 'build-1').load(file, text, { writing: true });
      const { loaded: other } = await new ValidatedCopy(plain, 'build-1').load(file, text);
      expect(takeExactJson(other.config)).toBeUndefined(); // nothing held for a load that writes no copy
      const probe = (await new ValidatedCopy(kept, 'build-1').load(file, text, { writing: true })).loaded;
      expect(takeExactJson(probe.config)).toBe(JSON.stringify(probe.config)); // held until taken
      expect(takeExactJson(probe.config)).toBeUndefined(); // once
      expect(new ValidatedCopy(kept, 'build-1').write(forWriting, text)).toBe(true);
      expect(new ValidatedCopy(plain, 'build-1').write(other, text)).toBe(true);
      expect(fs.readFileSync(kept, 'utf8')).toBe(fs.readFileSync(plain, 'utf8'));
      expect(takeExactJson(forWriting.config)).toBeUndefined(); // taken by the write
      expect(new ValidatedCopy(kept, 'build-1').read(file, text)).toStrictEqual(other);
    });
  });

  it('is written atomically, readable by root only, and ignored when cut short, of another format or incomplete', async () => {
    await inTempDir(async (dir) => {
      const text = 'machine:\n  network:\n    hostname: a\n';
      const { file, where, loaded, copy } = await copyIn(dir, text);
      expect(copy.write(loaded, text)).toBe(true);
      expect((fs.statSync(where).mode & 0o777).toString(8)).toBe('600');
      expect(fs.readdirSync(dir).sort()).toEqual(['scope.json.validated-config']); // no temporary file left
      const whole = fs.readFileSync(where, 'utf8');
      const data = JSON.parse(whole) as Record<string, unknown>;
      // a small text is in it as it is (no file name: the text counts)
      expect(data['text']).toBe(text);
      expect(data).not.toHaveProperty('sha256');
      expect(data).not.toHaveProperty('file');
      const variants: Array<[string, string]> = [
        ['cut short', whole.slice(0, whole.length - 10)],
        ['empty', ''],
        ['another format', JSON.stringify({ ...data, format: 1 })],
        ['another text', JSON.stringify({ ...data, text: `${text} ` })],
        ['the SHA-256 of this text (only a large text is kept so)', JSON.stringify({ ...data, text: undefined, sha256: sha256(text) })],
        ['no config', JSON.stringify({ ...data, config: undefined })],
        ['config not a mapping', JSON.stringify({ ...data, config: [] })],
        ['no notes', JSON.stringify({ ...data, notes: undefined })],
        ['no documents', JSON.stringify({ ...data, documents: {} })],
        ['hasMachineConfig not a boolean', JSON.stringify({ ...data, hasMachineConfig: 'yes' })],
        ['not an object', '[]'],
      ];
      for (const [what, content] of variants) {
        fs.writeFileSync(where, content);
        expect(copy.read(file, text), what).toBeUndefined();
      }
      // what JSON would not give back as it is: no copy (that config is validated at every start)
      const cycle: Record<string, unknown> = {};
      cycle['self'] = cycle;
      for (const odd of [{ mtu: -0 }, { metric: Number.NaN }, { x: Number.POSITIVE_INFINITY }, { x: undefined }, { at: new Date(0) }, { m: new Map() }, { f: () => 1 }, { b: 1n }, { s: Symbol('s') }, { [Symbol('key')]: 1 }, { list: [1, , 2] }, { list: [undefined] }, { deep: { er: { m: -0 } } }, { cycle }, { list: Object.assign([1], { extra: 2 }) }]) {
        fs.rmSync(where, { force: true });
        const config = { ...loaded.config, machine: { ...loaded.config.machine, network: { ...loaded.config.machine?.network, ...odd } } } as LoadedConfig['config'];
        expect(copy.write({ ...loaded, config }, text), JSON.stringify(Object.keys(odd))).toBe(false);
        expect(fs.existsSync(where)).toBe(false);
      }
      expect(copy.write(loaded, text)).toBe(true);
      // a directory that is not there: no copy, no error
      const gone = new ValidatedCopy(path.join(dir, 'missing', 'scope.json.validated-config'), 'build-1');
      expect(gone.write(loaded, text)).toBe(false);
      expect(fs.readdirSync(dir).sort()).toEqual(['scope.json.validated-config']);
    });
  });
});

describeWithShared('the validated copy of the Talos project configs', () => {
  it('reads back exactly what validation gave, for every valid one', async () => {
    expect(await roundTrips(yamlFiles(sharedPath('talos-configs')))).toBeGreaterThanOrEqual(50);
  });
});
