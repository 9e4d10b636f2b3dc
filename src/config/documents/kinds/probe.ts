// TCPProbeConfig and HTTPProbeConfig: connectivity probes (talos-multidoc.md §3.20; run by the
// daemon, controllers/status/probe-status.ts).
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { duration, goDurationMs, text, type Problem } from '../fields.js';
import { expected } from '../../fields.js';

const int = () => z.number({ error: (iss) => expected('an integer', iss.input) }).int({ error: (iss) => expected('an integer', iss.input) });

const probeFields = () => ({
  name: nameField('Probe name.'),
  interval: duration('interval').optional().describe('Time between attempts (default 1s).'),
  failureThreshold: int().optional().describe('Consecutive failures, after a success, before the probe counts as failed.'),
  timeout: duration('timeout').optional().describe('Per attempt (default 10s).'),
});

export const TCPProbeConfigSchema = documentSchema('TCPProbeConfig', 'A TCP connectivity probe.', () => ({ ...probeFields(), endpoint: text('host:port').optional().describe('host:port to connect to.') }));
export const HTTPProbeConfigSchema = documentSchema('HTTPProbeConfig', 'An HTTP connectivity probe.', () => ({ ...probeFields(), url: text('a URL').optional().describe('http or https URL; 2xx/3xx is success.') }));

export type TCPProbeConfigSpec = z.infer<typeof TCPProbeConfigSchema>;
export type HTTPProbeConfigSpec = z.infer<typeof HTTPProbeConfigSchema>;

function common(d: TCPProbeConfigSpec | HTTPProbeConfigSpec, label: string): Problem[] {
  const out: Problem[] = [];
  if (d.name === undefined || d.name === '') out.push({ path: ['name'], message: 'probe name is required' });
  if (d.timeout !== undefined && (goDurationMs(d.timeout) ?? 0) < 0) out.push({ path: ['timeout'], message: `${label} probe timeout cannot be negative: ${d.timeout}` });
  if (d.interval !== undefined && (goDurationMs(d.interval) ?? 0) < 0) out.push({ path: ['interval'], message: `probe interval cannot be negative: ${d.interval}` });
  if (d.failureThreshold !== undefined && d.failureThreshold < 0) out.push({ path: ['failureThreshold'], message: `probe failure threshold cannot be negative: ${d.failureThreshold}` });
  return out;
}

export const tcpProbeConfig = defineKind<TCPProbeConfigSpec>({
  kind: 'TCPProbeConfig',
  schema: TCPProbeConfigSchema,
  validate(d) {
    const out = common(d, 'TCP');
    if (d.endpoint === undefined || d.endpoint === '') out.push({ path: [], message: 'TCP probe endpoint is required' });
    return out;
  },
  use: { applied: true },
});

export const httpProbeConfig = defineKind<HTTPProbeConfigSpec>({
  kind: 'HTTPProbeConfig',
  schema: HTTPProbeConfigSchema,
  validate(d) {
    const out = common(d, 'HTTP');
    if (d.url === undefined || d.url === '') out.push({ path: [], message: 'HTTP probe URL is required' });
    else {
      const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?/.exec(d.url);
      const scheme = m?.[1]?.toLowerCase() ?? '';
      if (scheme !== 'http' && scheme !== 'https') out.push({ path: ['url'], message: `HTTP probe URL scheme must be http or https, got "${scheme}"` });
      else if (!m?.[3] || m[3].replace(/^[^@]*@/, '') === '') out.push({ path: ['url'], message: 'HTTP probe URL must be an absolute http or https URL with a non-empty host' });
    }
    return out;
  },
  use: { applied: true },
});
