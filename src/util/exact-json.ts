// JSON that gives back exactly what it was made from, or none.

/** Deeper than any config: a structure this deep (or a cycle) is not written. */
const MAX_DEPTH = 256;

/** Whether JSON.parse(JSON.stringify(v)) gives back `v` as it is (see exactJson). */
function exact(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype || Object.getOwnPropertySymbols(v).length > 0) return false;
        // a hole or an undefined item is written as null; other keys of an array are not written
        for (let i = 0; i < v.length; i++) if (!exact(v[i], depth + 1)) return false;
        return Object.keys(v).length === v.length;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype || Object.getOwnPropertySymbols(v).length > 0) return false;
      for (const key in v) if (Object.hasOwn(v, key) && !exact((v as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return false; // undefined (a key dropped), a function, a symbol, a bigint
  }
}

/**
 * `data` as JSON, or undefined when JSON.parse would not give it back as it is:
 * a key whose value is undefined, a function or a symbol (dropped), -0 (0), NaN
 * or ±Infinity (null), a bigint (JSON has none), an object that is not plain
 * data (a Date, a Map…), symbol keys (not written), a hole in an array (null).
 * Not looked for: properties that are not enumerable (not written) or getters
 * (written as their value), which plain data from JSON or YAML never has.
 * Validation gives none of these today (a test checks every config of the
 * fixtures and the Talos corpus).
 *
 * Checked by a walk, then written by JSON.stringify alone: a replacer function
 * (a call per key) took ~3x as long at 100k routes.
 */
export function exactJson(data: unknown): string | undefined {
  return exact(data, 0) ? JSON.stringify(data) : undefined;
}

/**
 * The JSON text an object of fromExactJson() was made from, until it is taken:
 * for a caller that writes that JSON soon after (the validated copy of a config
 * a one-shot apply just validated: at 100k routes, ~30 ms less and no second
 * 12 MB string). A text not taken lives as long as its object, so an object is
 * made so only for such a caller, and must not be changed before it is taken.
 */
const madeFrom = new WeakMap<object, string>();

/** JSON.parse(json), for JSON that exactJson() wrote; its text is kept for takeExactJson(). */
export function fromExactJson<T extends object>(json: string): T {
  const value = JSON.parse(json) as T;
  madeFrom.set(value, json);
  return value;
}

/** The JSON text `value` was made from by fromExactJson(), once (forgotten then); undefined for any other value. */
export function takeExactJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const json = madeFrom.get(value);
  madeFrom.delete(value);
  return json;
}
