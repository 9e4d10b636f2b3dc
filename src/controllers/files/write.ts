// Writing configuration files: atomically (temporary file, fsync, rename), or
// in place (same inode) where bind mounts of the file must see the change. A
// file that is itself a bind mount (as `ip netns exec` makes /etc/resolv.conf)
// cannot be renamed over; it is rewritten in place too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function digest(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** The outermost directory of `dir`'s path that does not exist yet (undefined: it exists). */
export function firstMissingDir(dir: string): string | undefined {
  let missing: string | undefined;
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing = d;
  return missing;
}

/** Creates a directory (mode 0755) and its missing parents. */
export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/**
 * Rewrites an existing file in place: its inode stays, so every bind mount of
 * it (`ip netns exec` bind-mounts /etc/netns/NAME/resolv.conf over
 * /etc/resolv.conf for each process it starts) shows the new content. Not
 * atomic: the new bytes go over the old ones, then the file is cut to length,
 * so a reader can see a mix for that moment (glibc re-reads resolv.conf when
 * its mtime changes, which happens again at the truncate).
 */
export function writeInPlace(file: string, content: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW);
  try {
    const bytes = Buffer.from(content);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off, off);
    fs.ftruncateSync(fd, bytes.length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a file in place when asked and it exists, else atomically. */
export function writeFile(file: string, content: string, options: { inPlace: boolean }): void {
  if (options.inPlace && fs.existsSync(file)) writeInPlace(file, content);
  else writeAtomic(file, content);
}

export function writeAtomic(file: string, content: string, mode = 0o644): void {
  ensureDir(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.netcfg-${process.pid}`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, content);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EBUSY' && code !== 'EXDEV') throw err;
    writeInPlace(file, content);
  }
}

/** Removes a directory netcfg created, if it is empty now. */
export function removeEmptyDir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
