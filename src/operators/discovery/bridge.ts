// @grpc/grpc-js opens its own TCP connections and offers no hook for a socket
// made elsewhere; the discovery client needs one (created in another network
// namespace, tunnelled through a proxy). So each client gives grpc-js a private
// unix socket (in a 0700 directory under the state directory) and splices every
// connection grpc-js makes there onto a connection from `dial`. grpc-js still
// does TLS and HTTP/2 end to end with the discovery service.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export class Bridge {
  /** The last dial failure (grpc-js only sees the unix socket close). */
  lastError: Error | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly path: string,
    private readonly server: net.Server,
  ) {}

  static async open(dir: string, name: string, dial: () => Promise<net.Socket>): Promise<Bridge> {
    // a unix socket path has at most 107 bytes: a deep state directory falls back to a private temporary one
    if (Buffer.byteLength(path.join(dir, `${name}.sock`)) > 100) dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netcfg-discovery-'));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, `${name}.sock`);
    fs.rmSync(file, { force: true });
    let bridge: Bridge | undefined;
    const server = net.createServer({ pauseOnConnect: true }, (local) => {
      const b = bridge!;
      b.track(local);
      local.on('error', () => local.destroy());
      dial().then(
        (remote) => {
          b.lastError = undefined;
          b.track(remote);
          if (local.destroyed) {
            remote.destroy();
            return;
          }
          remote.on('error', () => remote.destroy());
          remote.on('close', () => local.destroy());
          local.on('close', () => remote.destroy());
          local.pipe(remote);
          remote.pipe(local);
          local.resume();
          remote.resume();
        },
        (err: Error) => {
          b.lastError = err;
          local.destroy();
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
    bridge = new Bridge(file, server);
    return bridge;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
    fs.rmSync(this.path, { force: true });
    if (path.basename(path.dirname(this.path)).startsWith('netcfg-discovery-')) fs.rmSync(path.dirname(this.path), { recursive: true, force: true });
  }
}
