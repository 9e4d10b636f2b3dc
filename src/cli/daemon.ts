// netcfg daemon: the long-running netcfg for one network namespace, and how the
// other commands find it (its control socket) and hand their work to it.
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { Daemon } from '../daemon/daemon.js';
import { ConfigInvalidError } from '../config/issues.js';
import { stateFor, type Target } from './report.js';
import { logger, untilStopSignal } from './common.js';
import { EXIT_OK, UsageError } from './usage.js';
import { checkNetns } from '../netns.js';
import { parseDuration } from '../config/durations.js';
import { VipOptionsError, vipOptions, type VipFlags, type VipOptions } from '../operators/vip/options.js';
import { platformUrlsFromEnv } from '../operators/vip/platform/handler.js';

export interface DaemonTarget extends Target {
  /** The control socket (default: next to the state file, DIR/SCOPE.sock). */
  socket?: string | undefined;
}

export function socketFor(t: DaemonTarget): string {
  if (t.socket !== undefined) return t.socket;
  const state = stateFor(t);
  return path.join(state.dir, `${state.scope}.sock`);
}

/** The client side of the control socket (node:net), loaded when first used: the daemon needs it only if a socket file is already there. */
const client = () => import('../daemon/client.js');

/** A connection to the daemon serving this target, if one runs. */
export async function daemonFor(t: DaemonTarget): Promise<net.Socket | undefined> {
  return (await client()).connect(socketFor(t));
}

/** Calls the daemon; its errors become the CLI's (config errors with their positions, exit 2). */
export async function callDaemon<T>(socket: net.Socket, req: Parameters<typeof import('../daemon/client.js').call>[1]): Promise<T> {
  const { call, DaemonError } = await client();
  try {
    return await call<T>(socket, req);
  } catch (err) {
    if (err instanceof DaemonError) {
      if (err.error.issues) throw new ConfigInvalidError(err.error.issues.file, err.error.issues.issues);
      if (err.error.exitCode === 2) throw new UsageError(err.error.message);
    }
    throw err;
  } finally {
    socket.end();
  }
}

export interface DaemonOptions extends DaemonTarget {
  config: string | undefined;
  logLevel: string | undefined;
  version: string;
  /** --discovery-ttl: the affiliate TTL (a duration up to 30m). */
  discoveryTtl?: string | undefined;
  /** --kubespan-interval: KubeSpan's peer reconcile interval (default 30s). */
  kubespanInterval?: string | undefined;
  /** --etcd-endpoints, --etcd-ca/cert/key, --vip-lease-ttl. */
  vip?: VipFlags;
}

function discoveryTtlMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms > 30 * 60_000) throw new UsageError('--discovery-ttl must be a duration from 1s to 30m');
  return ms;
}

function kubespanIntervalMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 100 || ms > 30_000) throw new UsageError('--kubespan-interval must be a duration from 100ms to 30s');
  return ms;
}

function vipFrom(flags: VipFlags | undefined): VipOptions {
  try {
    // NETCFG_TEST_*: the cloud VIP APIs' base URLs, for tests only
    return vipOptions(flags ?? {}, platformUrlsFromEnv(process.env));
  } catch (err) {
    if (err instanceof VipOptionsError) throw new UsageError(err.message);
    throw err;
  }
}

/** Runs in the foreground until SIGTERM or SIGINT. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  if (o.netns !== undefined) {
    try {
      checkNetns(o.netns);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const ttlMs = discoveryTtlMs(o.discoveryTtl);
  const kubespanMs = kubespanIntervalMs(o.kubespanInterval);
  const vip = vipFrom(o.vip);
  const log = logger(o.logLevel ?? 'info');
  const socket = socketFor(o);
  // no socket file, no daemon (connect would say so too, after loading node:net)
  if (fs.existsSync(socket) && (await (await client()).connect(socket).then((s) => (s?.destroy(), s !== undefined)))) throw new UsageError(`a netcfg daemon already serves ${socket}`);
  const daemon = await Daemon.start({ ...o, configFile: o.config, socket, log, version: o.version, discoveryTtlMs: ttlMs, kubespanIntervalMs: kubespanMs, vip });
  await untilStopSignal(log);
  await daemon.stop();
  return EXIT_OK;
}
