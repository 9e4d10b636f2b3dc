// The few asynchronous file operations the state file needs, on node:fs's
// callback API. node:fs/promises would do the same, but loading it loads 12 of
// node's modules (readline's among them), ~2.5 ms measured, and the first
// state save of every apply and daemon start is on the way to the network.
import fs from 'node:fs';
import { promisify } from 'node:util';

export const open = promisify(fs.open);
export const fsync = promisify(fs.fsync);
export const close = promisify(fs.close);
export const rename = promisify(fs.rename);

export function mkdir(dir: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => fs.mkdir(dir, { recursive: true, mode }, (err) => (err ? reject(err) : resolve())));
}

/** Writes all of `text` (UTF-8) at the file's current position. */
export function writeAll(fd: number, text: string): Promise<void> {
  const data = Buffer.from(text, 'utf8');
  return new Promise((resolve, reject) => {
    const next = (offset: number): void => {
      if (offset >= data.length) return resolve();
      fs.write(fd, data, offset, data.length - offset, null, (err, written) => (err ? reject(err) : next(offset + written)));
    };
    next(0);
  });
}
