// Scalar types of the configuration documents, parsed as Talos' YAML decoder
// does (talos-multidoc.md §1.2). A value that does not parse is a decode
// error ("expected …, got …"), reported at the value; the Talos Validate()
// rules of each kind come after decoding, with Talos' own wording.
import { z } from 'zod';
import { ipFamily, isUnspecified, parseIP, parsePrefix } from '../../net/ip.js';
import { expected } from '../fields.js';
import { goDurationMs } from '../durations.js';
import { formatHwaddr } from './values.js';

export { formatHwaddr, goDurationMs };

export { bool } from '../fields.js';

/** Go decodes any YAML scalar into a string field (its text): numbers and booleans too. */
export const text = (what = 'a string') =>
  z.union([z.string(), z.number(), z.boolean()], { error: (iss) => expected(what, iss.input) }).transform((v) => String(v));

function intIn(min: number, max: number, what: string) {
  const label = `${what} (an integer from ${min} to ${max})`;
  return z
    .number({ error: (iss) => expected(label, iss.input) })
    .int({ error: (iss) => expected(label, iss.input) })
    .min(min, { error: (iss) => expected(label, iss.input) })
    .max(max, { error: (iss) => expected(label, iss.input) });
}

export const uint8 = (what = 'a number') => intIn(0, 255, what);
export const uint16 = (what = 'a number') => intIn(0, 65535, what);
export const uint32 = (what = 'a number') => intIn(0, 4294967295, what);
export const int32 = (what = 'a number') => intIn(-2147483648, 2147483647, what);

export function list<T extends z.ZodType>(item: T, what = 'a list') {
  return z.array(item, { error: (iss) => expected(what, iss.input) });
}

/** Go netip.ParsePrefix: "address/length" (host bits kept, no zone); "" means not set. */
export const prefix = (what = 'an IP prefix') =>
  z.string({ error: (iss) => expected(`${what} (address/length, e.g. 192.0.2.10/24)`, iss.input) }).superRefine((v, ctx) => {
    if (v === '' || parsePrefix(v)) return;
    const why = v.includes('/') ? 'not an address/length' : "no '/' and prefix length";
    ctx.addIssue({ code: 'custom', message: `invalid ${what} "${v}": ${why} (e.g. 192.0.2.10/24 or 2001:db8::1/64)`, input: v });
  });

/** Go netip.ParseAddr: an IPv4 or IPv6 address; "" means not set. */
export const addr = (what = 'an IP address') =>
  z.string({ error: (iss) => expected(`${what} (e.g. 192.0.2.1 or 2001:db8::1)`, iss.input) }).superRefine((v, ctx) => {
    if (v === '' || ipFamily(v)) return;
    ctx.addIssue({ code: 'custom', message: `invalid ${what} "${v}": expected an IPv4 or IPv6 address`, input: v });
  });

/** "ip:port" (Go netip.ParseAddrPort): a literal address, IPv6 in brackets; no host names. */
export function addrPortProblem(v: string): string | undefined {
  const m = /^(?:\[([^\]%]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(v);
  if (!m) return 'expected ip:port with a literal address (IPv6 as [addr]:port); host names are not accepted';
  const host = m[1] ?? m[2]!;
  if ((m[1] !== undefined && ipFamily(host) !== 'inet6') || (m[2] !== undefined && ipFamily(host) !== 'inet4')) return `"${host}" is not an IP address`;
  if (Number(m[3]) > 65535) return `port ${m[3]} is outside 0-65535`;
  return undefined;
}

export const addrPort = (what = 'an endpoint') =>
  z.string({ error: (iss) => expected(`${what} (ip:port)`, iss.input) }).superRefine((v, ctx) => {
    if (v === '') return;
    const problem = addrPortProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid ${what} "${v}": ${problem}`, input: v });
  });

/** Hex bytes, colons optional ("2e:3c:4d:5e:6f:70" or "2e3c4d5e6f70"); any length. */
export const hwaddr = (what = 'a hardware address') =>
  z.string({ error: (iss) => expected(`${what} (hex bytes, e.g. 2e:3c:4d:5e:6f:70)`, iss.input) }).superRefine((v, ctx) => {
    const hex = v.replaceAll(':', '');
    if (hex.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(hex)) return;
    ctx.addIssue({ code: 'custom', message: `invalid ${what} "${v}": expected hex bytes, colons optional (e.g. 2e:3c:4d:5e:6f:70)`, input: v });
  });

/**
 * An enum of Talos' generated parsers: the exact name, or the input lower-cased
 * against lower-cased names (case-insensitive); numbers are not accepted. The
 * canonical spelling comes out.
 */
export function enumOf<const T extends readonly string[]>(values: T, typeName: string) {
  const lower = new Map(values.map((v) => [v.toLowerCase(), v] as const));
  return text(`one of ${values.join(', ')}`).transform((v, ctx): T[number] => {
    const hit = lower.get(v.toLowerCase());
    if (hit !== undefined) return hit;
    ctx.addIssue({ code: 'custom', message: `${v} does not belong to ${typeName} values: expected one of ${values.join(', ')}`, input: v });
    return z.NEVER;
  });
}

/** Routing tables (nethelpers.RoutingTable): unspec, 1…252, default (253), main (254), local (255); quoted or not. */
export const ROUTING_TABLE_NAMES: Readonly<Record<string, number>> = { unspec: 0, default: 253, main: 254, local: 255 };

export const routingTable = () =>
  text('a routing table').transform((v, ctx): number => {
    const named = ROUTING_TABLE_NAMES[v];
    if (named !== undefined) return named;
    if (/^[0-9]+$/.test(v) && Number(v) <= 255) return Number(v);
    ctx.addIssue({ code: 'custom', message: `invalid routing table "${v}": expected unspec, default, main, local or a number from 1 to 255 (tables above 255 cannot be expressed)`, input: v });
    return z.NEVER;
  });

export function routingTableName(table: number): string {
  return Object.entries(ROUTING_TABLE_NAMES).find(([, n]) => n === table)?.[0] ?? String(table);
}

/** A Go duration string ("10s", "1m0s"); a bare integer other than 0 is not one. */
export const duration = (what = 'a duration') =>
  z
    .union([z.string(), z.number()], { error: (iss) => expected(`${what} (e.g. "10s", "1m30s", "300ms")`, iss.input) })
    .transform((v, ctx): string => {
      const s = String(v);
      if ((typeof v === 'number' && v !== 0) || goDurationMs(s) === undefined) {
        ctx.addIssue({ code: 'custom', message: `invalid ${what} ${JSON.stringify(v)}: expected a duration such as "10s", "1m30s" or "300ms"`, input: v });
        return z.NEVER;
      }
      return s;
    });

/** An IP address that parses and is not 0.0.0.0 or ::. */
export function specifiedAddr(v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  const ip = parseIP(v);
  return ip !== undefined && !isUnspecified(ip);
}

/** A prefix whose address is not unspecified (0.0.0.0/0, ::/0 are not). */
export function specifiedPrefix(v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  const p = parsePrefix(v);
  return p !== undefined && !isUnspecified(p);
}

/** One Validate() finding: an error, or a warning Talos shows but accepts. */
export interface Problem {
  path: ReadonlyArray<string | number>;
  message: string;
  warning?: boolean;
}
