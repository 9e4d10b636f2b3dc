// Shared CLI plumbing: opening the kernel connection for --netns and loggers.
import os from 'node:os';
import { createLogger, type LogLevel, type Logger } from '../log.js';
import { checkNetns, openNetnsKernel } from '../netns.js';
import type { RtnlClient } from '../netlink/rtnetlink/client.js';
import { UsageError } from './usage.js';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function logger(level: string | undefined): Logger {
  const l = (level ?? 'warn') as LogLevel;
  if (!LEVELS.includes(l)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  return createLogger(l);
}

/** The rtnetlink connection for --netns; `log` hears about replies it had to drop as malformed. */
export function openKernel(netns: string | undefined, log?: Logger): RtnlClient {
  if (netns !== undefined) {
    try {
      checkNetns(netns);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return openNetnsKernel(netns, log);
}

export function nodeName(netns: string | undefined): string {
  return netns ?? os.hostname();
}

/** Resolves on the first SIGTERM or SIGINT, logged once (long-running commands stop on it). */
export function untilStopSignal(log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
