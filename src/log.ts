// Structured logging (pino) to stderr. Secrets are redacted wherever they appear
// in a log object, at any depth (src/redact.ts has the one list of secret fields).
import fs from 'node:fs';
import { pino, type Logger } from 'pino';
import { lazy } from './util/lazy.js';
import { redact } from './redact.js';

const pinoPretty = lazy<typeof import('pino-pretty')>('pino-pretty');
const tty = lazy<typeof import('node:tty')>('node:tty');

/** Linux's memory devices (/dev/null, /dev/zero, /dev/full, /dev/kmsg…): character devices, never terminals. */
const MEMORY_DEVICES_MAJOR = 1;

/** The major number of a Linux device number (glibc's gnu_dev_major: bits 8-19, and from bit 44 up). */
function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

/**
 * Whether `fd` is a terminal. Only a character device can be one: a pipe, a
 * socket or a file (the daemon's stderr under systemd), and /dev/null (a
 * service's StandardError=null, `2>/dev/null`) are told apart without
 * node:tty, which loads node:net and the streams with it (~5 ms of a start).
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    if (!st.isCharacterDevice() || major(st.rdev) === MEMORY_DEVICES_MAJOR) return false;
  } catch {
    return false;
  }
  return tty().isatty(fd);
}

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A logger writing to `destination` (stderr): JSON lines, or human-readable
 * lines when `pretty` (default: when the destination is a terminal).
 */
export function createLogger(level: LogLevel = 'warn', destination: number = 2, pretty = isTerminal(destination)): Logger {
  const options = {
    level,
    base: undefined,
    formatters: { log: (object: Record<string, unknown>) => redact(object) as Record<string, unknown> },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (pretty) return redactingChildren(pino(options, pinoPretty().PinoPretty({ destination, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })));
  // `dest`, not `fd`: pino reads process.stdout.fd as the default of `dest` otherwise, and process.stdout is a
  // socket stream under systemd (it loads node:net)
  return redactingChildren(pino(options, pino.destination({ dest: destination, sync: true })));
}

/**
 * Child loggers' bindings are serialised once, without the log formatter (pino
 * resets the bindings formatter for children): they are redacted on the way in.
 * Children inherit this `child` through the prototype chain, so it holds at every depth.
 */
function redactingChildren(logger: Logger): Logger {
  const child = Object.getPrototypeOf(logger).child as Logger['child'];
  const redacting = function (this: Logger, bindings: Parameters<Logger['child']>[0], options?: Parameters<Logger['child']>[1]) {
    return child.call(this, redact(bindings) as typeof bindings, options);
  };
  Object.defineProperty(logger, 'child', { value: redacting, writable: true, configurable: true });
  return logger;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
