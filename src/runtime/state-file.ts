// The state directory: what netcfg applied (the "state" namespace), one JSON
// file per network namespace, written atomically, guarded by a lock file.
import fs from 'node:fs';
import path from 'node:path';
import * as fsa from '../util/fs-async.js';
import type { Resource } from '../resources/resource.js';

export const DEFAULT_STATE_DIR = '/var/lib/netcfg';

export type ConfigGeneration = 'applied' | 'previous' | 'pending' | 'staged';

/** Whether a parsed file is a try marker (a state file, which the old marker name can also be, has `kinds` and no token). */
function isTryMarker(v: unknown): v is TryMarker {
  if (typeof v !== 'object' || v === null || 'kinds' in v) return false;
  const m = v as Partial<Record<keyof TryMarker, unknown>>;
  return typeof m.token === 'string' && typeof m.deadline === 'number';
}

/** An `apply --try` waiting for `netcfg confirm`. */
export interface TryMarker {
  token: string;
  /** Epoch milliseconds after which the tried config is rolled back. */
  deadline: number;
  /** The process that rolls back at the deadline. */
  watcherPid?: number;
  /** How the try was run, so the rollback applies to the same place. */
  netns?: string;
  etcDir?: string;
  sysfsRoot?: string;
  cmdline?: string;
  uts?: string;
}

/**
 * Version 2 stores each kind as a table: fields whose value is the same for
 * every resource once under `constants`, the other field names once, then one
 * row per resource ([id, value…]). 100k routes serialise several times faster
 * (and smaller) than as objects.
 *
 * Version 3 is the same table. It is written since a route netcfg made may be
 * recorded by its spec, without `created` (see SpecAsRouteRecord): a netcfg
 * that reads only version 2 refuses the file instead of taking those routes
 * for someone else's (and leaving them behind when they leave the config).
 * Both are read.
 */
const WRITTEN_VERSION = 3;
const READ_VERSIONS: ReadonlySet<unknown> = new Set([2, 3]);

interface FileFormat {
  version: 2 | 3;
  scope: string;
  updated: string;
  /** The boot it was saved in (/proc/sys/kernel/random/boot_id); files from before it was kept have none. */
  boot?: string;
  /**
   * Set by a netcfg that keeps what lasts in the lasting file (and does not
   * fsync this one): after a reboot, that file is the one to trust. A file
   * without it was written by an older netcfg, which fsynced it.
   */
  lasting?: true;
  kinds: Record<string, { owner: string; constants: Record<string, unknown>; fields: string[]; rows: unknown[][] }>;
}

export interface StoredKind {
  type: string;
  owner: string;
  items: Array<{ id: string; spec: unknown }>;
}

let bootIdCache: string | null | undefined;

/** This boot's ID (a random UUID the kernel makes at every boot); undefined when it cannot be read. */
export function currentBootId(): string | undefined {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache ?? undefined;
}

export class StateLockedError extends Error {
  constructor(file: string, pid: number) {
    super(`another netcfg (pid ${pid}) is working on this namespace (lock ${file})`);
    this.name = 'StateLockedError';
  }
}

export class StateFile {
  readonly file: string;
  private readonly lockFile: string;
  private locked = false;
  /**
   * Set by load(): the file was saved in an earlier boot (its boot ID is not
   * this one). What it records of kernel objects went with that boot.
   */
  savedInEarlierBoot = false;

  /** Set by load(): records of kernel objects of an earlier boot it left out. */
  droppedRecords = 0;
  /** Set by load(): the state file was cut short (a power loss), what lasts came from the lasting file. */
  recovered = false;
  /**
   * What outlives a reboot, fsynced: the kinds not in `oneBoot`. Named so
   * that no scope's state file can have its name (those end in `.json`).
   */
  readonly lastingFile: string;
  /** The kinds of the lasting file as it is on disk (undefined: none yet). */
  private lastingOnDisk: string | undefined;
  /** Kinds whose records go with the boot (records of kernel objects). */
  private readonly oneBoot: ReadonlySet<string>;

  constructor(
    readonly dir: string,
    readonly scope: string,
    options: { oneBoot?: ReadonlySet<string> } = {},
  ) {
    this.file = path.join(dir, `${scope}.json`);
    this.lastingFile = `${this.file}.lasting`;
    this.lockFile = path.join(dir, `${scope}.lock`);
    this.oneBoot = options.oneBoot ?? new Set();
  }

  /** Takes the lock, waiting up to `waitMs` for another netcfg to finish. */
  async lockWait(waitMs: number): Promise<void> {
    const end = Date.now() + waitMs;
    for (;;) {
      try {
        this.lock();
        return;
      } catch (err) {
        if (!(err instanceof StateLockedError) || Date.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Takes the lock (stale locks of dead processes are broken). */
  lock(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(this.lockFile, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        this.locked = true;
        this.removeStaleTemporaries();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number.parseInt(fs.readFileSync(this.lockFile, 'utf8'), 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new StateLockedError(this.lockFile, pid);
        fs.rmSync(this.lockFile, { force: true });
      }
    }
    throw new Error(`cannot take lock ${this.lockFile}`);
  }

  /**
   * A netcfg killed between writing a temporary file and renaming it over the real one (kill -9,
   * power loss) leaves `SCOPE.json.PID.tmp` behind; with the lock held, those of dead processes
   * are removed so that repeated crashes do not fill the state directory.
   */
  private removeStaleTemporaries(): void {
    const prefix = `${this.scope}.`;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const m = /\.(\d+)\.tmp$/.exec(name);
      if (!m) continue;
      const pid = Number.parseInt(m[1]!, 10);
      if (pid === process.pid || alive(pid)) continue;
      fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    fs.rmSync(this.lockFile, { force: true });
  }

  /**
   * What the file holds, as this boot must see it. A file saved in this boot
   * (or before boots were recorded) is taken whole, and the lasting file is
   * brought in line with it (a netcfg killed between the two renames leaves
   * them apart). After a reboot, the records of kernel objects went with the
   * old boot: what lasts comes from the lasting file (fsynced, unlike the state
   * file, see save()), or, in a file an older netcfg wrote (and fsynced), from
   * the state file without those records. A state file cut short by a power
   * loss, or gone, is replaced by the lasting file the same way.
   */
  load(): StoredKind[] {
    this.savedInEarlierBoot = false;
    this.droppedRecords = 0;
    this.recovered = false;
    let lasting: FileFormat | undefined;
    let lastingError: unknown;
    try {
      lasting = this.readLasting();
    } catch (err) {
      lastingError = err;
    }
    let data: FileFormat | undefined;
    try {
      data = readFormat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (lasting === undefined || err instanceof UnsupportedFormatError) throw err;
        this.recovered = true; // cut short: the state file's rename outlived its data
      }
    }
    const boot = currentBootId();
    if (data !== undefined && (typeof data.boot !== 'string' || boot === undefined || data.boot === boot)) {
      if (this.locked) this.alignLasting(data);
      return kindsOf(data, () => true);
    }
    if (lastingError !== undefined) throw lastingError;
    this.savedInEarlierBoot = data !== undefined || lasting !== undefined;
    if (data !== undefined) for (const [type, kind] of Object.entries(data.kinds)) if (this.oneBoot.has(type)) this.droppedRecords += kind.rows.length;
    if (lasting !== undefined && (data === undefined || data.lasting === true)) return kindsOf(lasting, () => true);
    return data === undefined ? [] : kindsOf(data, (type) => !this.oneBoot.has(type));
  }

  /** The lasting file, remembering what it holds (a save rewrites it only when that changes). */
  private readLasting(): FileFormat | undefined {
    this.lastingOnDisk = undefined;
    let data: FileFormat | undefined;
    try {
      data = readFormat(this.lastingFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    this.lastingOnDisk = JSON.stringify(data.kinds);
    return data;
  }

  /** Rewrites the lasting file (fsynced) when it does not hold what this boot's state file holds of what lasts. */
  private alignLasting(data: FileFormat): void {
    const kinds: FileFormat['kinds'] = {};
    for (const [type, kind] of Object.entries(data.kinds)) if (!this.oneBoot.has(type)) kinds[type] = kind;
    const text = JSON.stringify(kinds);
    if (text === this.lastingOnDisk) return;
    const tmp = `${this.lastingFile}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, `${this.head()}${text}}`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.lastingFile);
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
    this.lastingOnDisk = text;
  }

  /** A file's text up to its kinds: `{"version":3,…,"kinds":`. */
  private head(): string {
    const boot = currentBootId();
    const head: Omit<FileFormat, 'kinds'> = { version: WRITTEN_VERSION, scope: this.scope, updated: new Date().toISOString(), ...(boot !== undefined ? { boot } : {}), lasting: true };
    return `${JSON.stringify(head).slice(0, -1)},"kinds":`;
  }

  /**
   * Config history for rollback: `applied` is the config in effect, `previous`
   * the one before it, `pending` one being tried (apply --try) until confirmed;
   * `staged`, a config a one-shot apply is applying (on disk, not in its
   * memory; one left by a killed apply is replaced by the next, never read back
   * by anything else).
   */
  configFile(which: ConfigGeneration): string {
    return path.join(this.dir, `${this.scope}.${which}.yaml`);
  }

  readConfig(which: ConfigGeneration): string | undefined {
    try {
      return fs.readFileSync(this.configFile(which), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  writeConfig(which: ConfigGeneration, text: string | undefined): void {
    const file = this.configFile(which);
    if (text === undefined) {
      fs.rmSync(file, { force: true });
      return;
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  /**
   * The config in effect becomes `previous`, and `text` (or, without it, the
   * staged config) becomes `applied`. `previous` is a copy of the file: the old
   * text is never read into memory (6.7 MB at 100k routes, at the end of an
   * apply, when memory is at its highest). Each file is replaced atomically.
   */
  applyConfig(text?: string): void {
    const applied = this.configFile('applied');
    const previous = this.configFile('previous');
    if (fs.existsSync(applied)) {
      const tmp = `${previous}.${process.pid}.tmp`;
      fs.copyFileSync(applied, tmp);
      fs.renameSync(tmp, previous);
    } else {
      fs.rmSync(previous, { force: true });
    }
    if (text !== undefined) this.writeConfig('applied', text);
    else fs.renameSync(this.configFile('staged'), applied);
  }

  /**
   * The marker of an `apply --try` waiting for confirmation. Named like the
   * lasting file, so that no scope's own files can have its name: it was
   * `SCOPE.try.json`, which is also the state file of a namespace named
   * `<name>.try` (scope `netns-<name>.try`).
   */
  get tryFile(): string {
    return `${this.file}.try`;
  }

  /** What the rollback watcher of a try writes. */
  get tryLogFile(): string {
    return path.join(this.dir, `${this.scope}.try.log`);
  }

  /** The marker's name before (see tryFile). */
  private get legacyTryFile(): string {
    return path.join(this.dir, `${this.scope}.try.json`);
  }

  /** The marker under its old name: taken for one only when it holds one, as a netcfg before the rename left it. */
  private legacyTry(): TryMarker | undefined {
    const file = this.legacyTryFile;
    try {
      // a marker is a few hundred bytes; the state file of a namespace `<name>.try` can be megabytes
      if (fs.statSync(file).size > 4096) return undefined;
      const value = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      return isTryMarker(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  readTry(): TryMarker | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.tryFile, 'utf8')) as TryMarker;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.legacyTry();
      throw err;
    }
  }

  writeTry(marker: TryMarker | undefined): void {
    if (this.legacyTry()) fs.rmSync(this.legacyTryFile, { force: true });
    if (marker === undefined) fs.rmSync(this.tryFile, { force: true });
    else fs.writeFileSync(this.tryFile, JSON.stringify(marker), { mode: 0o600 });
  }

  /**
   * Saves the records, each file replaced atomically (a temporary file renamed
   * over it): a netcfg killed at any point leaves either the old or the new
   * file. The state file is not fsynced: within a boot the page cache is the
   * file, and most of what it holds (records of kernel objects) goes with the
   * boot anyway. What outlives a reboot (files written, DHCP leases) is also
   * in the lasting file, rewritten (and fsynced, with its directory) first,
   * and only when it changes: a power loss costs nothing that lasts, and a
   * state file cut short always has a lasting file beside it. The three saves
   * on the way to a configured network (links, addresses, routes) wait for no
   * disk flush. Without a boot ID, nothing would tell a state file of an
   * earlier boot: then it is fsynced too, as it always was.
   */
  async save(resources: readonly Resource[]): Promise<void> {
    const byType = new Map<string, Resource[]>();
    const lasting = new Map<string, Resource[]>();
    for (const r of resources) {
      const type = r.metadata.type;
      const list = byType.get(type);
      if (list) list.push(r);
      else {
        const created = [r];
        byType.set(type, created);
        if (!this.oneBoot.has(type)) lasting.set(type, created);
      }
    }
    const head = this.head();
    await this.saveLasting(head, lasting);
    const durable = currentBootId() === undefined;
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = await this.openTemporary(tmp);
    // one write in flight while the next piece is made (100k records: ~30 ms less than waiting for each)
    let writing: Promise<void> = Promise.resolve();
    try {
      // written a few thousand rows at a time: 100k routes never exist as rows all at once
      let text = head;
      let separator = '{';
      for (const [type, list] of byType) {
        for (const part of kindParts(type, list)) {
          text += separator + part;
          separator = '';
          if (text.length >= 65536) {
            const piece = text;
            text = '';
            await writing;
            writing = fsa.writeAll(fd, piece);
          }
        }
        separator = ',';
      }
      await writing;
      await fsa.writeAll(fd, `${text}${byType.size === 0 ? '{' : ''}}}`);
      if (durable) await fsa.fsync(fd);
    } finally {
      await writing.catch(() => {}); // failed: thrown above; the file is not renamed into place
      await fsa.close(fd);
    }
    await fsa.rename(tmp, this.file);
    if (durable) await this.syncDir();
  }

  private async saveLasting(head: string, byType: Map<string, Resource[]>): Promise<void> {
    let kinds = '{';
    for (const [type, list] of byType) kinds += (kinds.length > 1 ? ',' : '') + [...kindParts(type, list)].join('');
    kinds += '}';
    if (kinds === this.lastingOnDisk) return;
    const tmp = `${this.lastingFile}.${process.pid}.tmp`;
    const fd = await this.openTemporary(tmp);
    try {
      await fsa.writeAll(fd, `${head}${kinds}}`);
      await fsa.fsync(fd);
    } finally {
      await fsa.close(fd);
    }
    await fsa.rename(tmp, this.lastingFile);
    await this.syncDir();
    this.lastingOnDisk = kinds;
  }

  /** A temporary file to write; the directory is made only when it is not there (lock() made it; removed since). */
  private async openTemporary(file: string): Promise<number> {
    try {
      return await fsa.open(file, 'w', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fsa.mkdir(this.dir, 0o700);
      return fsa.open(file, 'w', 0o600);
    }
  }

  private async syncDir(): Promise<void> {
    const dirFd = await fsa.open(this.dir, 'r');
    try {
      await fsa.fsync(dirFd);
    } finally {
      await fsa.close(dirFd);
    }
  }
}

/** One kind as JSON text (`"type":{"owner":…,"rows":[…]}`, as JSON.stringify writes it), in parts of SAVE_CHUNK rows. */
function* kindParts(type: string, list: readonly Resource[]): Generator<string> {
  const constants: Record<string, unknown> = {};
  const fields = splitFields(list, constants);
  const kindHead: Omit<FileFormat['kinds'][string], 'rows'> = { owner: list[0]!.metadata.owner, constants, fields };
  yield `${JSON.stringify(type)}:${JSON.stringify(kindHead).slice(0, -1)},"rows":[`;
  for (let i = 0; i < list.length; i += SAVE_CHUNK) {
    const rows = JSON.stringify(rowsOf(list, i, Math.min(list.length, i + SAVE_CHUNK), fields));
    yield i === 0 ? rows.slice(1, -1) : `,${rows.slice(1, -1)}`;
  }
  yield ']}';
}

class UnsupportedFormatError extends Error {}

function readFormat(file: string): FileFormat {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<FileFormat>;
  if (!READ_VERSIONS.has(data.version) || typeof data.kinds !== 'object' || data.kinds === null) {
    throw new UnsupportedFormatError(`${file}: unsupported state file format`);
  }
  return data as FileFormat;
}

function kindsOf(data: FileFormat, keep: (type: string) => boolean): StoredKind[] {
  return Object.entries(data.kinds)
    .filter(([type]) => keep(type))
    .map(([type, kind]) => ({ type, owner: kind.owner, items: rowsToItems(kind) }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A kind's rows as resources: the constants, then the row's fields, in that
 * order. Built with plain assignments in one fixed key order (2.5-3x faster
 * than spreading the constants into each of 100k objects), each into a copy of
 * a template with all its keys: an object that starts empty keeps only four
 * fields in itself and the rest in a separate store (an AppliedRoute: 144 B,
 * not 120; a third slower to build). The template comes from JSON.parse, which
 * (as an object literal) lays all of an object's fields out in it.
 */
function rowsToItems(kind: FileFormat['kinds'][string]): StoredKind['items'] {
  const constantKeys = Object.keys(kind.constants);
  const constantValues = constantKeys.map((k) => kind.constants[k]);
  const { fields, rows } = kind;
  // assignment (unlike spreading) would treat this key as the prototype; netcfg's specs never have it
  if (constantKeys.includes('__proto__') || fields.includes('__proto__')) throw new Error('unsupported state file format: a field named __proto__');
  /** Templates by the fields a row has ("1" present, "0" absent, one character per field). */
  const templates = new Map<string, Record<string, unknown>>();
  const templateFor = (row: unknown[]): Record<string, unknown> => {
    let has = '';
    for (let i = 0; i < fields.length; i++) has += row[i + 1] !== null && row[i + 1] !== undefined ? '1' : '0';
    let t = templates.get(has);
    if (!t) {
      const keys = [...constantKeys, ...fields.filter((_, i) => has[i] === '1')];
      templates.set(has, (t = JSON.parse(`{${keys.map((k) => `${JSON.stringify(k)}:null`).join(',')}}`) as Record<string, unknown>));
    }
    return t;
  };
  const items = new Array<StoredKind['items'][number]>(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const row = rows[j]!;
    const spec: Record<string, unknown> = { ...templateFor(row) };
    for (let i = 0; i < constantKeys.length; i++) spec[constantKeys[i]!] = constantValues[i];
    for (let i = 0; i < fields.length; i++) {
      const v = row[i + 1];
      if (v !== null && v !== undefined) spec[fields[i]!] = v;
    }
    items[j] = { id: String(row[0]), spec };
  }
  return items;
}

const VARIES = Symbol('varies');
const UNSEEN = Symbol('unseen');

/** Rows serialised and written at a time. */
const SAVE_CHUNK = 4096;

/** The rows of list[from, to) (see FileFormat): the ID, then each of `fields` (null when absent). */
function rowsOf(list: readonly Resource[], from: number, to: number, fields: readonly string[]): unknown[][] {
  const rows = new Array<unknown[]>(to - from);
  for (let i = from; i < to; i++) {
    const r = list[i]!;
    const spec = r.spec as Record<string, unknown>;
    const row = new Array<unknown>(fields.length + 1);
    row[0] = r.metadata.id;
    for (let j = 0; j < fields.length; j++) row[j + 1] = spec[fields[j]!] ?? null;
    rows[i - from] = row;
  }
  return rows;
}

/** Fills `constants` with the fields every resource has with one value, and returns the others. */
function splitFields(list: readonly Resource[], constants: Record<string, unknown>): string[] {
  // per field (by its slot): how many resources have it, and its one value so far (VARIES: more than one)
  const slots = new Map<string, number>();
  const names: string[] = [];
  const counts: number[] = [];
  const values: unknown[] = [];
  /** Slots in the order their field was first given a value (the order of the file's fields). */
  const firstGiven: number[] = [];
  // a kind's resources mostly have the same fields in the same order: the slot of the field a resource
  // had at each position is looked up by that position first (100k records: 57 -> 25 ms a save)
  const atKeys: string[] = [];
  const atSlots: number[] = [];
  for (const r of list) {
    const spec = r.spec as Record<string, unknown>;
    let i = 0;
    for (const field in spec) {
      let slot = atKeys[i] === field ? atSlots[i]! : -1;
      if (slot < 0) {
        slot = slots.get(field) ?? -1;
        if (slot < 0) {
          slot = names.length;
          slots.set(field, slot);
          names.push(field);
          counts.push(0);
          values.push(UNSEEN);
        }
        atKeys[i] = field;
        atSlots[i] = slot;
      }
      i++;
      const value = spec[field];
      if (value === undefined) continue;
      if (counts[slot] === 0) firstGiven.push(slot);
      counts[slot]! += 1;
      const seen = values[slot];
      if (seen === UNSEEN) values[slot] = typeof value === 'object' && value !== null ? VARIES : value;
      else if (seen !== VARIES && seen !== value) values[slot] = VARIES;
    }
  }
  const fields: string[] = [];
  for (const slot of firstGiven) {
    // a constant must be present in every resource, or it would be added to those without it
    if (values[slot] !== VARIES && counts[slot] === list.length) constants[names[slot]!] = values[slot];
    else fields.push(names[slot]!);
  }
  return fields;
}
