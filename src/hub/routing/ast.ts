/**
 * Syntax tree of a route condition, produced by the condition parser and consumed by the
 * compiler. Every node keeps the offset of the token that names it so type errors can point
 * at the operator or function that is wrong.
 *
 * @module
 */

/** Binary operators of the condition language, loosest last (routing.md §4.1). */
export type BinaryOperator =
  | "*"
  | "/"
  | "%"
  | "+"
  | "-"
  | "||"
  | "<"
  | "<="
  | ">"
  | ">="
  | "="
  | "!="
  | "<>"
  | "AND"
  | "OR"
  | "??";

/** A condition expression node. */
export type Expr =
  | { type: "number"; value: number; offset: number }
  | { type: "string"; value: string; offset: number }
  | { type: "bool"; value: boolean; offset: number }
  | { type: "null"; offset: number }
  | { type: "undefined"; offset: number }
  /** Bare identifier: application property. */
  | { type: "property"; name: string; offset: number }
  /** `$name` (escaped = written as `{$name}`). */
  | { type: "sysprop"; name: string; escaped: boolean; offset: number }
  | { type: "call"; name: string; args: CallArg[]; offset: number }
  | { type: "unary"; op: "-" | "NOT"; operand: Expr; offset: number }
  | { type: "binary"; op: BinaryOperator; left: Expr; right: Expr; offset: number };

/** A function argument: the parsed expression and its raw token text (for twin paths). */
export interface CallArg {
  expr: Expr;
  rawText: string;
}
