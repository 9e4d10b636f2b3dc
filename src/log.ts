// Structured logging (pino) to stderr. Secrets are redacted wherever they appear.
import { pino, type Logger } from 'pino';

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
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export function createLogger(level: LogLevel = 'warn', destination: number = 2): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: destination, sync: true }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
