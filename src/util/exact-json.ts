// JSON that gives back exactly what it was made from, or none.

/**
 * `data` as JSON, or undefined when JSON.parse would not give it back as it is:
 * a key whose value is undefined, a function or a symbol (dropped), -0 (0), NaN
 * or ±Infinity (null), a bigint (JSON has none), an object that is not plain
 * data (a Date, a Map…). Validation gives none of these today (a test checks
 * every config of the fixtures and the Talos corpus).
 */
export function exactJson(data: unknown): string | undefined {
  let exact = true;
  const json = JSON.stringify(data, function (this: Record<string, unknown>, key: string, value: unknown) {
    if (!exact) return undefined; // the rest need not be written
    const original = this[key];
    switch (typeof original) {
      case 'number':
        if (!Number.isFinite(original) || Object.is(original, -0)) exact = false;
        break;
      case 'undefined':
        if (key !== '') exact = false;
        break;
      case 'function':
      case 'symbol':
      case 'bigint':
        exact = false;
        return undefined;
      case 'object':
        if (original !== null && !Array.isArray(original) && Object.getPrototypeOf(original) !== Object.prototype) exact = false;
        break;
      default:
        break;
    }
    return value;
  });
  return exact ? json : undefined;
}
