// A type checker for CEL link selectors (Talos compiles them with cel-go, which
// parses and type-checks: an unknown variable, field or function, or a call
// with the wrong argument types, does not compile). @bufbuild/cel parses and
// evaluates; this checks the parsed expression against the one environment
// netcfg has: the `link` message, CEL's standard functions, mac() and glob().
// The messages follow cel-go's ("undeclared reference to 'x'", "undefined
// field 'x'", "found no matching overload for 'f' applied to '(int, uint)'").
import type { parse } from '@bufbuild/cel';

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr['expr'];

export type CelT =
  | { k: 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'dyn' | 'type' }
  | { k: 'list'; elem: CelT }
  | { k: 'map'; key: CelT; value: CelT }
  | { k: 'message'; name: string; fields: Readonly<Record<string, CelT>> };

const t = (k: 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'dyn' | 'type'): CelT => ({ k });
export const INT = t('int');
export const UINT = t('uint');
export const DOUBLE = t('double');
export const BOOL = t('bool');
export const STRING = t('string');
export const BYTES = t('bytes');
export const DYN = t('dyn');
const NULL = t('null');
const TYPE = t('type');
export const listOf = (elem: CelT): CelT => ({ k: 'list', elem });

export function typeName(x: CelT): string {
  if (x.k === 'list') return `list(${typeName(x.elem)})`;
  if (x.k === 'map') return `map(${typeName(x.key)}, ${typeName(x.value)})`;
  if (x.k === 'message') return x.name;
  if (x.k === 'null') return 'null_type';
  return x.k;
}

const isDyn = (x: CelT) => x.k === 'dyn';

/** Assignable in CEL's checker sense: the same type, or dyn on either side. */
function fits(a: CelT, b: CelT): boolean {
  if (isDyn(a) || isDyn(b)) return true;
  if (a.k === 'list' && b.k === 'list') return fits(a.elem, b.elem);
  if (a.k === 'map' && b.k === 'map') return fits(a.key, b.key) && fits(a.value, b.value);
  if (a.k === 'message' && b.k === 'message') return a.name === b.name;
  if (a.k === 'null' || b.k === 'null') return a.k === b.k || a.k === 'message' || b.k === 'message';
  return a.k === b.k;
}

const NUMERIC = ['int', 'uint', 'double'];

const elemOf = (x: CelT): CelT => (x.k === 'list' ? x.elem : DYN);
const valueOf = (x: CelT): CelT => (x.k === 'map' ? x.value : DYN);
const keyFits = (m: CelT, key: CelT): boolean => m.k === 'map' && fits(key, m.key);

/** Function overloads: argument types (the target first for methods) → result. */
interface Overload {
  args: CelT[];
  result: CelT | ((args: CelT[]) => CelT);
  /** Generic: checks the arguments itself. */
  match?: (args: CelT[]) => boolean;
}

const same = (n: number, result: CelT | ((a: CelT[]) => CelT)): Overload => ({ args: [], result, match: (a) => a.length === n && a.every((x) => fits(x, a[0]!)) });
const numericPair = (result: CelT): Overload => ({ args: [], result, match: (a) => a.length === 2 && a.every((x) => isDyn(x) || NUMERIC.includes(x.k)) });
const arith = (types: string[]): Overload => ({ args: [], result: (a) => (isDyn(a[0]!) ? a[1]! : a[0]!), match: (a) => a.length === 2 && fits(a[0]!, a[1]!) && a.every((x) => isDyn(x) || types.includes(x.k)) });
const ordered = (kinds: string[]): Overload => ({ args: [], result: BOOL, match: (a) => a.length === 2 && fits(a[0]!, a[1]!) && a.every((x) => isDyn(x) || kinds.includes(x.k)) });

/** Global functions and operators. */
const FUNCTIONS: Record<string, Overload[]> = {
  '!_': [{ args: [BOOL], result: BOOL }],
  '-_': [{ args: [INT], result: INT }, { args: [DOUBLE], result: DOUBLE }],
  '_&&_': [{ args: [BOOL, BOOL], result: BOOL }],
  '_||_': [{ args: [BOOL, BOOL], result: BOOL }],
  '_?_:_': [{ args: [], result: (a) => (isDyn(a[1]!) ? a[2]! : a[1]!), match: (a) => a.length === 3 && fits(a[0]!, BOOL) && fits(a[1]!, a[2]!) }],
  '_==_': [same(2, BOOL)],
  '_!=_': [same(2, BOOL)],
  '_<_': [numericPair(BOOL), ordered(['string', 'bytes', 'bool'])],
  '_<=_': [numericPair(BOOL), ordered(['string', 'bytes', 'bool'])],
  '_>_': [numericPair(BOOL), ordered(['string', 'bytes', 'bool'])],
  '_>=_': [numericPair(BOOL), ordered(['string', 'bytes', 'bool'])],
  '_+_': [arith(['int', 'uint', 'double', 'string', 'bytes', 'list'])],
  '_-_': [arith(['int', 'uint', 'double'])],
  '_*_': [arith(['int', 'uint', 'double'])],
  '_/_': [arith(['int', 'uint', 'double'])],
  '_%_': [arith(['int', 'uint'])],
  '_[_]': [
    { args: [], result: (a) => elemOf(a[0]!), match: (a) => a.length === 2 && (isDyn(a[0]!) || a[0]!.k === 'list') && fits(a[1]!, INT) },
    { args: [], result: (a) => valueOf(a[0]!), match: (a) => a.length === 2 && keyFits(a[0]!, a[1]!) },
  ],
  '@in': [{ args: [], result: BOOL, match: (a) => a.length === 2 && (isDyn(a[1]!) || (a[1]!.k === 'list' && fits(a[0]!, elemOf(a[1]!))) || keyFits(a[1]!, a[0]!)) }],
  '@not_strictly_false': [{ args: [BOOL], result: BOOL }],
  size: [{ args: [], result: INT, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['string', 'bytes', 'list', 'map'].includes(a[0]!.k)) }],
  matches: [{ args: [STRING, STRING], result: BOOL }],
  int: [{ args: [], result: INT, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['int', 'uint', 'double', 'string'].includes(a[0]!.k)) }],
  uint: [{ args: [], result: UINT, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['int', 'uint', 'double', 'string'].includes(a[0]!.k)) }],
  double: [{ args: [], result: DOUBLE, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['int', 'uint', 'double', 'string'].includes(a[0]!.k)) }],
  string: [{ args: [], result: STRING, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['int', 'uint', 'double', 'string', 'bool', 'bytes'].includes(a[0]!.k)) }],
  bytes: [{ args: [], result: BYTES, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['string', 'bytes'].includes(a[0]!.k)) }],
  bool: [{ args: [], result: BOOL, match: (a) => a.length === 1 && (isDyn(a[0]!) || ['string', 'bool'].includes(a[0]!.k)) }],
  dyn: [{ args: [], result: DYN, match: (a) => a.length === 1 }],
  type: [{ args: [], result: TYPE, match: (a) => a.length === 1 }],
};

/** Methods: the receiver is the first argument. */
const METHODS: Record<string, Overload[]> = {
  size: FUNCTIONS.size!,
  contains: [{ args: [STRING, STRING], result: BOOL }],
  startsWith: [{ args: [STRING, STRING], result: BOOL }],
  endsWith: [{ args: [STRING, STRING], result: BOOL }],
  matches: [{ args: [STRING, STRING], result: BOOL }],
};

export interface CheckEnv {
  variables: Readonly<Record<string, CelT>>;
  functions: Readonly<Record<string, Array<{ args: CelT[]; result: CelT }>>>;
}

export class CelCheckError extends Error {}

/** The type of a parsed expression; throws CelCheckError with cel-go's wording and a position. */
export function checkExpression(parsed: ParsedExpr, source: string, env: CheckEnv): CelT {
  const where = (e: Expr): string => {
    const offset = Number(parsed.sourceInfo?.positions[String(e.id)] ?? 0);
    const before = source.slice(0, offset);
    const line = before.split('\n').length;
    const col = offset - (before.lastIndexOf('\n') + 1) + 1;
    return `<input>:${line}:${col}`;
  };
  const fail = (e: Expr, message: string): never => {
    throw new CelCheckError(`ERROR: ${where(e)}: ${message}`);
  };
  const overload = (e: Expr, name: string, candidates: Overload[] | undefined, args: CelT[]): CelT => {
    if (!candidates) return fail(e, `undeclared reference to '${name}' (in container '')`);
    for (const o of candidates) {
      const ok = o.match ? o.match(args) : o.args.length === args.length && o.args.every((a, i) => fits(a, args[i]!));
      if (ok) return typeof o.result === 'function' ? o.result(args) : o.result;
    }
    return fail(e, `found no matching overload for '${name}' applied to '(${args.map(typeName).join(', ')})'`);
  };

  const scopes: Array<Record<string, CelT>> = [];
  const lookup = (name: string): CelT | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) if (name in scopes[i]!) return scopes[i]![name];
    return env.variables[name];
  };

  const check = (e: Expr): CelT => {
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr': {
        switch (k.value.constantKind.case) {
          case 'boolValue':
            return BOOL;
          case 'int64Value':
            return INT;
          case 'uint64Value':
            return UINT;
          case 'doubleValue':
            return DOUBLE;
          case 'stringValue':
            return STRING;
          case 'bytesValue':
            return BYTES;
          case 'nullValue':
            return NULL;
          default:
            return DYN;
        }
      }
      case 'identExpr': {
        const v = lookup(k.value.name);
        return v ?? fail(e, `undeclared reference to '${k.value.name}' (in container '')`);
      }
      case 'selectExpr': {
        const operand = check(k.value.operand!);
        const field = k.value.field;
        let type: CelT;
        if (operand.k === 'message') {
          const f = operand.fields[field];
          if (!f) return fail(e, `undefined field '${field}'`);
          type = f;
        } else if (operand.k === 'map') {
          type = operand.value;
        } else if (operand.k === 'dyn') {
          type = DYN;
        } else {
          return fail(e, `type '${typeName(operand)}' does not support field selection`);
        }
        return k.value.testOnly ? BOOL : type;
      }
      case 'callExpr': {
        const { function: name, target, args } = k.value;
        const argTypes = args.map(check);
        if (target) {
          const recv = check(target);
          return overload(e, name, METHODS[name], [recv, ...argTypes]);
        }
        const custom = env.functions[name];
        if (custom) return overload(e, name, custom, argTypes);
        return overload(e, name, FUNCTIONS[name], argTypes);
      }
      case 'listExpr': {
        const elems = k.value.elements.map(check);
        const first = elems[0];
        return listOf(first && elems.every((x) => fits(x, first) && typeName(x) === typeName(first)) ? first : DYN);
      }
      case 'structExpr': {
        if (k.value.messageName !== '') return fail(e, `undeclared reference to '${k.value.messageName}' (in container '')`);
        const keys: CelT[] = [];
        const values: CelT[] = [];
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === 'mapKey') keys.push(check(entry.keyKind.value));
          values.push(check(entry.value!));
        }
        const uniform = (xs: CelT[]) => (xs[0] && xs.every((x) => typeName(x) === typeName(xs[0]!)) ? xs[0] : DYN);
        return { k: 'map', key: uniform(keys), value: uniform(values) };
      }
      case 'comprehensionExpr': {
        const c = k.value;
        const range = check(c.iterRange!);
        const iter = range.k === 'list' ? range.elem : range.k === 'map' ? range.key : range.k === 'dyn' ? DYN : fail(c.iterRange!, `expression of type '${typeName(range)}' cannot be range of a comprehension (must be list, map, or dynamic)`);
        const accu = check(c.accuInit!);
        scopes.push({ [c.iterVar]: iter, [c.accuVar]: accu });
        check(c.loopCondition!);
        const step = check(c.loopStep!);
        scopes[scopes.length - 1]![c.accuVar] = accu.k === 'list' && step.k === 'list' && isDyn(accu.elem) ? step : accu;
        const result = check(c.result!);
        scopes.pop();
        return result;
      }
      default:
        return DYN;
    }
  };
  return check(parsed.expr!);
}
