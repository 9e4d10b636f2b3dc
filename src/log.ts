// Structured logging (pino) to stderr. Secrets are redacted wherever they appear.
import { isatty } from 'node:tty';
import { pino, type Logger } from 'pino';
import { lazy } from './util/lazy.js';

const pinoPretty = lazy<typeof import('pino-pretty')>('pino-pretty');

export type { Logger };

export const REDACT_PATHS = [
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'spec.wireguard.privateKey',
  'presharedKey',
  '*.presharedKey',
  '*.*.presharedKey',
  'secret',
  '*.secret',
  'cluster.secret',
  'apiToken',
  '*.apiToken',
  '*.*.apiToken',
  'clusterSecret',
  '*.clusterSecret',
  '*.*.clusterSecret',
  'sharedSecret',
  '*.sharedSecret',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A logger writing to `destination` (stderr): JSON lines, or human-readable
 * lines when `pretty` (default: when the destination is a terminal).
 */
export function createLogger(level: LogLevel = 'warn', destination: number = 2, pretty = isatty(destination)): Logger {
  const options = {
    level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (pretty) return pino(options, pinoPretty().PinoPretty({ destination, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  return pino(options, pino.destination({ fd: destination, sync: true }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
