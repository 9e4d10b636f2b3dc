// The state directory: what netcfg applied (the "state" namespace), one JSON
// file per network namespace, written atomically, guarded by a lock file.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Resource } from '../resources/resource.js';

export const DEFAULT_STATE_DIR = '/var/lib/netcfg';

interface FileFormat {
  version: 1;
  scope: string;
  updated: string;
  kinds: Record<string, { owner: string; items: Record<string, unknown> }>;
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
    if (data.version !== 1 || typeof data.kinds !== 'object' || data.kinds === null) {
      throw new Error(`${this.file}: unsupported state file format`);
    }
    return Object.entries(data.kinds).map(([type, kind]) => ({
      type,
      owner: kind.owner,
      items: Object.entries(kind.items).map(([id, spec]) => ({ id, spec })),
    }));
  }

  async save(resources: readonly Resource[]): Promise<void> {
    const kinds: FileFormat['kinds'] = {};
    for (const r of resources) {
      const k = (kinds[r.metadata.type] ??= { owner: r.metadata.owner, items: {} });
      k.items[r.metadata.id] = r.spec;
    }
    const data: FileFormat = { version: 1, scope: this.scope, updated: new Date().toISOString(), kinds };
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
