// Go durations take the micro sign (U+00B5) and, in configuration documents, the
// Greek mu (U+03BC) for microseconds; the patterns spell them as escapes so that
// the bundle (scripts/bundle.mjs) is plain ASCII.
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/fields.js';
import { goDurationMs } from '../../src/config/documents/fields.js';

describe('microsecond durations', () => {
  it('parseDuration reads µs (micro sign) as us', () => {
    expect(parseDuration('1500\u00b5s')).toBe(1.5);
    expect(parseDuration('1500us')).toBe(1.5);
    expect(parseDuration('1500\u03bcs')).toBeUndefined();
  });
  it('goDurationMs reads µs (micro sign) and μs (Greek mu) as us', () => {
    expect(goDurationMs('2000\u00b5s')).toBe(2);
    expect(goDurationMs('2000\u03bcs')).toBe(2);
    expect(goDurationMs('1s500\u00b5s')).toBe(1000.5);
  });
});
