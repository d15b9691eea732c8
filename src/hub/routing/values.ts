/**
 * Runtime values and static types of the condition language, and the operator semantics on
 * them: Kleene three-valued AND/OR/NOT with edgeHub's `null` rules, typed comparisons that
 * yield undefined on missing operands, and `$body` (QueryValue) comparisons ordered by type
 * rank (routing.md §4.3, §4.6).
 *
 * @module
 */

/** Static (compile-time) type of an expression; `query` is a `$body` value of unknown type. */
export type StaticType = "number" | "string" | "bool" | "null" | "undefined" | "query";

/** Runtime value. JS `undefined` is the language's undefined; NaN also counts as undefined. */
export type Value = number | string | boolean | null | undefined;

/** Comparison operators after `<>` is folded into `!=`. */
export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** Display name of a static type in error messages. */
export function typeName(t: StaticType): string {
  return t === "query" ? "QueryValue" : t;
}

/** True unless the value is undefined or NaN (`null` is defined). */
export function isDefinedValue(v: Value): boolean {
  return v !== undefined && !(typeof v === "number" && Number.isNaN(v));
}

/** The number in `v`, or undefined when it is not a (non-NaN) number. */
export function numberOf(v: Value): number | undefined {
  return typeof v === "number" && !Number.isNaN(v) ? v : undefined;
}

function applyOrder(op: CompareOp, order: number): boolean {
  switch (op) {
    case "=":
      return order === 0;
    case "!=":
      return order !== 0;
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
  }
}

function order(a: number | string | boolean, b: number | string | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two values whose static types are both `type` (not `query`). Any operand that is
 * missing, null-valued (for strings) or NaN makes the result undefined; `null` op `null` follows
 * edgeHub (`=`, `<=`, `>=` true; `!=`, `<`, `>` false).
 */
export function compareTyped(
  type: StaticType,
  op: CompareOp,
  a: Value,
  b: Value,
): boolean | undefined {
  switch (type) {
    case "number":
      if (numberOf(a) === undefined || numberOf(b) === undefined) return undefined;
      return applyOrder(op, order(a as number, b as number));
    case "string":
    case "bool": {
      const want = type === "string" ? "string" : "boolean";
      if (typeof a !== want || typeof b !== want) return undefined;
      return applyOrder(op, order(a as string | boolean, b as string | boolean));
    }
    case "null":
      return a === null && b === null ? applyOrder(op, 0) : undefined;
    default:
      return undefined;
  }
}

// bool < number < string < null (objects never reach here: they read as undefined).
function rank(v: number | string | boolean | null): number {
  if (typeof v === "boolean") return 0;
  if (typeof v === "number") return 1;
  if (typeof v === "string") return 2;
  return 3;
}

/**
 * Compares where at least one side is a `$body` value: undefined if either side is undefined;
 * values of different runtime types order by type rank and are never equal.
 */
export function compareQuery(op: CompareOp, a: Value, b: Value): boolean | undefined {
  if (!isDefinedValue(a) || !isDefinedValue(b)) return undefined;
  const x = a as number | string | boolean | null;
  const y = b as number | string | boolean | null;
  const rx = rank(x);
  const ry = rank(y);
  if (rx !== ry) return applyOrder(op, rx - ry);
  if (x === null || y === null) return applyOrder(op, 0);
  return applyOrder(op, order(x, y));
}

type Logic = boolean | null | undefined;
const logic = (v: Value): Logic => (typeof v === "boolean" || v === null ? v : undefined);

/** Kleene AND; any `null` operand makes the result `null` (edgeHub `Null & x`). */
export function and(a: Value, b: Value): Logic {
  const x = logic(a);
  const y = logic(b);
  if (x === null || y === null) return null;
  if (x === false || y === false) return false;
  return x === true && y === true ? true : undefined;
}

/** Kleene OR; `null OR x` is `x`, `null OR null` is `null`. */
export function or(a: Value, b: Value): Logic {
  const x = logic(a);
  const y = logic(b);
  if (x === null) return y;
  if (y === null) return x;
  if (x === true || y === true) return true;
  return x === false && y === false ? false : undefined;
}

/** NOT: `NOT null` is true, `NOT undefined` is undefined. */
export function not(a: Value): Logic {
  const x = logic(a);
  if (x === null) return true;
  return x === undefined ? undefined : !x;
}
