/**
 * The built-in functions of the edge condition language (routing.md §4.5) with their static
 * overloads and runtime behaviour. Overloads are chosen at compile time from argument types:
 * an exact match first, then one where `$body` (QueryValue) arguments fill any slot.
 *
 * @module
 */

import { isDefinedValue, numberOf, type StaticType, type Value } from "./values.ts";

/** Runtime body of a built-in: receives evaluated arguments. */
type Impl = (args: Value[]) => Value;

interface Overload {
  /** Parameter types; `any` accepts every static type. */
  params: readonly (StaticType | "any")[];
  /** If set, the last parameter type repeats and at least `minArity` arguments are needed. */
  minArity?: number;
  result: StaticType;
  /** Whether QueryValue arguments may fill typed slots. */
  acceptsQuery: boolean;
  impl: Impl;
}

const str = (v: Value): string | undefined => (typeof v === "string" ? v : undefined);
const num = numberOf;
const finite = (n: number): Value => (Number.isNaN(n) ? undefined : n);

function math(fn: (...xs: number[]) => number, arity = 1): Overload {
  return {
    params: Array(arity).fill("number"),
    result: "number",
    acceptsQuery: true,
    impl: (args) => {
      const xs = args.map(num);
      return xs.every((x) => x !== undefined) ? finite(fn(...(xs as number[]))) : undefined;
    },
  };
}

function stringFn(
  params: readonly StaticType[],
  result: StaticType,
  fn: (...args: never[]) => Value,
): Overload {
  return {
    params,
    result,
    acceptsQuery: true,
    impl: (args) => {
      const ok = args.every((
        a,
        i,
      ) => (params[i] === "string" ? typeof a === "string" : num(a) !== undefined));
      return ok ? (fn as (...a: Value[]) => Value)(...args) : undefined;
    },
  };
}

/** Parses like .NET `double.Parse(s, NumberStyles.Any, InvariantCulture)`. */
export function parseDotnetNumber(text: string): number | undefined {
  let s = text.trim();
  let negative = false;
  if (s.startsWith("(") && s.endsWith(")")) {
    negative = true;
    s = s.slice(1, -1).trim();
  }
  s = s.replace(/\u00a4/g, "").trim();
  const special = /^([+-]?)(infinity|∞|nan)$/i.exec(s);
  if (special) {
    const v = special[2].toLowerCase() === "nan" ? NaN : Infinity;
    return special[1] === "-" ? -v : v;
  }
  const m = /^([+-]?)((?:[0-9][0-9,]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)([+-]?)$/.exec(s);
  if (!m || !/[0-9]/.test(m[2].split(/[eE]/)[0]) || (m[1] && m[3])) return undefined;
  const value = Number(m[2].replace(/,/g, ""));
  if (Number.isNaN(value)) return undefined;
  const sign = m[1] === "-" || m[3] === "-" ? -1 : 1;
  return (negative ? -1 : 1) * sign * value;
}

function isQueryBool(check: (v: Value) => boolean): Overload[] {
  return [
    {
      params: ["query"],
      result: "bool",
      acceptsQuery: false,
      impl: ([v]) => (v === undefined ? undefined : check(v)),
    },
    { params: ["any"], result: "bool", acceptsQuery: false, impl: ([v]) => check(v) },
  ];
}

function substring(args: Value[]): Value {
  const s = str(args[0]);
  const start = num(args[1]);
  if (s === undefined || start === undefined || !Number.isFinite(start)) return undefined;
  const from = Math.trunc(start);
  if (args.length === 2) return from >= 0 && from <= s.length ? s.slice(from) : undefined;
  const len = num(args[2]);
  if (len === undefined || !Number.isFinite(len)) return undefined;
  const count = Math.trunc(len);
  const valid = from >= 0 && from < s.length && count >= 0 && count <= s.length - from;
  return valid ? s.slice(from, from + count) : undefined;
}

const BUILTINS: ReadonlyMap<string, readonly Overload[]> = new Map<string, Overload[]>([
  ["abs", [math(Math.abs)]],
  ["exp", [math(Math.exp)]],
  ["power", [math(Math.pow, 2)]],
  ["square", [math((x) => x * x)]],
  ["ceiling", [math(Math.ceil)]],
  ["floor", [math(Math.floor)]],
  ["sign", [math((x) => (x > 0 ? 1 : x < 0 ? -1 : 0))]],
  ["sqrt", [math(Math.sqrt)]],
  ["as_number", [
    { params: ["number"], result: "number", acceptsQuery: false, impl: ([v]) => num(v) },
    {
      params: ["string"],
      result: "number",
      acceptsQuery: true,
      impl: ([v]) => (typeof v === "string" ? parseDotnetNumber(v) : num(v)),
    },
  ]],
  ["is_bool", isQueryBool((v) => typeof v === "boolean")],
  ["is_defined", [{
    params: ["any"],
    result: "bool",
    acceptsQuery: false,
    impl: ([v]) => isDefinedValue(v),
  }]],
  ["is_null", [
    { params: ["string"], result: "bool", acceptsQuery: false, impl: ([v]) => v === null },
    // edgeHub compares a QueryValue by identity, so any defined body value reads as null.
    {
      params: ["query"],
      result: "bool",
      acceptsQuery: false,
      impl: ([v]) => (isDefinedValue(v) ? true : undefined),
    },
    { params: ["null"], result: "bool", acceptsQuery: false, impl: () => true },
    { params: ["any"], result: "bool", acceptsQuery: false, impl: () => false },
  ]],
  ["is_number", isQueryBool((v) => typeof v === "number" && Number.isFinite(v))],
  ["is_string", isQueryBool((v) => typeof v === "string")],
  ["concat", [{
    params: ["string", "string"],
    minArity: 2,
    result: "string",
    acceptsQuery: true,
    impl: concatValues,
  }]],
  ["length", [stringFn(["string"], "number", (s: string) => s.length)]],
  ["lower", [stringFn(["string"], "string", (s: string) => s.toLowerCase())]],
  ["upper", [stringFn(["string"], "string", (s: string) => s.toUpperCase())]],
  ["substring", [
    { params: ["string", "number"], result: "string", acceptsQuery: true, impl: substring },
    {
      params: ["string", "number", "number"],
      result: "string",
      acceptsQuery: true,
      impl: substring,
    },
  ]],
  ["index_of", [stringFn(["string", "string"], "number", (s: string, p: string) => s.indexOf(p))]],
  ["starts_with", [
    stringFn(["string", "string"], "bool", (s: string, p: string) => s.startsWith(p)),
  ]],
  ["ends_with", [stringFn(["string", "string"], "bool", (s: string, p: string) => s.endsWith(p))]],
  ["contains", [stringFn(["string", "string"], "bool", (s: string, p: string) => s.includes(p))]],
]);

/** `concat`/`||`: all arguments must be strings; a null-valued property reads as "". */
export function concatValues(args: Value[]): Value {
  let out = "";
  for (const a of args) {
    if (a === null) continue;
    if (typeof a !== "string") return undefined;
    out += a;
  }
  return out;
}

/** Names of every built-in (lower case), `twin_change_includes` included. */
export const BUILTIN_NAMES: readonly string[] = [...BUILTINS.keys(), "twin_change_includes"];

/** A resolved call: result type and runtime body. */
export interface ResolvedBuiltin {
  result: StaticType;
  impl: Impl;
}

function fits(o: Overload, types: readonly StaticType[], lenient: boolean): boolean {
  const arityOk = o.minArity === undefined
    ? types.length === o.params.length
    : types.length >= o.minArity;
  if (!arityOk) return false;
  return types.every((t, i) => {
    const p = o.params[Math.min(i, o.params.length - 1)];
    return p === "any" || p === t || (lenient && o.acceptsQuery && t === "query");
  });
}

/**
 * Finds the overload of `name` (case-insensitive) for the given argument types.
 * Returns "unknown" for a name that is not a built-in, "no-overload" when no overload fits.
 */
export function resolveBuiltin(
  name: string,
  types: readonly StaticType[],
): ResolvedBuiltin | "unknown" | "no-overload" {
  const overloads = BUILTINS.get(name.toLowerCase());
  if (overloads === undefined) return "unknown";
  const o = overloads.find((x) => fits(x, types, false)) ??
    overloads.find((x) => fits(x, types, true));
  return o === undefined ? "no-overload" : { result: o.result, impl: o.impl };
}
