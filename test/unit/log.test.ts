// Where logs go, and whether they are pretty: a terminal gets human-readable
// lines, anything else (a file, /dev/null, the journal's socket) JSON lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, isTerminal } from '../../src/log.js';

describe('isTerminal', () => {
  it('is true for a terminal only: not for a file, /dev/null (a character device too) or a closed descriptor', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-log-'));
    const file = fs.openSync(path.join(dir, 'log'), 'w');
    const devNull = fs.openSync('/dev/null', 'w');
    const pty = fs.openSync('/dev/ptmx', 'r+');
    try {
      expect(isTerminal(file)).toBe(false);
      expect(isTerminal(devNull)).toBe(false);
      expect(isTerminal(pty)).toBe(true);
    } finally {
      for (const fd of [file, devNull, pty]) fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(isTerminal(file)).toBe(false);
  });

  it('a logger on a file writes JSON lines to that file (by default: it is no terminal)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-log-'));
    const name = path.join(dir, 'log');
    const fd = fs.openSync(name, 'w');
    try {
      createLogger('info', fd).info({ link: 'eth0' }, 'kernel change');
    } finally {
      fs.closeSync(fd);
    }
    const [line] = fs.readFileSync(name, 'utf8').trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({ level: 30, link: 'eth0', msg: 'kernel change' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
