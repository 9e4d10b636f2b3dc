// Typed view of the native addon (native/*.cc). The addon only opens sockets and
// makes system calls; every protocol lives in TypeScript.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** An Error thrown by the addon: Node's system-error shape. */
export interface NativeError extends Error {
  errno: number;
  code: string;
  syscall: string;
  /** For a failed sendQueued: the tag it was given. */
  sendTag?: number;
}

export type DataCallback = (err: NativeError | null, data?: Buffer) => void;

export interface NativeNetlinkSocket {
  readonly portId: number;
  readonly protocol: number;
  /** Sends one datagram (one or more netlink messages) to the kernel. */
  send(data: Uint8Array): number;
  /**
   * Queues a datagram for the socket's sender thread (sent in order, without
   * blocking the event loop). A failure reaches onData as an error with sendTag.
   */
  sendQueued(data: Uint8Array, tag: number): void;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  getReceiveBuffer(): number;
  close(): void;
  ref(): void;
  unref(): void;
}

interface NativeModule {
  NetlinkSocket: new (protocol: number, netnsPath: string | null, rcvbuf: number, onData: DataCallback) => NativeNetlinkSocket;
  /** sethostname(2) in the process's UTS namespace. */
  sethostname(name: string): void;
  /** setdomainname(2) in the process's UTS namespace. */
  setdomainname(name: string): void;
  /** Both names inside the UTS namespace at `utsPath` (e.g. /proc/PID/ns/uts). */
  setNamesIn(utsPath: string, hostname: string, domainname: string): void;
  /** [hostname, domainname] inside the UTS namespace at `utsPath`. */
  namesIn(utsPath: string): [string, string];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function load(): NativeModule {
  const candidates = [
    path.resolve(here, '../../build/Release/netcfg_native.node'),
    path.resolve(here, '../../build/Debug/netcfg_native.node'),
  ];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      return require(candidate) as NativeModule;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`netcfg native addon not found (run "npm install" or "npx node-gyp rebuild"): ${String(lastError)}`);
}

let cached: NativeModule | undefined;

export function native(): NativeModule {
  cached ??= load();
  return cached;
}

export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && typeof (err as Partial<NativeError>).errno === 'number' && typeof (err as Partial<NativeError>).code === 'string';
}
