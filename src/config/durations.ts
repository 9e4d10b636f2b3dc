// Durations as the config writes them, read without the schema library (the
// daemon's controllers and the CLI's flags use these; see config/defaults.ts).

/** A Go duration ("10s", "1m30s", "500ms"); returns milliseconds or undefined. */
export function parseDuration(v: string): number | undefined {
  if (v === '0') return 0;
  const re = /([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === v.length && v.length > 0 ? total : undefined;
}

/** A Go duration in milliseconds ("1m30s", "-1s", "300ms"), or undefined when it does not parse. */
export function goDurationMs(v: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(v)!;
  const body = m[2]!;
  if (body === '0') return 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /([0-9]*\.?[0-9]+|[0-9]+\.)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  for (let x = re.exec(body); x; x = re.exec(body)) {
    total += Number(x[1]) * unit[x[2]!]!;
    pos = re.lastIndex;
  }
  if (body.length === 0 || pos !== body.length) return undefined;
  return m[1] === '-' ? -total : total;
}
