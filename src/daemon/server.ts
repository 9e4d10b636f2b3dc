// The daemon's control socket: a unix socket created with mode 0600 (only root
// can connect), one JSON request per line.
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from '../log.js';
import { jsonPieces } from '../util/json-pieces.js';
import { LineReader, RequestFailure, type Handler, type Request, type Response, type WatchLine } from './protocol.js';

export class ControlServer {
  private readonly connections = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly path: string,
  ) {}

  /** Listens at `path` (a stale socket file there is replaced; the caller holds the state lock). */
  static async listen(path: string, handler: Handler, log: Logger): Promise<ControlServer> {
    fs.rmSync(path, { force: true });
    const server = net.createServer();
    const control = new ControlServer(server, path);
    server.on('connection', (socket) => control.serve(socket, handler, log));
    // the socket file is created with the umask's mode: 0600 from the start, no window
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    fs.chmodSync(path, 0o600);
    return control;
  }

  private serve(socket: net.Socket, handler: Handler, log: Logger): void {
    this.connections.add(socket);
    socket.setEncoding('utf8');
    let stopWatch: (() => void) | undefined;
    const lines = new LineWriter(socket, log);
    const write = (value: Response | WatchLine) => lines.send(value);
    const reader = new LineReader((value) => {
      const req = value as Request;
      if (req.op === 'watch') {
        stopWatch?.();
        stopWatch = handler.watch(req, write, (all) => lines.sendEach(all));
        return;
      }
      const answered = handler.request(req).then(
        (result) => write({ ok: true, result }),
        (err: unknown) => {
          if (err instanceof RequestFailure) {
            write({ ok: false, error: { message: err.message, exitCode: err.exitCode, ...(err.issues ? { issues: err.issues } : {}) } });
          } else {
            log.error({ err, op: req.op }, 'control request failed');
            write({ ok: false, error: { message: err instanceof Error ? err.message : String(err), exitCode: 1 } });
          }
        },
      );
      unanswered.add(answered);
      void answered.then(() => unanswered.delete(answered));
    });
    /** Requests whose answer is not queued yet. */
    const unanswered = new Set<Promise<void>>();
    let refused = false;
    socket.on('data', (chunk: string) => {
      if (refused) return;
      try {
        reader.push(chunk);
      } catch (err) {
        // the requests before the bad line are answered, then the connection says why it ends, and ends
        refused = true;
        stopWatch?.();
        stopWatch = undefined;
        const reply: Response = { ok: false, error: { message: `bad request: ${(err as Error).message}`, exitCode: 2 } };
        void Promise.all(unanswered).then(() => {
          write(reply);
          lines.end();
        });
      }
    });
    const done = () => {
      stopWatch?.();
      stopWatch = undefined;
      this.connections.delete(socket);
    };
    socket.on('close', done);
    socket.on('error', done);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.path, { force: true });
  }
}

/** Characters of a line written to the socket at a time. */
const WRITE_CHARS = 64 * 1024;

/**
 * A connection's lines, one after another (a response and watch lines never
 * mix), each written a piece at a time as the socket takes them: a 100k-change
 * report is never one string here, and a reader that is slow to take it holds
 * it back (no more than a piece waits in the socket's buffer; the report
 * itself stays until its line is written).
 */
export class LineWriter {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: net.Socket,
    private readonly log: Logger,
  ) {}

  /** Ends the connection once the lines sent before are written. */
  end(): void {
    this.tail = this.tail.then(() => {
      this.socket.end();
    });
  }

  send(value: Response | WatchLine): void {
    this.sendEach([value]);
  }

  /** Lines made one at a time, each once the one before is written. */
  sendEach(values: Iterable<Response | WatchLine>): void {
    this.tail = this.tail.then(async () => {
      try {
        for (const value of values) {
          if (this.socket.destroyed || this.socket.writableEnded) return;
          await this.write(value);
        }
      } catch (err) {
        // a line that could not be made (a value JSON cannot hold, a resource that could not be copied):
        // it may be half written, so the connection ends
        this.log.error({ err }, 'control response could not be written');
        this.socket.destroy();
      }
    });
  }

  private async write(value: Response | WatchLine): Promise<void> {
    let text = '';
    for (const piece of jsonPieces(value)) {
      text += piece;
      if (text.length >= WRITE_CHARS) {
        if (!(await this.put(text))) return;
        text = '';
      }
    }
    await this.put(`${text}\n`);
  }

  /** Writes `text`, waiting until the socket drains when its buffer is full; false once the socket is gone. */
  private async put(text: string): Promise<boolean> {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return false;
    if (socket.write(text)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
    return !socket.destroyed && !socket.writableEnded;
  }
}
