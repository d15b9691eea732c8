/**
 * Parses and compiles one route `[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`
 * (routing.md §2) into a {@link CompiledRoute}: normalised source, compiled condition closure
 * and typed endpoint. Compilation happens once; matching a message is allocation-light.
 *
 * @module
 */

import type { Expr } from "./ast.ts";
import { compileExpr, type Evaluator } from "./compile_condition.ts";
import { parseConditionTokens } from "./condition_parser.ts";
import { type Endpoint, endpointKey, functionEndpoint, systemEndpoint } from "./endpoint.ts";
import { routeError, type RouteSyntaxError } from "./errors.ts";
import { type Token, tokenize, type TokenKind, unescapeString } from "./lexer.ts";
import { MessageView, type RouteMessage } from "./message_view.ts";
import { isTwinChangeSource, normalizeSource } from "./source.ts";
import type { Value } from "./values.ts";

/** A route compiled once, ready to be matched against messages. */
export interface CompiledRoute {
  /** The route text as given. */
  readonly text: string;
  /** Normalised source, e.g. `/messages/modules/sensor/`. */
  readonly source: string;
  /** Condition text as written (empty when there is no WHERE clause). */
  readonly conditionText: string;
  readonly endpoint: Endpoint;
  /** {@link endpointKey} of the endpoint. */
  readonly endpointKey: string;
  /** Whether the message's source is selected by this route. */
  sourceMatches(view: MessageView): boolean;
  /** Raw condition value (true only when there is no WHERE clause). */
  evaluate(view: MessageView): Value;
  /** Source matches and the condition is exactly `true`. */
  matches(message: RouteMessage | MessageView): boolean;
}

class RouteParser {
  pos = 0;
  readonly tokens: Token[];
  constructor(readonly text: string) {
    this.tokens = tokenize(text);
  }
  peek(): Token {
    return this.tokens[this.pos];
  }
  take(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== "EOF") this.pos++;
    return t;
  }
  error(t: Token, reason: string, kind: "syntax" | "endpoint" | "source" = "syntax") {
    return routeError(kind, reason, this.text, t.offset);
  }
  unexpected(t: Token, expected: string): RouteSyntaxError {
    if (t.kind === "UNKNOWN") return this.error(t, `Syntax error: invalid symbol '${t.text}'`);
    if (t.kind === "UNTERMINATED_STRING") return this.error(t, "Syntax error: unterminated string");
    const got = t.kind === "EOF" ? "end of input" : `'${t.text}'`;
    return this.error(t, `Syntax error: expected ${expected}, found ${got}`);
  }
  expect(kind: TokenKind, expected: string): Token {
    const t = this.take();
    if (t.kind !== kind) throw this.unexpected(t, expected);
    return t;
  }
}

interface ParsedRoute {
  source: string;
  condition: Expr | null;
  conditionText: string;
  endpoint: Endpoint;
}

function parseRoute(p: RouteParser): ParsedRoute {
  if (p.peek().kind === "EOF") throw p.error(p.peek(), "Syntax error: route is empty");
  if (p.peek().kind === "SELECT") {
    p.take();
    p.expect("*", "'*' after SELECT");
  }
  p.expect("FROM", "FROM");
  if (p.peek().kind !== "/") {
    throw p.error(p.peek(), "Syntax error: route source must start with '/'", "source");
  }
  let source = "";
  while (p.peek().kind === "/") {
    source += p.take().text;
    const item = p.take();
    if (item.kind !== "*" && item.kind !== "ID") throw p.unexpected(item, "a path segment");
    source += item.text;
  }
  let condition: Expr | null = null;
  let conditionText = "";
  if (p.peek().kind === "WHERE") {
    p.take();
    const first = p.peek();
    if (first.kind === "INTO") throw p.error(first, "Syntax error: empty condition after WHERE");
    const parsed = parseConditionTokens(p.text, p.tokens, p.pos, ["INTO"], false);
    conditionText = p.text.slice(first.offset, p.tokens[parsed.next - 1].end);
    condition = parsed.expr;
    p.pos = parsed.next;
  }
  p.expect("INTO", "WHERE or INTO");
  const sink = p.take();
  let endpoint: Endpoint | string;
  if (sink.kind === "SYS_PROP") {
    endpoint = systemEndpoint(sink.text);
  } else if (sink.kind === "ID") {
    p.expect("(", "'(' after endpoint function name");
    const arg = p.expect("STRING", "a quoted endpoint string");
    p.expect(")", "')'");
    endpoint = functionEndpoint(sink.text, unescapeString(arg.text.slice(1, -1)));
  } else {
    throw p.unexpected(sink, 'an endpoint ($upstream or BrokeredEndpoint("..."))');
  }
  if (typeof endpoint === "string") throw p.error(sink, endpoint, "endpoint");
  const end = p.peek();
  if (end.kind !== "EOF") throw p.unexpected(end, "end of route");
  return { source: normalizeSource(source), condition, conditionText, endpoint };
}

/**
 * Compiles a route. Throws {@link RouteSyntaxError} (with `.position` and `.reason`) on any
 * syntax, type, function or endpoint error.
 * @example compileRoute("FROM /messages/* WHERE $connectionModuleId = 'sensor' INTO $upstream")
 */
export function compileRoute(text: string): CompiledRoute {
  const parsed = parseRoute(new RouteParser(text));
  const twinChangeSource = isTwinChangeSource(parsed.source);
  const condition: Evaluator | null = parsed.condition === null
    ? null
    : compileExpr(parsed.condition, { text, twinChangeSource }).eval;
  const sourceUpper = parsed.source.toUpperCase();
  const sourceMatches = (view: MessageView) => view.sourceUpper().startsWith(sourceUpper);
  const evaluate = (view: MessageView): Value => (condition === null ? true : condition(view));
  return {
    text,
    source: parsed.source,
    conditionText: parsed.conditionText,
    endpoint: parsed.endpoint,
    endpointKey: endpointKey(parsed.endpoint),
    sourceMatches,
    evaluate,
    matches(message) {
      const view = message instanceof MessageView ? message : new MessageView(message);
      return sourceMatches(view) && evaluate(view) === true;
    },
  };
}

/** A standalone compiled condition (tests, tools). */
export interface CompiledCondition {
  evaluate(message: RouteMessage | MessageView): Value;
}

/**
 * Compiles a bare condition (the text after WHERE). An empty condition evaluates to undefined.
 * `twinChangeSource` enables `twin_change_includes`.
 */
export function compileCondition(text: string, twinChangeSource = false): CompiledCondition {
  const tokens = tokenize(text);
  const { expr } = parseConditionTokens(text, tokens, 0, ["EOF"], true);
  const f: Evaluator = expr === null
    ? () => undefined
    : compileExpr(expr, { text, twinChangeSource }).eval;
  return {
    evaluate: (m) => f(m instanceof MessageView ? m : new MessageView(m)),
  };
}
