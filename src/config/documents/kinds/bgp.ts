// BGPInstanceConfig: a native BGP instance (talos-multidoc.md §3.21); validated, not applied yet.
import { z } from 'zod';
import { nameField } from '../common.js';
import { defineKind, documentSchema } from '../definition.js';
import { addr, bool, duration, goDurationMs, list, prefix, text, uint32, uint8, type Problem } from '../fields.js';
import { formatPrefix, hasHostBits, networkOf, parsePrefix, prefixContains, type Prefix } from '../../../net/ip.js';

export const BGPInstanceConfigSchema = documentSchema('BGPInstanceConfig', 'A native BGP instance (validated; not run by netcfg yet).', () => ({
  name: nameField('Instance name.'),
  vrf: text('a VRF name').optional().describe('Name of a VRFConfig (default: the main routing domain).'),
  localASN: uint32('localASN').optional(),
  routerID: addr('routerID').optional(),
  routeSource: addr('routeSource').optional(),
  advertise: list(text('a link name'), 'a list of link names').optional(),
  multipath: bool().optional(),
  maxPaths: uint8('maxPaths').optional(),
  installRoutes: bool().optional(),
  importRoutes: list(z.strictObject({ bgpInstance: text('a BGP instance name').optional(), prefixes: list(prefix('prefix'), 'a list of prefixes').optional() }), 'a list of route imports').optional(),
  neighbors: list(
    z.strictObject({
      address: addr('neighbor address').optional(),
      link: text('a link name').optional(),
      peerASN: uint32('peerASN').optional(),
      localASN: uint32('localASN').optional(),
      passive: bool().optional(),
      holdTime: duration('holdTime').optional(),
      bfd: z.strictObject({ transmitInterval: duration('transmitInterval').optional(), receiveInterval: duration('receiveInterval').optional(), detectMultiplier: uint8('detectMultiplier').optional() }).optional(),
    }),
    'a list of neighbors',
  ).optional(),
}));

export type BGPInstanceConfigSpec = z.infer<typeof BGPInstanceConfigSchema>;

const negative = (d: string | undefined) => d !== undefined && (goDurationMs(d) ?? 0) < 0;
const overlaps = (a: Prefix, b: Prefix) => a.family === b.family && (prefixContains(a, b) || prefixContains(b, a));

export const bgpInstanceConfig = defineKind<BGPInstanceConfigSpec>({
  kind: 'BGPInstanceConfig',
  schema: BGPInstanceConfigSchema,
  validate(d) {
    const out: Problem[] = [];
    if (d.name === undefined || d.name === '') out.push({ path: ['name'], message: 'name must be specified' });
    if (!d.localASN) out.push({ path: [], message: 'localASN must be specified' });
    if (d.routerID && !/^[0-9.]+$/.test(d.routerID)) out.push({ path: ['routerID'], message: 'routerID must be an IPv4 address' });
    const neighbors = new Set<string>();
    d.neighbors?.forEach((n, i) => {
      const at = ['neighbors', i];
      const hasAddr = n.address !== undefined && n.address !== '';
      const hasLink = n.link !== undefined && n.link !== '';
      if (hasAddr === hasLink) out.push({ path: at, message: `neighbor[${i}]: exactly one of address or link must be set` });
      const key = hasAddr ? n.address! : (n.link ?? '');
      if (key !== '' && neighbors.has(key)) out.push({ path: at, message: `neighbor[${i}]: duplicate neighbor "${key}"` });
      neighbors.add(key);
      if (negative(n.holdTime)) out.push({ path: [...at, 'holdTime'], message: `neighbor[${i}]: holdTime must not be negative` });
      if (n.bfd) {
        if (d.vrf) out.push({ path: [...at, 'bfd'], message: `neighbor[${i}]: bfd is not supported for VRF-bound BGP instances` });
        if (negative(n.bfd.transmitInterval)) out.push({ path: [...at, 'bfd', 'transmitInterval'], message: `neighbor[${i}]: bfd.transmitInterval must not be negative` });
        if (negative(n.bfd.receiveInterval)) out.push({ path: [...at, 'bfd', 'receiveInterval'], message: `neighbor[${i}]: bfd.receiveInterval must not be negative` });
      }
    });
    const sources = new Set<string>();
    const all: Array<{ p: Prefix; text: string; i: number }> = [];
    d.importRoutes?.forEach((r, i) => {
      const at = ['importRoutes', i];
      const source = r.bgpInstance ?? '';
      if (source === '') out.push({ path: at, message: `importRoutes[${i}]: bgpInstance must be specified` });
      else if (source === d.name) out.push({ path: [...at, 'bgpInstance'], message: `importRoutes[${i}]: cannot import from the same BGP instance "${source}"` });
      else if (sources.has(source)) out.push({ path: [...at, 'bgpInstance'], message: `importRoutes[${i}]: duplicate source BGP instance "${source}"` });
      sources.add(source);
      const prefixes = r.prefixes ?? [];
      if (prefixes.length === 0) out.push({ path: at, message: `importRoutes[${i}]: at least one prefix must be specified` });
      const mine: Array<{ p: Prefix; text: string; j: number }> = [];
      prefixes.forEach((text, j) => {
        const p = parsePrefix(text);
        const where = [...at, 'prefixes', j];
        if (!p) return out.push({ path: where, message: `importRoutes[${i}].prefixes[${j}]: invalid prefix` });
        if (hasHostBits(p)) return out.push({ path: where, message: `importRoutes[${i}].prefixes[${j}]: prefix ${text} must be masked (${formatPrefix(networkOf(p))})` });
        const same = mine.find((m) => overlaps(m.p, p));
        if (same) return out.push({ path: where, message: `importRoutes[${i}].prefixes[${j}]: prefix ${text} overlaps prefixes[${same.j}] ${same.text}` });
        const other = all.find((m) => overlaps(m.p, p));
        if (other) return out.push({ path: where, message: `importRoutes[${i}]: prefix ${text} overlaps importRoutes[${other.i}] prefix ${other.text}` });
        mine.push({ p, text, j });
        return undefined;
      });
      for (const m of mine) all.push({ p: m.p, text: m.text, i });
    });
    if (!d.neighbors || d.neighbors.length === 0) out.push({ path: [], message: 'BGPInstanceConfig has no neighbors configured', warning: true });
    return out;
  },
  use: { applied: false, note: 'BGP instances are validated but not run yet by this netcfg version' },
});
