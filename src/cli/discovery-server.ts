// netcfg discovery-server: the self-hostable discovery service (a program of its
// own; it shares only src/discovery with the client in the daemon).
import { parseArgs } from 'node:util';
import { DISCOVERY_SERVER_OPTIONS } from './commands.js';
import { parseDuration } from '../config/durations.js';
import { logger, untilStopSignal } from './common.js';
import { EXIT_OK, UsageError } from './usage.js';

function duration(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} must be a positive duration such as "10m" or "30s"`);
  return ms;
}

function bool(flag: string, v: string | undefined): boolean {
  if (v === undefined || v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`${flag} must be true or false`);
}

export async function runDiscoveryServer(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: DISCOVERY_SERVER_OPTIONS,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.addr === undefined) throw new UsageError('discovery-server needs --addr HOST:PORT');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (values['snapshot-interval'] !== undefined && values['snapshot-path'] === undefined) throw new UsageError('--snapshot-interval needs --snapshot-path');
  const { DiscoveryServer, splitHostPort } = await import('../discovery-server/server.js');
  for (const [flag, v] of [['--addr', values.addr], ['--metrics-addr', values['metrics-addr']]] as const) {
    if (v === undefined) continue;
    try {
      splitHostPort(v);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
  }
  const log = logger(values['log-level'] ?? 'info');
  const server = await DiscoveryServer.start({
    addr: values.addr,
    tls: values['tls-cert'] !== undefined ? { certFile: values['tls-cert'], keyFile: values['tls-key']! } : undefined,
    redirectEndpoint: values['redirect-endpoint'],
    snapshotPath: values['snapshot-path'],
    snapshotIntervalMs: duration('--snapshot-interval', values['snapshot-interval'], 10 * 60_000),
    gcIntervalMs: duration('--gc-interval', values['gc-interval'], 60_000),
    metricsAddr: values['metrics-addr'],
    trustXRealIP: bool('--trust-x-real-ip', values['trust-x-real-ip']),
    trustXForwardedFor: bool('--trust-first-x-forwarded-for', values['trust-first-x-forwarded-for']),
    rateLimit: values['no-rate-limit'] ? false : { perSecond: 15, burst: 60 },
    log,
  });
  await untilStopSignal(log);
  await server.stop();
  log.info('discovery server stopped');
  return EXIT_OK;
}
