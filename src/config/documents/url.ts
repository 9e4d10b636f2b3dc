// URLs as Go's url.Parse splits them, for discovery and SideroLink endpoints (no dependencies: the
// configuration accessors use it without loading the document kinds).
/** scheme://host[:port]/path?query, as Go's url.Parse splits it (enough for the checks and the endpoint). */
export function splitURL(v: string): { scheme: string; host: string; port: string; path: string } | undefined {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)/.exec(v);
  if (!m || /\s/.test(v)) return undefined;
  const authority = (m[2] ?? '').replace(/^[^@]*@/, '');
  const hp = /^(\[[^\]]*\]|[^:]*)(?::([0-9]*))?$/.exec(authority);
  if (!hp) return undefined;
  return { scheme: (m[1] ?? '').toLowerCase(), host: hp[1]!, port: hp[2] ?? '', path: m[3] ?? '' };
}
