// JSON over HTTP for the cloud VIP handlers. The API token goes in a header and
// never into an error message or a log line.

export class PlatformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformError';
  }
}

export interface HttpOptions {
  headers: Record<string, string>;
  timeoutMs?: number;
}

/** A request whose answer must be 2xx; returns the parsed JSON body (undefined when empty). */
export async function requestJson(method: string, url: string, o: HttpOptions, body?: unknown): Promise<unknown> {
  const text = await requestText(method, url, o, body);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PlatformError(`${method} ${redactUrl(url)}: the answer is not JSON`);
  }
}

export async function requestText(method: string, url: string, o: HttpOptions, body?: unknown): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { Accept: 'application/json', 'User-Agent': 'netcfg', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...o.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new PlatformError(`${method} ${redactUrl(url)}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
  }
  const text = await res.text();
  if (!res.ok) throw new PlatformError(`${method} ${redactUrl(url)}: HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  return text;
}

/** URLs carry no secrets here, but a query string is dropped from messages all the same. */
function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** A field of a JSON object, or undefined. */
export function field(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function list(v: unknown, ...path: string[]): unknown[] {
  const x = field(v, ...path);
  return Array.isArray(x) ? x : [];
}
