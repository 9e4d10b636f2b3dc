// Field builders for the configuration schema: each gives a clear "expected …,
// got …" message and carries a description for the JSON Schema.
import { z } from 'zod';
import { formatPrefix, ipFamily, networkOf, parsePrefix, prefixFamily, prefixHasHostBits } from '../net/ip.js';

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `"${v.length > 60 ? `${v.slice(0, 57)}...` : v}" (a string)`;
  if (typeof v === 'number') return `${v} (a number)`;
  if (typeof v === 'boolean') return `${v} (a boolean)`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

export function expected(what: string, input: unknown): string {
  return `expected ${what}, got ${describeValue(input)}`;
}

export const str = (what = 'a string') => z.string({ error: (iss) => expected(what, iss.input) });

export const bool = () => z.boolean({ error: (iss) => expected('true or false', iss.input) });

export function int(min: number, max: number, what?: string) {
  const label = what ?? `an integer from ${min} to ${max}`;
  return z
    .number({ error: (iss) => expected(label, iss.input) })
    .int({ error: (iss) => expected(label, iss.input) })
    .min(min, { error: (iss) => expected(label, iss.input) })
    .max(max, { error: (iss) => expected(label, iss.input) });
}

export const uint32 = (what?: string) => int(0, 4294967295, what ?? 'an integer from 0 to 4294967295');

export function list<T extends z.ZodType>(item: T, what = 'a list') {
  return z.array(item, { error: (iss) => expected(what, iss.input) });
}

/** An IP address (v4 or v6). */
export const ip = (what = 'an IP address (e.g. 192.0.2.1 or 2001:db8::1)') =>
  str(what).superRefine((v, ctx) => {
    if (!ipFamily(v)) ctx.addIssue({ code: 'custom', message: `invalid IP address "${v}": ${`expected ${what}`}`, input: v });
  });

/** A CIDR or a bare IP (which gets a full /32 or /128 mask). */
export const ipOrCidr = () =>
  str('an IP address or CIDR (e.g. 192.0.2.10/24)').superRefine((v, ctx) => {
    if (!(v.includes('/') ? prefixFamily(v) : ipFamily(v))) {
      ctx.addIssue({ code: 'custom', message: `invalid address "${v}": expected an IP address or CIDR, e.g. 192.0.2.10/24 or 2001:db8::10/64`, input: v });
    }
  });

/** A network prefix (CIDR) with no host bits set. */
export const network = () =>
  str('a network in CIDR form (e.g. 10.0.0.0/8)').superRefine((v, ctx) => {
    if (!prefixFamily(v)) {
      ctx.addIssue({ code: 'custom', message: `invalid network "${v}": expected CIDR form, e.g. 10.0.0.0/8 or 2001:db8::/32`, input: v });
    } else if (prefixHasHostBits(v)) {
      ctx.addIssue({
        code: 'custom',
        message: `network "${v}" has host bits set: expected ${formatPrefix(networkOf(parsePrefix(v)!))}`,
        input: v,
      });
    }
  });

/** A Linux interface name: 1-15 bytes, no "/", ":" or whitespace, not "." or "..". */
export const linkName = () =>
  str('an interface name').superRefine((v, ctx) => {
    const problem =
      v.length === 0
        ? 'is empty'
        : Buffer.byteLength(v) > 15
          ? 'is longer than 15 bytes (the kernel limit)'
          : v === '.' || v === '..'
            ? 'is reserved'
            : /[/:\s]/.test(v)
              ? 'contains "/", ":" or whitespace'
              : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid interface name "${v}": ${problem}`, input: v });
  });
