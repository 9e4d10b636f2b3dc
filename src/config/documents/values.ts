// Plain helpers of the document kinds that the configuration controllers use:
// no schema library here (the daemon's way to a configured network does not load
// it when its config was validated before; see config/validated-copy.ts).

/** Hardware address as lower-case colon-separated bytes. */
export function formatHwaddr(v: string): string {
  const hex = v.replaceAll(':', '').toLowerCase();
  return hex.match(/../g)?.join(':') ?? '';
}

/** The text before a trailing %d, or undefined when the name has no format verb. */
export function aliasPattern(name: string): string | undefined {
  const i = name.indexOf('%');
  return i < 0 ? undefined : name.slice(0, i);
}

/** The priority a rule name gives (0 when it does not parse as an unsigned 32-bit integer). */
export function rulePriority(name: string): { priority: number; error?: string } {
  if (!/^[0-9]+$/.test(name)) return { priority: 0, error: `strconv.ParseUint: parsing ${JSON.stringify(name)}: invalid syntax` };
  const n = Number(name);
  if (n > 4294967295) return { priority: 0, error: `strconv.ParseUint: parsing ${JSON.stringify(name)}: value out of range` };
  return { priority: n };
}
