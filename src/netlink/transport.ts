// Where netlink bytes go: the native socket, or (in tests) an in-process fake kernel.
import path from 'node:path';
import { native, type NativeError } from '../native/index.js';

export type TransportError = Error & { code?: string; errno?: number; sendTag?: number };

export interface Transport {
  readonly portId: number;
  /** Sends one datagram holding one or more messages. Throws on failure. */
  send(data: Uint8Array): void;
  /**
   * Optional: sends from another thread, in order with other queued datagrams;
   * a failure arrives through onData as an error carrying `sendTag`.
   */
  sendQueued?(data: Uint8Array, tag: number): void;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  ref(): void;
  unref(): void;
  close(): void;
  /** Set by the connection: called with received bytes or a receive error. */
  onData: (err: TransportError | null, data?: Buffer) => void;
}

export interface OpenOptions {
  /** Network namespace: a name under /run/netns or an absolute path. */
  netns?: string | undefined;
  /** Receive buffer in bytes (at least 1 MiB is used). */
  receiveBuffer?: number | undefined;
}

/** Resolves a namespace name ("blue") or path ("/proc/1/ns/net") to a path. */
export function netnsPath(netns: string): string {
  if (netns.startsWith('/')) return netns;
  if (netns === '' || netns === '.' || netns === '..' || netns.includes('/')) {
    throw new Error(`invalid network namespace name "${netns}"`);
  }
  return path.join('/run/netns', netns);
}

export class NativeTransport implements Transport {
  onData: (err: TransportError | null, data?: Buffer) => void = () => {};
  private readonly socket;

  constructor(protocol: number, options: OpenOptions = {}) {
    const rcvbuf = Math.max(options.receiveBuffer ?? 0, 1 << 20);
    const nsPath = options.netns !== undefined ? netnsPath(options.netns) : null;
    this.socket = new (native().NetlinkSocket)(protocol, nsPath, rcvbuf, (err: NativeError | null, data?: Buffer) => {
      this.onData(err, data);
    });
  }

  get portId(): number {
    return this.socket.portId;
  }

  get receiveBuffer(): number {
    return this.socket.getReceiveBuffer();
  }

  send(data: Uint8Array): void {
    this.socket.send(data);
  }

  sendQueued(data: Uint8Array, tag: number): void {
    this.socket.sendQueued(data, tag);
  }

  addMembership(group: number): void {
    this.socket.addMembership(group);
  }

  dropMembership(group: number): void {
    this.socket.dropMembership(group);
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }

  close(): void {
    this.socket.close();
  }
}
