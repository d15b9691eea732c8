/**
 * Lexer vectors: longest match with first-rule tie-break, as ANTLR does (routing.md §2.2).
 *
 * @module
 */

import assert from "node:assert/strict";
import { tokenize, unescapeString } from "../../../src/hub/routing/lexer.ts";

const VECTORS: [string, string][] = [
  ["a-b", "ID:a-b"],
  ["x*2", "ID:x*2"],
  ["3-4", "ID:3-4"],
  ["a - b", "ID:a -:- ID:b"],
  ["temp>30", "ID:temp >:> INTEGER:30"],
  ["key='v'", "ID:key =:= STRING:'v'"],
  ["TRUE true True", "ID:TRUE TRUE:true ID:True"],
  ["null NULL undefined", "NULL:null ID:NULL UNDEFINED:undefined"],
  ["and AND Or nOt android", "AND:and AND:AND OR:Or NOT:nOt ID:android"],
  ["-7 12.34 .5 1e5 0x1F", "INTEGER:-7 REAL:12.34 REAL:.5 REAL:1e5 HEX:0x1F"],
  ["$body.tags[0]", "SYS_PROP:$body.tags[0]"],
  ["$absolute-expiry-time", "SYS_PROP:$absolute-expiry-time"],
  ["{ $sys1 }", "{:{ SYS_PROP:$sys1 }:}"],
  [
    "a != b <> c <= d >= e || f ?? g",
    "ID:a !=:!= ID:b <>:<> ID:c <=:<= ID:d >=:>= ID:e ||:|| ID:f ??:?? ID:g",
  ],
  ["from FROM where Into select", "FROM:from FROM:FROM WHERE:where INTO:Into SELECT:select"],
  ["fromage", "ID:fromage"],
  ["/messages/*", "/:/ ID:messages /:/ *:*"],
  ["a /* comment */ b", "ID:a ID:b"],
  ["'unterminated", "UNTERMINATED_STRING:'unterminated"],
  ["a @ b", "ID:a UNKNOWN:@ ID:b"],
  ["a[0]", "QUERY_PATH:a[0]"],
  ["'abc'def", "ID:'abc'def"],
  ['"it\\"s"', 'STRING:"it\\"s"'],
];

for (const [input, expected] of VECTORS) {
  Deno.test(`lexer: ${input}`, () => {
    const got = tokenize(input).filter((t) => t.kind !== "EOF").map((t) => `${t.kind}:${t.text}`);
    assert.equal(got.join(" "), expected);
  });
}

Deno.test("lexer: offsets point into the input", () => {
  const [a, op, b] = tokenize("ab  >= 'x'");
  assert.deepEqual([a.offset, op.offset, b.offset, b.end], [0, 4, 7, 10]);
});

Deno.test("lexer: invalid escape cuts the string and records where", () => {
  const [t] = tokenize("'a\\nb'");
  assert.equal(t.kind, "UNTERMINATED_STRING");
  assert.equal(t.badEscapeAt, 2);
});

Deno.test("unescapeString handles quotes, backslash and \\uXXXX", () => {
  assert.equal(unescapeString("a\\'b\\\"c\\\\d\\u0041"), "a'b\"c\\dA");
});
