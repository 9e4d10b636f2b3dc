// The control socket's line framing: one JSON value per line, however the
// socket splits the bytes into reads.
import { describe, expect, it } from 'vitest';
import { LineReader } from '../../src/daemon/protocol.js';

function readAll(chunks: string[]): unknown[] {
  const values: unknown[] = [];
  const reader = new LineReader((v) => values.push(v));
  for (const c of chunks) reader.push(c);
  return values;
}

describe('LineReader', () => {
  const text = `${JSON.stringify({ op: 'ping' })}\n\n${JSON.stringify({ op: 'get', namespaces: ['network'], type: 'RouteStatus' })}\n  \n${JSON.stringify({ a: 'x\ny' })}\n`;
  const expected = [{ op: 'ping' }, { op: 'get', namespaces: ['network'], type: 'RouteStatus' }, { a: 'x\ny' }];

  it('gives each line once, skipping blank ones, whatever the chunk boundaries', () => {
    expect(readAll([text])).toEqual(expected);
    for (let cut = 0; cut <= text.length; cut++) expect(readAll([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    expect(readAll([...text])).toEqual(expected);
  });

  it('holds a line without its newline until the newline comes', () => {
    const values: unknown[] = [];
    const reader = new LineReader((v) => values.push(v));
    reader.push('{"op":"pi');
    reader.push('ng"}');
    expect(values).toEqual([]);
    reader.push('\n{"op"');
    expect(values).toEqual([{ op: 'ping' }]);
  });

  it('assembles a request of megabytes from socket-sized reads', () => {
    const config = Array.from({ length: 60_000 }, (_, i) => `          - network: 10.${i >> 8}.${i & 255}.1/32\n            gateway: 192.0.2.1\n`).join('');
    const line = `${JSON.stringify({ op: 'apply', file: 'big.yaml', text: config, dryRun: false })}\n`;
    expect(line.length).toBeGreaterThan(4_000_000);
    const chunks: string[] = [];
    for (let i = 0; i < line.length; i += 65_536) chunks.push(line.slice(i, i + 65_536));
    const [value] = readAll(chunks) as Array<{ text: string }>;
    expect(value?.text).toBe(config);
  });
});
