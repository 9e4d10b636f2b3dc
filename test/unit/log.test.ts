// Where logs go, and whether they are pretty: a terminal gets human-readable
// lines, anything else (a file, /dev/null, the journal's socket) JSON lines.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('tells a file or /dev/null from a terminal without loading node:tty (and node:net with it)', () => {
    const log = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/log.js');
    const loadsTty = (file: string) => {
      const script = `const { isTerminal } = await import(${JSON.stringify(log)}); const fs = await import('node:fs');
        const fd = fs.openSync(${JSON.stringify(file)}, 'r+'); const terminal = isTerminal(fd);
        console.log(JSON.stringify({ terminal, tty: process.moduleLoadList.includes('NativeModule tty') }));`;
      return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as { terminal: boolean; tty: boolean };
    };
    expect(loadsTty('/dev/null')).toEqual({ terminal: false, tty: false });
    expect(loadsTty('/dev/zero')).toEqual({ terminal: false, tty: false });
    // a character device that may be a terminal is asked through node:tty
    expect(loadsTty('/dev/ptmx')).toEqual({ terminal: true, tty: true });
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
