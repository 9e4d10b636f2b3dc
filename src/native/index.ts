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

/** Where a datagram came from: a packet socket's link-layer view, or a UDP peer. */
export interface PacketSource {
  ifindex: number;
  /** EtherType. */
  protocol: number;
  /** PACKET_HOST 0, PACKET_BROADCAST 1, PACKET_MULTICAST 2, PACKET_OTHERHOST 3, PACKET_OUTGOING 4. */
  packetType: number;
  /** Sender MAC. */
  address: string;
  /** The checksum was left for offload (a local veth peer): it cannot be verified. */
  checksumNotReady: boolean;
}

export interface UdpSource {
  address: string;
  port: number;
}

export type DatagramOptions =
  | { kind: 'packet'; netns?: string; ifindex: number; protocol: number }
  | { kind: 'udp4' | 'udp6'; netns?: string; ifindex?: number; device?: string; address?: string; port?: number; broadcast?: boolean };

export interface NativeDatagramSocket {
  /** UDP: the bound port. */
  readonly port: number;
  /** packet: to = { address: MAC, protocol? }; udp: to = { address, port }. Returns bytes sent. */
  send(data: Uint8Array, to: { address: string; port?: number; protocol?: number }): number;
  /** A classic BPF program (struct sock_filter, 8 bytes each). */
  attachFilter(program: Uint8Array): void;
  close(): void;
}

interface NativeModule {
  DatagramSocket: new (options: DatagramOptions, onMessage: (err: NativeError | null, data?: Buffer, from?: PacketSource | UdpSource) => void) => NativeDatagramSocket;
  /** ETHTOOL_GPERMADDR: the permanent MAC, "" when the driver reports none. */
  ethtoolPermanentAddress(netnsPath: string | null, name: string): string;
  /** ETHTOOL_GDRVINFO. */
  ethtoolDriverInfo(netnsPath: string | null, name: string): { driver: string; version: string; firmwareVersion: string; busInfo: string };
  /** ETHTOOL_GLINKSETTINGS: speed in Mb/s (-1: unknown), DUPLEX_*, PORT_*. */
  ethtoolLinkSettings(netnsPath: string | null, name: string): { speed: number; duplex: number; port: number };
  NetlinkSocket: new (protocol: number, netnsPath: string | null, rcvbuf: number, onData: DataCallback) => NativeNetlinkSocket;
  /** sethostname(2) in the process's UTS namespace. */
  sethostname(name: string): void;
  /** setdomainname(2) in the process's UTS namespace. */
  setdomainname(name: string): void;
  /** Both names inside the UTS namespace at `utsPath` (e.g. /proc/PID/ns/uts). */
  setNamesIn(utsPath: string, hostname: string, domainname: string): void;
  /** [hostname, domainname] inside the UTS namespace at `utsPath`. */
  namesIn(utsPath: string): [string, string];
  /** A new unconnected, non-blocking TCP socket (its fd) that belongs to the network namespace at `netnsPath`. */
  tcpSocketIn(netnsPath: string, family: 4 | 6): number;
  /** A non-blocking TCP socket (its fd) in the namespace at `netnsPath`, bound to address:port and listening. */
  tcpListenerIn(netnsPath: string, address: string, port: number, backlog: number): number;
  /** `length` (at most 65536) bytes from getrandom(2), the kernel's CSPRNG. */
  getRandom(length: number): Buffer;
  /** Fixes glibc's mmap and trim thresholds (bytes), which it otherwise raises to the largest block freed; true when taken. */
  limitMallocRetention(mmapThreshold: number, trimThreshold: number): boolean;
  /**
   * From now on V8's young generation stops growing once a semi-space has this
   * many bytes (native/young_generation.cc); 0 lifts the cap and puts V8's
   * growth factor back.
   */
  capYoungGeneration(semiSpaceBytes: number): void;
}

/**
 * Blocks from 1 MiB up (a config file, a state file, a netlink dump's read) are
 * mapped and given back when freed, and at most 2 MiB of freed heap is kept.
 * Left to glibc, a 100k-route re-apply peaked 19 MB higher (bench/routes.mjs).
 */
export const MALLOC_MMAP_THRESHOLD = 1 << 20;
export const MALLOC_TRIM_THRESHOLD = 2 << 20;

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function load(): NativeModule {
  const candidates = [
    path.resolve(here, '../../build/Release/netcfg_native.node'),
    path.resolve(here, '../../build/Debug/netcfg_native.node'),
  ];
  let lastError: unknown;
  for (const candidate of candidates) {
    let m: NativeModule;
    try {
      m = require(candidate) as NativeModule;
    } catch (err) {
      lastError = err;
      continue;
    }
    m.limitMallocRetention(MALLOC_MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD);
    return m;
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
