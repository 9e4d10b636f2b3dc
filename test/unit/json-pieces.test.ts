// JSON written in pieces (the daemon's responses): joined, the pieces are what
// JSON.stringify gives, and a long array never becomes one piece.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonList, PIECE_ITEMS, jsonPieces } from '../../src/util/json-pieces.js';

const joined = (v: unknown): string => [...jsonPieces(v)].join('');

/** A change as the route controller reports it: a class whose toJSON makes the object written. */
class Change {
  constructor(readonly n: number) {}
  get hidden(): number {
    return this.n;
  }
  toJSON(): object {
    return { action: 'add', id: `inet4/192.0.2.1/10.0.${this.n >> 8}.${this.n & 255}/32/1024`, detail: undefined };
  }
}

/** Resources as the store keeps them: metadata behind a getter, own fields written. */
class Stored {
  constructor(
    readonly id: string,
    readonly spec: unknown,
  ) {}
  get metadata(): object {
    return { id: this.id };
  }
}

describe('jsonPieces', () => {
  it('joins to JSON.stringify for any JSON value, and for objects with undefined, function and symbol members', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(joined(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withNullPrototype: true, withObjectString: true, withSparseArray: true }), (v) => {
        let want: string | undefined;
        try {
          want = JSON.stringify(v) ?? 'null';
        } catch {
          return; // BigInt and the like: refused by both
        }
        expect(joined(v)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a long array a piece at a time, elements with toJSON and holes as JSON.stringify does', () => {
    const changes: unknown[] = Array.from({ length: 2.5 * PIECE_ITEMS }, (_, i) => (i % 7 === 0 ? undefined : i % 5 === 0 ? () => i : new Change(i)));
    const report = {
      dryRun: false,
      changes,
      pending: [],
      nested: { deep: Array.from({ length: PIECE_ITEMS + 1 }, (_, i) => new Stored(`r${i}`, { n: i, skip: undefined })), short: [Array.from({ length: PIECE_ITEMS + 1 }, (_, i) => i)] },
      when: new Date(0),
      boxed: [new String('s'), new Number(1), new Boolean(false)],
      gone: undefined,
      summary: { added: 2500 },
    };
    expect(JSON.parse(joined(report))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(joined(report)).toBe(JSON.stringify(report));
    expect(joined(changes)).toBe(JSON.stringify(changes));
  });

  it('writes members as JSON.stringify does: toJSON with its key, members that write as nothing left out, odd arrays whole', () => {
    class Tagged extends Array<number> {
      toJSON(): string {
        return 'tagged';
      }
    }
    const withToJSON = Object.assign(Array.from({ length: PIECE_ITEMS + 5 }, (_, i) => i), { toJSON: () => 'array' });
    const value = {
      keyed: { toJSON: (key: string) => `key ${key}` },
      nothing: { toJSON: () => undefined },
      fn: { toJSON: () => () => 1 },
      tagged: Tagged.from({ length: PIECE_ITEMS + 5 }, (_, i) => i),
      withToJSON,
      extra: Object.assign(Array.from({ length: PIECE_ITEMS + 5 }, (_, i) => i), { extra: 1 }),
      sparse: new Array(PIECE_ITEMS + 5),
      numbers: Array.from({ length: PIECE_ITEMS + 5 }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? NaN : Infinity)),
      ['__proto__']: 1,
      last: true,
    };
    expect(joined(value)).toBe(JSON.stringify(value));
    expect(() => joined({ big: Object(1n) })).toThrow(TypeError);
  });

  it('writes a JsonList as the array of its mapped items, mapping a piece of them at a time', () => {
    let made = 0;
    const list = new JsonList(
      Array.from({ length: 2.5 * PIECE_ITEMS }, (_, i) => new Stored(`r${i}`, { n: i })),
      (r) => (made++, { metadata: r.metadata, spec: r.spec }),
    );
    const value = { ok: true, result: list, short: new JsonList([1, 2], (n) => n * 2), empty: new JsonList([], (n) => n) };
    const pieces = jsonPieces(value);
    let text = '';
    let r = pieces.next();
    for (; !r.done && made === 0; r = pieces.next()) text += r.value;
    // the first piece with items in it: a slice of them was made, not all
    expect(made).toBe(PIECE_ITEMS);
    for (; !r.done; r = pieces.next()) text += r.value;
    expect(made).toBe(list.items.length);
    made = 0;
    expect(text).toBe(JSON.stringify(value));
    expect(JSON.parse(text).result[2499]).toEqual({ metadata: { id: 'r2499' }, spec: { n: 2499 } });
    expect(JSON.parse(text).short).toEqual([2, 4]);
  });

  it('never makes a piece of more than a slice of a long array', () => {
    const changes = Array.from({ length: 100 * PIECE_ITEMS }, (_, i) => new Change(i));
    const pieces = [...jsonPieces({ ok: true, result: { changes } })];
    const total = pieces.reduce((n, p) => n + p.length, 0);
    expect(total).toBe(JSON.stringify({ ok: true, result: { changes } }).length);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(total / 50);
  });
});
