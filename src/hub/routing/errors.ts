/**
 * The one error type of the route language: every lexical, syntax, type, built-in function and
 * endpoint problem found while compiling a route is a {@link RouteSyntaxError} carrying the
 * position in the route text and a human-readable reason (routing.md §4.2 message forms).
 *
 * @module
 */

/** A place in the route text: 0-based offset, 1-based line and column. */
export interface SourcePosition {
  offset: number;
  line: number;
  column: number;
}

/** What kind of compile problem it is; lets callers group errors without parsing messages. */
export type RouteErrorKind = "syntax" | "type" | "function" | "endpoint" | "source";

/** Thrown by the route compiler; the message reads `<reason> (line L, column C)`. */
export class RouteSyntaxError extends Error {
  readonly position: SourcePosition;
  readonly reason: string;
  readonly kind: RouteErrorKind;

  constructor(kind: RouteErrorKind, reason: string, position: SourcePosition) {
    super(`${reason} (line ${position.line}, column ${position.column})`);
    this.name = "RouteSyntaxError";
    this.kind = kind;
    this.reason = reason;
    this.position = position;
  }
}

/** Converts a 0-based offset in `text` into a line/column position. */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let column = 1;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { offset: end, line, column };
}

/** Builds a {@link RouteSyntaxError} at `offset` of `text`. */
export function routeError(
  kind: RouteErrorKind,
  reason: string,
  text: string,
  offset: number,
): RouteSyntaxError {
  return new RouteSyntaxError(kind, reason, positionAt(text, offset));
}
