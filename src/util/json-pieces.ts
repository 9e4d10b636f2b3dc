// JSON text made a piece at a time: what JSON.stringify(value) gives, joined,
// without ever holding all of it. An apply report of 100k changes is ~12 MB of
// JSON, and JSON.stringify makes it in one go together with an object for each
// change (toJSON): in the daemon, ~45 MB more at the very end of a 100k-route
// apply, which was its peak. Made in pieces, a long array goes PIECE_ITEMS
// elements at a time.
//
// A JsonList (a list and how each item is written) is mapped a piece at a time.
// Plain objects and long plain arrays are walked here; anything else (strings,
// numbers, an object with toJSON, an array of a few elements, what is inside an
// element of a long array) is left to JSON.stringify.
// toJSON of an element of a long array is called with its index within its
// piece, not within the whole array (no toJSON here looks at it). Values with
// cycles are not supported (JSON.stringify refuses them too).

/** Elements of a long array stringified together. */
export const PIECE_ITEMS = 1000;

/**
 * A list written as the array of its items, each as `as` makes it. jsonPieces
 * maps a piece of it at a time, so the mapped items never exist all at once
 * (the daemon's `get` of 100k route specs: a redacted copy of each).
 */
export class JsonList<T> {
  constructor(
    readonly items: readonly T[],
    readonly as: (item: T) => unknown,
  ) {}

  toJSON(): unknown[] {
    return this.items.map((x) => this.as(x));
  }
}

const hasToJSON = (v: object): boolean => typeof (v as { toJSON?: unknown }).toJSON === 'function';

/** An array written here a piece at a time: a long, plain one (a subclass's slices would be of the subclass). */
function isLongArray(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.length > PIECE_ITEMS && Object.getPrototypeOf(v) === Array.prototype && !hasToJSON(v);
}

/** An object JSON.stringify writes as its own enumerable properties (not an array, not a boxed value, no toJSON). */
function isPlainObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !hasToJSON(v) && !(v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol);
}

/** An array of `length` elements, PIECE_ITEMS of them (`elements(from, to)`) stringified at a time. */
function* arrayPieces(length: number, elements: (from: number, to: number) => unknown[]): Generator<string> {
  yield '[';
  for (let from = 0; from < length; from += PIECE_ITEMS) {
    const text = JSON.stringify(elements(from, Math.min(length, from + PIECE_ITEMS)));
    yield from === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`;
  }
  yield ']';
}

/** Pieces whose concatenation is JSON.stringify(value) (undefined, a function or a symbol: "null", as in an array). */
export function* jsonPieces(value: unknown): Generator<string> {
  if (value instanceof JsonList) {
    const { items, as } = value as JsonList<unknown>;
    yield* arrayPieces(items.length, (from, to) => items.slice(from, to).map((x) => as(x)));
    return;
  }
  if (isLongArray(value)) {
    yield* arrayPieces(value.length, (from, to) => value.slice(from, to));
    return;
  }
  if (isPlainObject(value)) {
    yield '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v instanceof JsonList || isLongArray(v) || isPlainObject(v)) {
        yield `${first ? '' : ','}${JSON.stringify(key)}:`;
        yield* jsonPieces(v);
      } else {
        // as a member, for what JSON.stringify does there: toJSON(key), and a member that writes as nothing is left out
        const member = JSON.stringify({ [key]: v });
        if (member === '{}') continue;
        yield `${first ? '' : ','}${member.slice(1, -1)}`;
      }
      first = false;
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}
