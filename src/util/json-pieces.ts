// JSON text made a piece at a time: what JSON.stringify(value) gives, joined,
// without ever holding all of it. An apply report of 100k changes is ~12 MB of
// JSON, and JSON.stringify makes it in one go together with an object for each
// change (toJSON): in the daemon, ~45 MB more at the very end of a 100k-route
// apply, which was its peak. Made in pieces, a long array goes PIECE_ITEMS
// elements at a time.
//
// Plain objects and arrays are walked here; anything else (strings, numbers, an
// object with toJSON, an array of a few elements) is left to JSON.stringify.
// toJSON of an element of a long array is called with its index within its
// piece, not within the whole array (no toJSON here looks at it). Values with
// cycles are not supported (JSON.stringify refuses them too).

/** Elements of a long array stringified together. */
export const PIECE_ITEMS = 1000;

/** An object JSON.stringify writes as its own enumerable properties (not a boxed primitive, no toJSON). */
function isPlainObject(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON !== 'function' && !(v instanceof String || v instanceof Number || v instanceof Boolean);
}

/** Pieces whose concatenation is JSON.stringify(value) (undefined, a function or a symbol: "null", as in an array). */
export function* jsonPieces(value: unknown): Generator<string> {
  if (Array.isArray(value)) {
    if (value.length <= PIECE_ITEMS) {
      yield JSON.stringify(value);
      return;
    }
    yield '[';
    for (let from = 0; from < value.length; from += PIECE_ITEMS) {
      const text = JSON.stringify(value.slice(from, from + PIECE_ITEMS));
      yield from === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`;
    }
    yield ']';
    return;
  }
  if (typeof value === 'object' && value !== null && isPlainObject(value)) {
    yield '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      yield* jsonPieces(v);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}
