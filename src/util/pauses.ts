// Pauses of one thing that may overlap: it stops when the first begins and
// starts again when the last ends.

/**
 * A function that begins a pause and returns the one that ends it (a second
 * call of that is nothing). `begin` runs when no pause was on; a `begin` that
 * throws begins no pause. `end` runs when the last pause ends.
 */
export function nestedPauses(begin: () => void, end: () => void): () => () => void {
  let pauses = 0;
  return () => {
    if (pauses === 0) begin();
    pauses++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--pauses === 0) end();
    };
  };
}
