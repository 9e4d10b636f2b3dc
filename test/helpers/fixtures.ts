// Netlink bytes recorded from a real kernel by scripts/record-fixtures.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

export function fixture(name: string): Buffer {
  return Buffer.from(fs.readFileSync(path.join(dir, `${name}.hex`), 'utf8').replace(/\s+/g, ''), 'hex');
}
