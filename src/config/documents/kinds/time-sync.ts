// TimeSyncConfig: time servers (NTP or PTP) (talos-multidoc.md §3.15).
import { z } from 'zod';
import { defineKind, documentSchema, rawAt } from '../definition.js';
import { bool, duration, goDurationMs, list, text, type Problem } from '../fields.js';
import { ipFamily } from '../../../net/ip.js';

export const TimeSyncConfigSchema = documentSchema('TimeSyncConfig', 'Time synchronisation: NTP servers (or PTP devices).', () => ({
  enabled: bool().optional().describe('Time sync on or off (default true).'),
  bootTimeout: duration('bootTimeout').optional(),
  ntp: z
    .strictObject({
      servers: list(text('a server'), 'a list of servers').optional().describe('NTP servers, names or IPs (default time.cloudflare.com).'),
      useNTS: bool().optional().describe('Network Time Security (servers must be host names).'),
    })
    .optional(),
  ptp: z.strictObject({ devices: list(text('a device'), 'a list of PTP devices').optional() }).optional(),
}));

export type TimeSyncConfigSpec = z.infer<typeof TimeSyncConfigSchema>;

export const timeSyncConfig = defineKind<TimeSyncConfigSpec>({
  kind: 'TimeSyncConfig',
  schema: TimeSyncConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    if (d.bootTimeout !== undefined && (goDurationMs(d.bootTimeout) ?? 0) < 0) out.push({ path: ['bootTimeout'], message: 'bootTimeout cannot be negative' });
    if (d.ntp !== undefined && d.ptp !== undefined) out.push({ path: ['ptp'], message: 'only one of ntp or ptp configuration can be specified' });
    if (d.ntp?.useNTS === true) {
      d.ntp.servers?.forEach((s, i) => {
        if (ipFamily(s)) out.push({ path: ['ntp', 'servers', i], message: `NTS requires hostnames, not IP addresses: "${s}"` });
      });
    }
    return out;
  },
  v1alpha1Conflicts(_d, machine) {
    const time = rawAt(machine, 'machine', 'time') as Record<string, unknown> | undefined;
    if (!time) return [];
    if (time.disabled === true) return [{ path: [], message: 'time sync cannot be disabled in both v1alpha1 and new-style configuration' }];
    if (Array.isArray(time.servers) && time.servers.length > 0) return [{ path: [], message: 'time servers cannot be specified in both v1alpha1 and new-style configuration' }];
    if (time.bootTimeout !== undefined && time.bootTimeout !== 0 && time.bootTimeout !== '0s' && time.bootTimeout !== '') {
      return [{ path: [], message: 'boot timeout cannot be specified in both v1alpha1 and new-style configuration' }];
    }
    return [];
  },
  use: { applied: true },
});
