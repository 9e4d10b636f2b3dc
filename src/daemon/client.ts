// Talking to a running daemon: `connect` finds it (or reports that none runs),
// `call` sends one request and waits for its answer, `watch` streams lines.
import net from 'node:net';
import { LineReader, type Request, type RequestError, type Response, type WatchLine } from './protocol.js';

export class DaemonError extends Error {
  constructor(readonly error: RequestError) {
    super(error.message);
  }
}

/** A connection to the daemon at `path`, or undefined when no daemon listens there. */
export async function connect(path: string): Promise<net.Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // no socket file, or a stale one nobody listens on: no daemon
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') resolve(undefined);
      else reject(err);
    });
  });
}

/** Sends one request; resolves with the result, rejects with DaemonError. */
export function call<T>(socket: net.Socket, req: Exclude<Request, { op: 'watch' }>): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.setEncoding('utf8');
    const reader = new LineReader((value) => {
      const res = value as Response;
      cleanup();
      if (res.ok) resolve(res.result as T);
      else reject(new DaemonError(res.error));
    });
    const onData = (chunk: string) => reader.push(chunk);
    const onClose = () => {
      cleanup();
      reject(new Error('the daemon closed the connection'));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(`${JSON.stringify(req)}\n`);
  });
}

/** Streams a watch until the socket closes; resolves then. */
export function watch(socket: net.Socket, req: Extract<Request, { op: 'watch' }>, onLine: (line: WatchLine) => void): Promise<void> {
  return new Promise((resolve) => {
    socket.setEncoding('utf8');
    const reader = new LineReader((value) => onLine(value as WatchLine));
    socket.on('data', (chunk: string) => reader.push(chunk));
    socket.on('close', () => resolve());
    socket.write(`${JSON.stringify(req)}\n`);
  });
}
