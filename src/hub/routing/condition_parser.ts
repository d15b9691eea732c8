/**
 * Recursive-descent parser for the condition language (the text between WHERE and INTO,
 * routing.md §4.1). Binary operators are left-associative; from tightest to loosest:
 * unary `-`/NOT, `* / %`, `+ - ||`, `< <= > >=`, `= != <>`, AND, OR, `??`.
 *
 * @module
 */

import type { BinaryOperator, CallArg, Expr } from "./ast.ts";
import { routeError, type RouteSyntaxError } from "./errors.ts";
import { type Token, type TokenKind, unescapeString } from "./lexer.ts";

const LEVELS: readonly (readonly TokenKind[])[] = [
  ["??"],
  ["OR"],
  ["AND"],
  ["=", "!=", "<>"],
  ["<", "<=", ">", ">="],
  ["+", "-", "||"],
  ["*", "/", "%"],
];

/** Result of parsing one condition out of a token stream. */
export interface ParsedCondition {
  /** `null` when the condition is empty (only legal for a standalone condition). */
  expr: Expr | null;
  /** Index of the terminating token. */
  next: number;
}

/**
 * Parses a condition starting at `tokens[start]` and stopping at the first token whose kind is
 * in `stop` (EOF for a standalone condition, INTO inside a route). Throws RouteSyntaxError.
 */
export function parseConditionTokens(
  text: string,
  tokens: readonly Token[],
  start: number,
  stop: readonly TokenKind[],
  allowEmpty: boolean,
): ParsedCondition {
  const p = new ConditionParser(text, tokens, start);
  if (stop.includes(p.peek().kind) && allowEmpty) return { expr: null, next: p.pos };
  const expr = p.parseExpr(0);
  const t = p.peek();
  if (!stop.includes(t.kind)) {
    if (t.kind === ")") throw p.error(t, "Syntax error: unmatched closing ')'");
    throw p.unexpected(t);
  }
  return { expr, next: p.pos };
}

/** Deepest nesting of parentheses, unary operators and calls accepted (bounds recursion). */
export const MAX_NESTING = 200;

class ConditionParser {
  pos: number;
  depth = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
    start: number,
  ) {
    this.pos = start;
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  take(): Token {
    const t = this.peek();
    if (t.kind !== "EOF") this.pos++;
    return t;
  }

  error(t: Token, reason: string, offset = t.offset): RouteSyntaxError {
    return routeError("syntax", reason, this.text, offset);
  }

  unexpected(t: Token): RouteSyntaxError {
    switch (t.kind) {
      case "EOF":
        return this.error(t, "Syntax error: unexpected end of input");
      case "UNKNOWN":
        return this.error(t, `Syntax error: invalid symbol '${t.text}'`);
      case "UNTERMINATED_STRING":
        return t.badEscapeAt !== undefined
          ? this.error(t, "Syntax error: invalid escape sequence in string", t.badEscapeAt)
          : this.error(t, "Syntax error: unterminated string");
      case "QUERY_PATH":
        return this.error(t, `Syntax error: '${t.text}' is not a valid name ('[' ']' need '$')`);
      default:
        return this.error(t, `Syntax error: unexpected '${t.text}'`);
    }
  }

  parseExpr(level: number): Expr {
    if (level >= LEVELS.length) return this.parseUnary();
    let left = this.parseExpr(level + 1);
    while (LEVELS[level].includes(this.peek().kind)) {
      const opToken = this.take();
      const right = this.parseExpr(level + 1);
      const op = opToken.kind as BinaryOperator;
      left = { type: "binary", op, left, right, offset: opToken.offset };
    }
    return left;
  }

  parseUnary(): Expr {
    const t = this.peek();
    if (++this.depth > MAX_NESTING) {
      throw this.error(t, `Syntax error: expression nested deeper than ${MAX_NESTING} levels`);
    }
    try {
      if (t.kind === "-" || t.kind === "NOT") {
        this.take();
        const operand = this.parseUnary();
        return { type: "unary", op: t.kind, operand, offset: t.offset };
      }
      return this.parsePrimary();
    } finally {
      this.depth--;
    }
  }

  parsePrimary(): Expr {
    const t = this.take();
    const offset = t.offset;
    switch (t.kind) {
      case "(": {
        const inner = this.parseExpr(0);
        if (this.peek().kind !== ")") {
          if (this.peek().kind === "EOF" || this.peek().kind === "INTO") {
            throw this.error(t, "Syntax error: missing closing ')'");
          }
          throw this.unexpected(this.peek());
        }
        this.take();
        return inner;
      }
      case "INTEGER":
      case "REAL":
        return { type: "number", value: Number(t.text), offset };
      case "HEX":
        return hexLiteral(t);
      case "STRING":
        return { type: "string", value: unescapeString(t.text.slice(1, -1)), offset };
      case "TRUE":
      case "FALSE":
        return { type: "bool", value: t.kind === "TRUE", offset };
      case "NULL":
        return { type: "null", offset };
      case "UNDEFINED":
        return { type: "undefined", offset };
      case "SYS_PROP":
        return { type: "sysprop", name: t.text, escaped: false, offset };
      case "{": {
        const prop = this.take();
        if (prop.kind !== "SYS_PROP") throw this.unexpected(prop);
        const close = this.take();
        if (close.kind !== "}") throw this.unexpected(close);
        return { type: "sysprop", name: prop.text, escaped: true, offset: prop.offset };
      }
      case "ID":
        if (this.peek().kind === "(") return this.parseCall(t);
        return { type: "property", name: t.text, offset };
      default:
        throw this.unexpected(t);
    }
  }

  parseCall(name: Token): Expr {
    const open = this.take();
    const args: CallArg[] = [];
    if (this.peek().kind !== ")") {
      for (;;) {
        const first = this.pos;
        const expr = this.parseExpr(0);
        const rawText = this.tokens.slice(first, this.pos).map((x) => x.text).join("");
        args.push({ expr, rawText });
        if (this.peek().kind !== ",") break;
        this.take();
      }
    }
    const close = this.peek();
    if (close.kind !== ")") {
      if (close.kind === "EOF" || close.kind === "INTO") {
        throw this.error(open, "Syntax error: missing closing ')'");
      }
      throw this.unexpected(close);
    }
    this.take();
    return { type: "call", name: name.text, args, offset: name.offset };
  }
}

/** Hex literals are signed 64-bit; more than 64 bits does not parse and yields undefined. */
function hexLiteral(t: Token): Expr {
  const digits = t.text.slice(2).replace(/^0+/, "");
  if (digits.length > 16) return { type: "undefined", offset: t.offset };
  const value = Number(BigInt.asIntN(64, BigInt("0x" + (digits || "0"))));
  return { type: "number", value, offset: t.offset };
}
