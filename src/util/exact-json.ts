// JSON that gives back exactly what it was made from, or none.

/**
 * `data` as JSON, or undefined when JSON.parse would not give it back as it is:
 * a key whose value is undefined (dropped), -0 (0), NaN or ±Infinity (null), an
 * object that is not plain data (a Date, a Map…). Validation gives none of these
 * today (a test checks every config of the fixtures and the Talos corpus).
 */
export function exactJson(data: unknown): string | undefined {
  let exact = true;
  const json = JSON.stringify(data, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (typeof original === 'number' ? !Number.isFinite(original) || Object.is(original, -0) : original === undefined ? key !== '' : typeof original === 'object' && original !== null && !Array.isArray(original) && Object.getPrototypeOf(original) !== Object.prototype) exact = false;
    return value;
  });
  return exact ? json : undefined;
}
