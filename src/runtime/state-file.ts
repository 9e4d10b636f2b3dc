// The state directory: what netcfg applied (the "state" namespace), one JSON
// file per network namespace, written atomically, guarded by a lock file.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Resource } from '../resources/resource.js';

export const DEFAULT_STATE_DIR = '/var/lib/netcfg';

/**
 * Version 2 stores each kind as a table: the field names once, then one row per
 * resource ([id, value…]); 100k routes serialise several times faster than as objects.
 */
interface FileFormat {
  version: 2;
  scope: string;
  updated: string;
  kinds: Record<string, { owner: string; fields: string[]; rows: unknown[][] }>;
}

export interface StoredKind {
  type: string;
  owner: string;
  items: Array<{ id: string; spec: unknown }>;
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

  constructor(
    readonly dir: string,
    readonly scope: string,
  ) {
    this.file = path.join(dir, `${scope}.json`);
    this.lockFile = path.join(dir, `${scope}.lock`);
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

  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    fs.rmSync(this.lockFile, { force: true });
  }

  load(): StoredKind[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const data = JSON.parse(text) as Partial<FileFormat>;
    if (data.version !== 2 || typeof data.kinds !== 'object' || data.kinds === null) {
      throw new Error(`${this.file}: unsupported state file format`);
    }
    return Object.entries(data.kinds).map(([type, kind]) => ({
      type,
      owner: kind.owner,
      items: kind.rows.map((row) => {
        const spec: Record<string, unknown> = {};
        for (let i = 0; i < kind.fields.length; i++) {
          const v = row[i + 1];
          if (v !== null && v !== undefined) spec[kind.fields[i]!] = v;
        }
        return { id: String(row[0]), spec };
      }),
    }));
  }

  async save(resources: readonly Resource[]): Promise<void> {
    const kinds: FileFormat['kinds'] = {};
    const columns = new Map<string, Map<string, number>>();
    for (const r of resources) {
      const k = (kinds[r.metadata.type] ??= { owner: r.metadata.owner, fields: [], rows: [] });
      let index = columns.get(r.metadata.type);
      if (!index) {
        index = new Map();
        columns.set(r.metadata.type, index);
      }
      const row: unknown[] = [r.metadata.id];
      for (const [field, value] of Object.entries(r.spec as Record<string, unknown>)) {
        if (value === undefined) continue;
        let i = index.get(field);
        if (i === undefined) {
          i = k.fields.length;
          k.fields.push(field);
          index.set(field, i);
        }
        row[i + 1] = value;
      }
      for (let i = 1; i < row.length; i++) if (row[i] === undefined) row[i] = null;
      k.rows.push(row);
    }
    const data: FileFormat = { version: 2, scope: this.scope, updated: new Date().toISOString(), kinds };
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await fsp.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(data));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, this.file);
    const dirHandle = await fsp.open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
