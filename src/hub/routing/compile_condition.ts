/**
 * Type-checks a condition tree and compiles it into a closure tree, once per route. Static type
 * rules follow edgeHub's `CheckOperands`/`Args.Match` (routing.md §4.2): mismatched operands,
 * unknown functions and bad argument types are compile errors that reject the route.
 *
 * @module
 */

import type { BinaryOperator, CallArg, Expr } from "./ast.ts";
import { bodyQueryValue, parseBodyPath, type PathSegment, selectJson } from "./body_query.ts";
import { concatValues, resolveBuiltin } from "./builtins.ts";
import { routeError } from "./errors.ts";
import type { MessageView } from "./message_view.ts";
import {
  and,
  type CompareOp,
  compareQuery,
  compareTyped,
  isDefinedValue,
  not,
  numberOf,
  or,
  type StaticType,
  typeName,
  type Value,
} from "./values.ts";

/** A compiled expression: evaluates against one message view. */
export type Evaluator = (view: MessageView) => Value;

/** A compiled expression with its static type. */
export interface Typed {
  type: StaticType;
  eval: Evaluator;
}

/** What the compiler needs to know about the surrounding route. */
export interface CompileOptions {
  /** The full text the offsets refer to (route or standalone condition). */
  text: string;
  /** True when the route source is `/twinChangeNotifications` (enables twin_change_includes). */
  twinChangeSource: boolean;
}

const ARITHMETIC = new Set<BinaryOperator>(["*", "/", "%", "+", "-"]);
const COMPARISON = new Set<BinaryOperator>(["<", "<=", ">", ">=", "=", "!=", "<>"]);
const LOGICAL: ReadonlySet<StaticType> = new Set(["bool", "null", "undefined", "query"]);
const QUERY_COMPATIBLE: ReadonlySet<StaticType> = new Set([
  "number",
  "string",
  "bool",
  "null",
  "query",
]);
const BODY_PREFIX = "$BODY.";
const TWIN_PREFIX = "$TWIN.";
const TWIN_PATH = /^(properties\.reported\.|properties\.desired\.|tags\.)/i;

const undefinedEval: Evaluator = () => undefined;

/** Compiles a parsed condition; throws RouteSyntaxError on type and function errors. */
export function compileExpr(expr: Expr, options: CompileOptions): Typed {
  return new Compiler(options).compile(expr);
}

function sameOrQuery(l: StaticType, r: StaticType): boolean {
  if (l === r) return true;
  return (l === "query" && QUERY_COMPATIBLE.has(r)) || (r === "query" && QUERY_COMPATIBLE.has(l));
}

/** Largest expression tree depth compiled (long AND/OR chains nest to the left). */
export const MAX_DEPTH = 1000;

class Compiler {
  private depth = 0;
  constructor(private readonly options: CompileOptions) {}

  fail(kind: "type" | "function", reason: string, offset: number): never {
    throw routeError(kind, reason, this.options.text, offset);
  }

  compile(e: Expr): Typed {
    if (++this.depth > MAX_DEPTH) {
      this.fail("type", `Expression too complex: nested deeper than ${MAX_DEPTH} levels`, e.offset);
    }
    try {
      return this.compileNode(e);
    } finally {
      this.depth--;
    }
  }

  compileNode(e: Expr): Typed {
    switch (e.type) {
      case "number":
      case "string":
      case "bool": {
        const v = e.value;
        return { type: e.type, eval: () => v };
      }
      case "null":
        return { type: "null", eval: () => null };
      case "undefined":
        return { type: "undefined", eval: undefinedEval };
      case "property": {
        const name = e.name;
        return { type: "string", eval: (m) => m.app(name) };
      }
      case "sysprop":
        return this.sysProperty(e.name, e.escaped, e.offset);
      case "call":
        return this.call(e.name, e.args, e.offset);
      case "unary":
        return this.unary(e.op, this.compile(e.operand), e.offset);
      case "binary":
        return this.binary(e.op, this.compile(e.left), this.compile(e.right), e.offset);
    }
  }

  bodyQuery(path: string, offset: number): Evaluator {
    const segments = parseBodyPath(path);
    if (typeof segments === "string") this.fail("type", segments, offset);
    const segs: readonly PathSegment[] = segments;
    return (m) => {
      const root = m.jsonBody();
      return root === undefined ? undefined : bodyQueryValue(root, segs);
    };
  }

  /** `$name`: app property `$name` first, then system property `name` (§4.4). */
  sysProperty(name: string, escaped: boolean, offset: number): Typed {
    const upper = name.toUpperCase();
    const hasBrackets = name.includes("[") || name.includes("]");
    if (upper.startsWith(BODY_PREFIX)) {
      const query = this.bodyQuery(name.slice(BODY_PREFIX.length), offset);
      if (escaped || hasBrackets) return { type: "query", eval: query };
      return {
        type: "query",
        eval: (m) => {
          const app = m.app(name);
          return app !== undefined ? app : query(m);
        },
      };
    }
    if (hasBrackets) return { type: "undefined", eval: undefinedEval };
    // `$twin` is not available at the edge: it compiles and is always undefined.
    if (upper.startsWith(TWIN_PREFIX)) return { type: "string", eval: undefinedEval };
    const sysName = name.slice(1);
    if (escaped) return { type: "string", eval: (m) => m.sys(sysName) };
    return {
      type: "string",
      eval: (m) => {
        const app = m.app(name);
        return app !== undefined ? app : m.sys(sysName);
      },
    };
  }

  call(name: string, args: readonly CallArg[], offset: number): Typed {
    if (name.toLowerCase() === "twin_change_includes") return this.twinChangeIncludes(args, offset);
    const compiled = args.map((a) => this.compile(a.expr));
    const types = compiled.map((c) => c.type);
    const resolved = resolveBuiltin(name, types);
    if (resolved === "unknown") {
      this.fail("function", `Invalid built-in function '${name}'`, offset);
    }
    if (resolved === "no-overload") {
      const sig = `${name}(${types.map(typeName).join(", ")})`;
      this.fail("function", `Invalid arguments to built-in function '${name}': ${sig}`, offset);
    }
    const { impl, result } = resolved;
    const evals = compiled.map((c) => c.eval);
    if (evals.length === 1) {
      const [a] = evals;
      return { type: result, eval: (m) => impl([a(m)]) };
    }
    return { type: result, eval: (m) => impl(evals.map((f) => f(m))) };
  }

  twinChangeIncludes(args: readonly CallArg[], offset: number): Typed {
    const name = "twin_change_includes";
    if (!this.options.twinChangeSource) {
      this.fail("function", `Invalid built-in function '${name}'`, offset);
    }
    const path = args.map((a) => a.rawText).join(",");
    if (args.length !== 1 || !TWIN_PATH.test(path)) {
      this.fail(
        "function",
        `Invalid argument to '${name}': '${path}' must start with properties.reported., properties.desired. or tags.`,
        offset,
      );
    }
    const segments = parseBodyPath(path);
    if (typeof segments === "string") this.fail("function", segments, offset);
    return {
      type: "bool",
      eval: (m) => {
        const root = m.twinBody();
        if (root === undefined) return undefined;
        const v = selectJson(root, segments);
        return v !== undefined && v !== null;
      },
    };
  }

  unary(op: "-" | "NOT", operand: Typed, offset: number): Typed {
    const t = operand.type;
    const f = operand.eval;
    if (op === "-") {
      if (t !== "number" && t !== "query") this.operandError(op, [t], "number", offset);
      return {
        type: "number",
        eval: (m) => {
          const v = numberOf(f(m));
          return v === undefined ? undefined : -v;
        },
      };
    }
    if (t !== "bool" && t !== "null" && t !== "query") {
      this.operandError("NOT", [t], "bool", offset);
    }
    return { type: "bool", eval: (m) => not(f(m)) };
  }

  binary(op: BinaryOperator, l: Typed, r: Typed, offset: number): Typed {
    const lf = l.eval;
    const rf = r.eval;
    if (ARITHMETIC.has(op)) {
      const ok = (t: StaticType) => t === "number" || t === "query";
      if (!ok(l.type) || !ok(r.type)) this.operandError(op, [l.type, r.type], "number", offset);
      const calc = arithmetic(op);
      return {
        type: "number",
        eval: (m) => {
          const a = numberOf(lf(m));
          const b = numberOf(rf(m));
          return a === undefined || b === undefined ? undefined : calc(a, b);
        },
      };
    }
    if (op === "||") {
      const ok = (t: StaticType) => t === "string" || t === "query";
      if (!ok(l.type) || !ok(r.type)) this.operandError(op, [l.type, r.type], "string", offset);
      return { type: "string", eval: (m) => concatValues([lf(m), rf(m)]) };
    }
    if (COMPARISON.has(op)) {
      if (!sameOrQuery(l.type, r.type)) this.operandError(op, [l.type, r.type], l.type, offset);
      const cop: CompareOp = op === "<>" ? "!=" : op as CompareOp;
      if (l.type === "query" || r.type === "query") {
        return { type: "bool", eval: (m) => compareQuery(cop, lf(m), rf(m)) };
      }
      const t = l.type;
      return { type: "bool", eval: (m) => compareTyped(t, cop, lf(m), rf(m)) };
    }
    if (op === "AND" || op === "OR") {
      if (!LOGICAL.has(l.type) || !LOGICAL.has(r.type)) {
        this.operandError(op, [l.type, r.type], "bool", offset);
      }
      const nullType = op === "AND"
        ? l.type === "null" || r.type === "null"
        : l.type === "null" && r.type === "null";
      const fn = op === "AND" ? and : or;
      return { type: nullType ? "null" : "bool", eval: (m) => fn(lf(m), rf(m)) };
    }
    // "??": coalesce
    if (!sameOrQuery(l.type, r.type)) this.operandError(op, [l.type, r.type], l.type, offset);
    if (l.type === "undefined") return r;
    const type = l.type === "query" || r.type === "query" ? "query" : l.type;
    return {
      type,
      eval: (m) => {
        const v = lf(m);
        return isDefinedValue(v) ? v : rf(m);
      },
    };
  }

  operandError(op: string, have: StaticType[], expected: StaticType, offset: number): never {
    const got = have.map((t) => `'${typeName(t)}'`).join(" and ");
    const want = have.map(() => `'${typeName(expected)}'`).join(" and ");
    const kind = have.length === 1 ? "unary" : "binary";
    const noun = have.length === 1 ? "operand" : "operands";
    return this.fail(
      "type",
      `Invalid ${noun} to ${kind} operator '${op}': have ${got}, expected ${want}`,
      offset,
    );
  }
}

function arithmetic(op: BinaryOperator): (a: number, b: number) => number {
  switch (op) {
    case "*":
      return (a, b) => a * b;
    case "/":
      return (a, b) => a / b;
    case "%":
      return (a, b) => a % b;
    case "+":
      return (a, b) => a + b;
    default:
      return (a, b) => a - b;
  }
}
