// The daemon's control socket as a client reads it (a real unix socket in a
// temporary directory): a response of megabytes, written a piece at a time,
// arrives whole on a connection that also watches, its lines never mixed with
// the watch lines, also when the reader stops reading for a while.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ControlServer, LineWriter } from '../../src/daemon/server.js';
import { LineReader, type Handler, type WatchLine } from '../../src/daemon/protocol.js';
import type { Resource } from '../../src/resources/resource.js';
import { silentLogger } from '../../src/log.js';
import { JsonList } from '../../src/util/json-pieces.js';
import { within } from '../helpers/daemon.js';

const resource = (i: number): Resource => ({
  metadata: { namespace: 'network', type: 'RouteStatus', id: `inet4/192.0.2.1/10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32/1024`, version: 1, phase: 'running', owner: 'RouteStatusController', finalizers: [], created: 0, updated: 0 },
  spec: { dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, gateway: '192.0.2.1', priority: 1024 },
});

/** A unix socket's path in a directory of its own, removed after the test. */
function socketFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-control-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'control.sock');
}

async function serve(handler: Handler): Promise<string> {
  const socket = socketFile();
  const server = await ControlServer.listen(socket, handler, silentLogger());
  onTestFinished(() => server.close());
  return socket;
}

/** A client of the control socket, connected (destroyed after the test): what it has read, as text and as lines. */
async function connectTo(socketPath: string): Promise<{ socket: net.Socket; lines: unknown[]; text: () => string; closed: Promise<unknown> }> {
  const socket = net.createConnection(socketPath);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.setEncoding('utf8');
  const lines: unknown[] = [];
  let text = '';
  const reader = new LineReader((v) => lines.push(v));
  socket.on('data', (chunk: string) => {
    text += chunk;
    reader.push(chunk); // throws on a line that is not JSON: two lines mixed
  });
  const closed = new Promise((res) => socket.once('close', res));
  await new Promise((res) => socket.once('connect', res));
  return { socket, lines, text: () => text, closed };
}

describe('the control server', () => {
  it('writes a response of megabytes whole beside watch lines, also to a reader that pauses', async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => resource(i));
    let send: ((line: WatchLine) => void) | undefined;
    const socketPath = await serve({
      request: async (req) => (req.op === 'get' ? big : { pid: 1 }),
      watch: (_req, s) => {
        send = s;
        s({ event: 'bootstrapped' });
        return () => {};
      },
    });

    const { socket: client, lines, text } = await connectTo(socketPath);
    client.write(`${JSON.stringify({ op: 'watch', namespaces: ['network'], type: 'RouteStatus' })}\n`);
    await within(5000, () => send !== undefined, 'the watch');
    // the reader stops; the response and watch lines queue behind what the socket holds
    client.pause();
    client.write(`${JSON.stringify({ op: 'get', namespaces: ['network'], type: 'RouteStatus' })}\n`);
    for (let i = 0; i < 50; i++) {
      send!({ event: 'created', resource: resource(i) });
      await new Promise((res) => setImmediate(res));
    }
    await new Promise((res) => setTimeout(res, 300));
    const heldBack = text().length;
    client.resume();
    client.write(`${JSON.stringify({ op: 'ping' })}\n`);
    await within(10_000, () => lines.length >= 53, '53 lines');

    const expected = JSON.stringify(big).length;
    expect(expected).toBeGreaterThan(8_000_000);
    expect(heldBack).toBeLessThan(expected / 4);
    // one line per value: bootstrapped, the response, the watch lines in order, then the ping's answer (or the
    // watch lines and the response in the order they were sent)
    const response = lines.find((l) => (l as { ok?: boolean }).ok === true && Array.isArray((l as { result: unknown }).result)) as { result: Resource[] };
    expect(response.result).toEqual(big);
    const watched = lines.filter((l) => (l as WatchLine).event === 'created') as Array<{ resource: Resource }>;
    expect(watched.map((w) => w.resource.metadata.id)).toEqual(Array.from({ length: 50 }, (_, i) => resource(i).metadata.id));
    expect(lines[0]).toEqual({ event: 'bootstrapped' });
    expect(lines[lines.length - 1]).toEqual({ ok: true, result: { pid: 1 } });
    expect(lines.length).toBe(53);
  });
});

describe('the control server, listing many resources', () => {
  it('makes a get answer and a watch’s first lines as it writes them, and sends them whole and in order', async () => {
    const count = 30_000;
    let made = 0;
    const plainOf = (i: number) => (made++, resource(i));
    const indexes = Array.from({ length: count }, (_, i) => i);
    const socketPath = await serve({
      request: async () => new JsonList(indexes, plainOf),
      watch: (_req, send, sendEach) => {
        sendEach(
          (function* (): Generator<WatchLine> {
            for (const i of indexes) yield { event: 'created', resource: plainOf(i) };
          })(),
        );
        send({ event: 'bootstrapped' });
        return () => {};
      },
    });
    const { socket: client, lines } = await connectTo(socketPath);
    client.pause();
    client.write(`${JSON.stringify({ op: 'get', namespaces: ['network'], type: 'RouteStatus' })}\n${JSON.stringify({ op: 'watch', namespaces: ['network'], type: 'RouteStatus' })}\n`);
    await new Promise((res) => setTimeout(res, 300));
    // nobody reads: a few pieces are made, not the 60k resources
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(count / 2);
    client.resume();
    await within(20_000, () => lines.length >= count + 2, 'the answer and the watch');
    expect(made).toBe(2 * count);
    // the watch began first (its handler runs at once, the get's answer a moment later): its lines, then the answer
    const answer = lines[count + 1] as { ok: boolean; result: Resource[] };
    const watched = lines.slice(0, count + 1) as WatchLine[];
    expect(answer.ok).toBe(true);
    expect(answer.result.map((r) => r.metadata.id)).toEqual(indexes.map((i) => resource(i).metadata.id));
    expect(watched.length).toBe(count + 1);
    expect(watched[count]).toEqual({ event: 'bootstrapped' });
    expect(watched.slice(0, count).map((l) => (l as { resource: Resource }).resource.metadata.id)).toEqual(indexes.map((i) => resource(i).metadata.id));
  });
});

describe('the control server, given a line that is not JSON', () => {
  it('answers what came before it, then says why and closes the connection', async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => resource(i));
    const socketPath = await serve({
      request: async () => big,
      watch: () => () => {},
    });
    const { socket: client, text, closed } = await connectTo(socketPath);
    client.write(`${JSON.stringify({ op: 'get', namespaces: ['network'], type: 'RouteStatus' })}\n{"op": get}\n`);
    await closed;
    const lines = text().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ ok: true, result: big });
    expect(JSON.parse(lines[1]!)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^bad request: /), exitCode: 2 } });
  });
});

describe('a control connection’s line writer', () => {
  it('holds back a long line while the reader does not read: the socket buffers a piece of it, not all of it', async () => {
    const socketPath = socketFile();
    const accepted = new Promise<net.Socket>((res) => {
      const server = net.createServer(res);
      server.listen(socketPath);
      onTestFinished(() => {
        server.close();
      });
    });
    const client = net.createConnection(socketPath);
    onTestFinished(() => {
      client.destroy();
    });
    const serverSide = await accepted;
    serverSide.on('error', () => {}); // the client goes first at the end
    onTestFinished(() => {
      serverSide.destroy();
    });
    client.pause();
    const big = Array.from({ length: 60_000 }, (_, i) => resource(i));
    const writer = new LineWriter(serverSide, silentLogger());
    writer.send({ ok: true, result: big });
    writer.send({ ok: true, result: 'after' });
    let most = 0;
    for (let i = 0; i < 30; i++) {
      most = Math.max(most, serverSide.writableLength);
      await new Promise((res) => setTimeout(res, 10));
    }
    // a piece (64 KiB and a slice of the array) at most, not the line's megabytes
    const line = JSON.stringify({ ok: true, result: big }).length;
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThan(line / 20);
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (text += chunk));
    client.resume();
    await within(10_000, () => text.endsWith('"after"}\n'), 'both lines');
    expect(text).toBe(`${JSON.stringify({ ok: true, result: big })}\n${JSON.stringify({ ok: true, result: 'after' })}\n`);
  });
});
