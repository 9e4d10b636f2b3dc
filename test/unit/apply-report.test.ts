import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runApply } from '../../src/cli/apply.js';
import { printJson, printReport } from '../../src/cli/report.js';
import type { ApplyReport } from '../../src/report.js';
import type { Change } from '../../src/runtime/changes.js';

/** A change as a bulk pass records it: a class whose plain form comes from toJSON(). */
class RecordedChange implements Change {
  readonly kind = 'route' as const;
  readonly action = 'add' as const;
  constructor(readonly id: string) {}
  get detail(): string {
    return `route ${this.id} via 192.0.2.1 "quoted" → ünïcode\\ metric 1024`;
  }
  toJSON(): Change {
    return { action: this.action, kind: this.kind, id: this.id, detail: this.detail };
  }
}

function report(n: number): ApplyReport {
  const changes: Change[] = [{ action: 'change', kind: 'link', id: 'eth0', detail: 'down → up' }];
  for (let i = 1; i < n; i++) changes.push(new RecordedChange(`10.${i >> 8}.${i & 255}.1/32`));
  return {
    dryRun: false,
    changes: changes.slice(0, n),
    pending: ['route 10.9.9.0/24: link eth9 is not present'],
    errors: n > 2 ? ['add route 10.0.0.1/32: EEXIST'] : [],
    summary: { added: Math.max(0, n - 1), changed: n > 0 ? 1 : 0, removed: 0, netlinkWrites: n },
    notes: ['a note for humans'],
    configNotes: [],
  };
}

describe('the JSON apply report', () => {
  it('prints exactly what JSON.stringify(report, null, 2) gives, piece by piece, for any number of changes', () => {
    for (const n of [0, 1, 2, 999, 1000, 1001, 2500]) {
      const r = report(n);
      const { notes: _, configNotes: __, ...rest } = r;
      const pieces: string[] = [];
      printJson(rest, (s) => pieces.push(s));
      expect(`${pieces.join('\n')}\n`).toBe(`${JSON.stringify(rest, null, 2)}\n`);
      expect(JSON.parse(pieces.join('\n')).changes).toHaveLength(n);
      // big reports come in pieces of at most a thousand changes
      if (n > 1000) expect(pieces.length).toBe(2 + Math.ceil(n / 1000));
    }
  });

  it('apply -o json prints the report without notes, then the notes; the exit code says whether there were errors', () => {
    const lines: string[] = [];
    const code = printReport(report(3), { format: 'json', print: (s) => lines.push(s), warn: () => {} });
    expect(code).not.toBe(0);
    expect(lines.at(-1)).toBe('a note for humans');
    const json = JSON.parse(lines.slice(0, -1).join('\n'));
    expect(Object.keys(json)).toEqual(['dryRun', 'changes', 'pending', 'errors', 'summary']);
    expect(json.changes[2]).toEqual({ action: 'add', kind: 'route', id: '10.0.2.1/32', detail: 'route 10.0.2.1/32 via 192.0.2.1 "quoted" → ünïcode\\ metric 1024' });
  });
});

describe('a text report of changes the daemon did not list', () => {
  it('counts every change not printed: those left out of the list and those the list holds beyond a thousand', () => {
    const printed = (r: ApplyReport) => {
      const lines: string[] = [];
      printReport(r, { format: 'text', print: (l) => lines.push(l), warn: () => {} });
      return [lines.filter((l) => l.startsWith('+ ') || l.startsWith('~ ')).length, lines.find((l) => l.startsWith('…'))];
    };
    const listed = (n: number, omitted: number): ApplyReport => ({ ...report(n), errors: [], omittedChanges: omitted });
    expect(printed(listed(10, 490))).toEqual([10, '… and 490 more changes (use -o json to see all)']);
    expect(printed(listed(1000, 2000))).toEqual([1000, '… and 2000 more changes (use -o json to see all)']);
    expect(printed(listed(1500, 0))).toEqual([1000, '… and 500 more changes (use -o json to see all)']);
    expect(printed(listed(0, 7))).toEqual([0, '… and 7 more changes (use -o json to see all)']);
    expect(printed(listed(5, 0))).toEqual([5, undefined]);
  });
});

describe('netcfg apply handed to a running daemon', () => {
  /** What apply asks a daemon listening at the namespace's socket (a stand-in that answers with an empty report). */
  async function requestOf(output: string | undefined): Promise<Record<string, unknown>> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-apply-req-'));
    const requests: Array<Record<string, unknown>> = [];
    const server = net.createServer((socket) => {
      socket.setEncoding('utf8');
      let buffered = '';
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        if (!buffered.includes('\n')) return;
        requests.push(JSON.parse(buffered.slice(0, buffered.indexOf('\n'))) as Record<string, unknown>);
        const result: ApplyReport = { dryRun: false, changes: [], pending: [], errors: [], summary: { added: 0, changed: 0, removed: 0, netlinkWrites: 0 } };
        socket.end(`${JSON.stringify({ ok: true, result })}\n`);
      });
    });
    try {
      await new Promise<void>((resolve) => server.listen(path.join(dir, 'netns-x.sock'), resolve));
      const file = path.join(dir, 'c.yaml');
      fs.writeFileSync(file, 'machine:\n  network:\n    hostname: a\n');
      const code = await runApply({ file, dryRun: false, output, logLevel: undefined, netns: 'x', stateDir: dir }, () => {}, () => {});
      expect(code).toBe(0);
      expect(requests).toHaveLength(1);
      return requests[0]!;
    } finally {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('asks for the thousand changes a text report prints, and for every change with -o json', async () => {
    expect(await requestOf(undefined)).toMatchObject({ op: 'apply', changesLimit: 1000 });
    expect(await requestOf('json')).not.toHaveProperty('changesLimit');
  });
});
