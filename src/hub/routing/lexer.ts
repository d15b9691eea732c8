/**
 * Tokenizer shared by the route and condition grammars (routing.md §2.2). It reproduces the
 * ANTLR lexer's rule: at each position every token rule is tried, the longest match wins and a
 * tie goes to the rule listed first. That is why `a-b` is one identifier, `TRUE` is a property
 * name and `temp>30` still splits at `>`.
 *
 * @module
 */

/** Operator and punctuation tokens; the kind is the token text itself. */
export type OperatorKind =
  | "("
  | ")"
  | ","
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "="
  | "!="
  | "<>"
  | "<="
  | ">="
  | ">"
  | "<"
  | "||"
  | "??"
  | "{"
  | "}";

/** Every token kind the lexer produces. */
export type TokenKind =
  | "SELECT"
  | "FROM"
  | "WHERE"
  | "INTO"
  | "STRING"
  | "UNTERMINATED_STRING"
  | "INTEGER"
  | "HEX"
  | "REAL"
  | "TRUE"
  | "FALSE"
  | "NULL"
  | "UNDEFINED"
  | "AND"
  | "OR"
  | "NOT"
  | OperatorKind
  | "SYS_PROP"
  | "ID"
  | "QUERY_PATH"
  | "UNKNOWN"
  | "EOF";

/** One token: kind, exact source text and its [offset, end) range in the input. */
export interface Token {
  kind: TokenKind;
  text: string;
  offset: number;
  end: number;
  /** For strings: offset of an invalid `\` escape that cut the string short. */
  badEscapeAt?: number;
}

// Braces come from the parser grammar's implicit tokens, which rank before the lexer rules.
const OPERATORS: readonly OperatorKind[] = [
  "{",
  "}",
  "(",
  ")",
  ",",
  "+",
  "-",
  "*",
  "/",
  "%",
  "=",
  "!=",
  "<>",
  "<=",
  ">=",
  ">",
  "<",
  "||",
  "??",
];
const KEYWORDS = ["SELECT", "FROM", "WHERE", "INTO"] as const;
const LITERAL_WORDS = [["TRUE", "true"], ["FALSE", "false"], ["NULL", "null"], [
  "UNDEFINED",
  "undefined",
]] as const;
const LOGIC_WORDS = ["AND", "OR", "NOT"] as const;

const QUERY_PATH_EXCLUDED = new Set('()<>@,;:\\"/?={} \t\n\r');
const ID_EXCLUDED = new Set('()<>@,;:\\"/[]?={} \t\n\r');
const isSpace = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

function runLength(text: string, i: number, ok: (c: string) => boolean): number {
  let j = i;
  while (j < text.length && ok(text[j])) j++;
  return j - i;
}

function wordLength(text: string, i: number, word: string, ignoreCase: boolean): number {
  const got = text.slice(i, i + word.length);
  const same = ignoreCase ? got.toUpperCase() === word.toUpperCase() : got === word;
  return same ? word.length : 0;
}

/** Scans a quoted string; `closed` says whether the closing quote was found. */
function scanString(text: string, i: number): { length: number; closed: boolean; bad?: number } {
  const quote = text[i];
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === quote) return { length: j + 1 - i, closed: true };
    if (c === "\\") {
      const n = text[j + 1];
      if (n === '"' || n === "'" || n === "\\") j += 2;
      else if (n === "u" && [2, 3, 4, 5].every((k) => isHex(text[j + k]))) j += 6;
      else return { length: j - i, closed: false, bad: j };
    } else {
      j++;
    }
  }
  return { length: j - i, closed: false };
}

function integerLength(text: string, i: number): number {
  const sign = text[i] === "-" ? 1 : 0;
  const digits = runLength(text, i + sign, isDigit);
  return digits > 0 ? sign + digits : 0;
}

function exponentLength(text: string, i: number): number {
  if (text[i] !== "e" && text[i] !== "E") return 0;
  const sign = text[i + 1] === "+" || text[i + 1] === "-" ? 1 : 0;
  const digits = runLength(text, i + 1 + sign, isDigit);
  return digits > 0 ? 1 + sign + digits : 0;
}

function realLength(text: string, i: number): number {
  const sign = text[i] === "-" ? 1 : 0;
  const whole = runLength(text, i + sign, isDigit);
  let j = i + sign + whole;
  if (text[j] === ".") {
    const frac = runLength(text, j + 1, isDigit);
    if (frac === 0) return 0;
    j += 1 + frac;
    return j + exponentLength(text, j) - i;
  }
  const exp = exponentLength(text, j);
  return exp > 0 ? j + exp - i : 0;
}

function hexLength(text: string, i: number): number {
  if (text[i] !== "0" || (text[i + 1] !== "x" && text[i + 1] !== "X")) return 0;
  const digits = runLength(text, i + 2, isHex);
  return digits > 0 ? 2 + digits : 0;
}

function commentLength(text: string, i: number): number {
  if (!text.startsWith("/*", i)) return 0;
  const close = text.indexOf("*/", i + 2);
  return close < 0 ? 0 : close + 2 - i;
}

/**
 * Splits `text` into tokens (whitespace and comments dropped), ending with an EOF token.
 * Never throws: bad characters become `UNKNOWN` tokens that the parser reports.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const space = runLength(text, i, isSpace);
    if (space > 0) {
      i += space;
      continue;
    }
    // Candidates in rule order; the longest wins and the first listed wins a tie.
    let best: { kind: TokenKind | "COMMENT"; length: number; bad?: number } = {
      kind: "UNKNOWN",
      length: 0,
    };
    const offer = (kind: TokenKind | "COMMENT", length: number, bad?: number) => {
      if (length > best.length) best = { kind, length, bad };
    };
    for (const k of KEYWORDS) offer(k, wordLength(text, i, k, true));
    if (c === '"' || c === "'") {
      const s = scanString(text, i);
      offer(s.closed ? "STRING" : "UNTERMINATED_STRING", s.length, s.bad);
    }
    offer("INTEGER", integerLength(text, i));
    offer("HEX", hexLength(text, i));
    offer("REAL", realLength(text, i));
    for (const [kind, word] of LITERAL_WORDS) offer(kind, wordLength(text, i, word, false));
    for (const op of OPERATORS) offer(op, text.startsWith(op, i) ? op.length : 0);
    for (const k of LOGIC_WORDS) offer(k, wordLength(text, i, k, true));
    if (c === "$") {
      const rest = runLength(text, i + 1, (x) => !QUERY_PATH_EXCLUDED.has(x));
      offer("SYS_PROP", rest > 0 ? rest + 1 : 0);
    }
    offer("ID", runLength(text, i, (x) => !ID_EXCLUDED.has(x)));
    offer("QUERY_PATH", runLength(text, i, (x) => !QUERY_PATH_EXCLUDED.has(x)));
    offer("COMMENT", commentLength(text, i));
    if (best.length === 0) best = { kind: "UNKNOWN", length: 1 };
    const end = i + best.length;
    if (best.kind !== "COMMENT") {
      const token: Token = { kind: best.kind, text: text.slice(i, end), offset: i, end };
      if (best.bad !== undefined) token.badEscapeAt = best.bad;
      tokens.push(token);
    }
    i = end;
  }
  tokens.push({ kind: "EOF", text: "", offset: text.length, end: text.length });
  return tokens;
}

/** Decodes the body of a STRING token (quotes removed, `\"`, `\'`, `\\`, `\uXXXX` resolved). */
export function unescapeString(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const n = raw[i + 1];
    if (n === "u") {
      out += String.fromCharCode(parseInt(raw.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      out += n ?? "";
      i += 1;
    }
  }
  return out;
}
