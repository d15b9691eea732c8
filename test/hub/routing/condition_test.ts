/**
 * Condition language vectors beyond the spec's worked examples: every built-in, every operator,
 * undefined/null semantics, case-insensitive lookups and `$body` queries.
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileCondition, RouteSyntaxError } from "../../../src/hub/routing/mod.ts";
import { M1, msg } from "./_messages.ts";

const JSON_SYS = { contentType: "application/json", contentEncoding: "utf-8" };

/** A message with app properties, system properties and a JSON body. */
const MSG = msg(
  { ...JSON_SYS, connectionDeviceId: "dev1", cid: "abc", "absolute-expiry-time": "2030" },
  {
    Alert: "true",
    n: "42",
    s: "Hello World",
    neg: "-2.5",
    "$body.shadow": "app",
    amount: "(1,234.5)",
  },
  JSON.stringify({
    num: 30,
    str: "thirty",
    flag: false,
    arr: [1, "two", { x: 1 }],
    obj: { inner: { deep: 7 } },
    nul: null,
    shadow: "body",
  }),
);

/** [condition, expected T/F/U]. */
const VECTORS: [string, "T" | "F" | "U"][] = [
  // arithmetic and precedence
  ["1 + 2 * 3 = 7", "T"],
  ["(1 + 2) * 3 = 9", "T"],
  ["10 - 4 - 3 = 3", "T"],
  ["7 % 4 = 3", "T"],
  ["-7 % 4 = -3", "T"],
  ["- 2 * 3 = -6", "T"],
  ["0x10 = 16", "T"],
  ["0xFFFFFFFFFFFFFFFF = -1", "T"],
  ["1.5e1 = 15", "T"],
  ["3 / 0 > 1000000", "T"],
  ["is_number(3 / 0)", "F"],
  ["is_defined(3 / 0)", "T"],
  ["as_number(nope) + 1 = 1", "U"],
  // comparisons
  ["'a' < 'b'", "T"],
  ["'B' < 'a'", "T"],
  ["'abc' >= 'abc'", "T"],
  ["1 <> 2", "T"],
  ["1 != 1", "F"],
  ["false < true", "T"],
  ["null = null", "T"],
  ["null != null", "F"],
  ["null <= null", "T"],
  ["null < null", "F"],
  ["undefined = undefined", "U"],
  // three-valued logic
  ["true and true", "T"],
  ["true and false", "F"],
  ["undefined and undefined", "U"],
  ["false or undefined", "U"],
  ["not true", "F"],
  ["not (nope = 'x')", "U"],
  ["(null and null) = null", "T"],
  ["null or true", "T"],
  ["null or null", "U"],
  ["null and true", "U"],
  ["not not true", "T"],
  ["true or false and false", "T"],
  // coalesce
  ["(3 % 0 ?? 12.34) = 12.34", "T"],
  ["(s ?? 'x') = 'Hello World'", "T"],
  ["(undefined ?? undefined) = undefined", "U"],
  // properties, case-insensitivity
  ["alert = 'true'", "T"],
  ["ALERT = 'true'", "T"],
  ["alert = 'TRUE'", "F"],
  ["$CONNECTIONDEVICEID = 'dev1'", "T"],
  ["$cid = 'abc'", "T"],
  ["$correlationId = 'abc'", "U"],
  ["$absolute-expiry-time = '2030'", "T"],
  ["$nope = 'x'", "U"],
  ["$a[0] = undefined", "U"],
  ["$twin.tags.site = 'x'", "U"],
  // functions
  ["abs(-3) = 3", "T"],
  ["abs(as_number(nope)) = 3", "U"],
  ["exp(4000) > 1", "T"],
  ["power(2, 10) = 1024", "T"],
  ["square(1.5) = 2.25", "T"],
  ["ceiling(1.2) = 2", "T"],
  ["floor(-2.1) = -3", "T"],
  ["sign(0) = 0", "T"],
  ["sign(3 / 0) = 1", "T"],
  ["sqrt(16) = 4", "T"],
  ["as_number(n) = 42", "T"],
  ["as_number(neg) = -2.5", "T"],
  ["as_number(' 3 ') = 3", "T"],
  ["as_number('10e10') = 100000000000", "T"],
  ["as_number(amount) = -1234.5", "T"],
  ["as_number('abc') = 0", "U"],
  ["as_number(7) = 7", "T"],
  ["is_bool(true)", "T"],
  ["is_bool(nope)", "F"],
  ["is_bool('true')", "F"],
  ["is_defined(nope)", "F"],
  ["is_defined(null)", "T"],
  ["is_null(null)", "T"],
  ["is_null(3)", "F"],
  ["is_number(3)", "T"],
  ["is_number(n)", "F"],
  ["is_string(s)", "T"],
  ["is_string(nope)", "F"],
  ["is_string(3)", "F"],
  ["concat('a', 'b', 'c') = 'abc'", "T"],
  ["concat(s, nope) = 'x'", "U"],
  ["'a' || 'b' = 'ab'", "T"],
  ["length(s) = 11", "T"],
  ["length(nope) = 0", "U"],
  ["lower(s) = 'hello world'", "T"],
  ["UPPER(s) = 'HELLO WORLD'", "T"],
  ["substring(s, 6) = 'World'", "T"],
  ["substring(s, 0, 5) = 'Hello'", "T"],
  ["substring(s, 1.9, 2) = 'el'", "T"],
  ["substring(s, -1) = ''", "U"],
  ["index_of(s, 'World') = 6", "T"],
  ["index_of(s, 'world') = -1", "T"],
  ["starts_with(s, 'Hell')", "T"],
  ["starts_with(s, 'hell')", "F"],
  ["ends_with(s, 'World')", "T"],
  ["contains(s, 'o W')", "T"],
  ["contains(nope, 'x')", "U"],
  // $body queries
  ["$body.num = 30", "T"],
  ["$body.num > 29.5", "T"],
  ["$body.num = '30'", "F"],
  ["$body.str > 10", "T"],
  ["$body.str = 'thirty'", "T"],
  ["$body.flag = false", "T"],
  ["$body.flag", "F"],
  ["NOT $body.flag", "T"],
  ["$body.arr[1] = 'two'", "T"],
  ["$body.arr[9] = null", "T"],
  ["is_defined($body.arr[2])", "F"],
  ["$body.obj.inner.deep = 7", "T"],
  ["$BODY.obj.inner.deep = 7", "T"],
  ["$body.Num = null", "T"],
  ["$body.nul = null", "T"],
  ["$body.missing != 'x'", "T"],
  ["$body.missing < 5", "F"],
  ["is_number($body.missing) AND $body.missing > 30", "F"],
  ["is_number($body.num)", "T"],
  ["is_string($body.str)", "T"],
  ["is_bool($body.flag)", "T"],
  ["is_null($body.num)", "T"],
  ["$body.num + 1 = 31", "T"],
  ["$body.str + 1 = 31", "U"],
  ["upper($body.str) = 'THIRTY'", "T"],
  ["concat($body.str, '!') = 'thirty!'", "T"],
  ["($body.missing ?? 'd') = null", "T"],
  ["$body.shadow = 'app'", "T"],
  ["{$body.shadow} = 'body'", "T"],
];

for (const [condition, expected] of VECTORS) {
  Deno.test(`condition: ${condition} → ${expected}`, () => {
    const v = compileCondition(condition).evaluate(MSG);
    assert.equal(v === true ? "T" : v === false ? "F" : "U", expected, `value ${String(v)}`);
  });
}

const ERRORS: [string, RegExp][] = [
  ["'a' + 'b'", /binary operator '\+'/],
  ["3 + true", /binary operator '\+'/],
  ["key = null", /binary operator '='/],
  ["NOT a = 'x'", /unary operator 'NOT'/],
  ["round(3)", /Invalid built-in function 'round'/],
  ["lower(3)", /lower\(number\)/],
  ["$body. = 1", /\$body query cannot be empty/],
  ["$body.a[x] = 1", /Error in \$body query/],
  ["$body.0 = 1", /Error in \$body query/],
  ["a = (1", /missing closing '\)'/],
  ["from = 'x'", /unexpected 'from'/],
  ["a[0] = 1", /not a valid name/],
  ["5 -3", /unexpected '-3'/],
  ["3 = 3 ==", /unexpected '='/],
  // Both sides of ?? must have the same static type, so an `undefined` literal needs undefined.
  ["(undefined ?? 5) = 5", /binary operator '\?\?'/],
];

for (const [condition, reason] of ERRORS) {
  Deno.test(`condition error: ${condition}`, () => {
    assert.throws(
      () => compileCondition(condition),
      (e: unknown) => e instanceof RouteSyntaxError && reason.test(e.reason),
    );
  });
}

Deno.test("body queries need contentType application/json and a supported encoding", () => {
  const body = JSON.stringify({ t: 1 });
  const cond = compileCondition("$body.t = 1");
  const cases: [Record<string, string>, boolean][] = [
    [JSON_SYS, true],
    [{ contentType: "APPLICATION/JSON", contentEncoding: "UTF-8" }, true],
    [{ contenttype: "application/json", contentencoding: "utf-8" }, true],
    [{ contentType: "application/json; charset=utf-8", contentEncoding: "utf-8" }, false],
    [{ contentType: "application/json" }, false],
    [{ contentType: "text/plain", contentEncoding: "utf-8" }, false],
    [{ contentType: "application/json", contentEncoding: "latin1" }, false],
  ];
  for (const [sys, expected] of cases) {
    assert.equal(cond.evaluate(msg(sys, {}, body)) === true, expected, JSON.stringify(sys));
  }
});

Deno.test("body queries decode utf-16 (LE) and utf-32 (LE) bodies", () => {
  const text = '{"t":"é€😀"}';
  const utf16 = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    utf16[2 * i] = text.charCodeAt(i) & 0xff;
    utf16[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  const cps = [...text].map((c) => c.codePointAt(0)!);
  const utf32 = new Uint8Array(cps.length * 4);
  cps.forEach((cp, i) => new DataView(utf32.buffer).setUint32(4 * i, cp, true));
  const cond = compileCondition("$body.t = 'é€😀'");
  const sys = (enc: string) => ({ contentType: "application/json", contentEncoding: enc });
  assert.equal(cond.evaluate(msg(sys("utf-16"), {}, utf16)), true);
  assert.equal(cond.evaluate(msg(sys("UTF-32"), {}, utf32)), true);
});

Deno.test("non-object or invalid JSON bodies make $body undefined", () => {
  const cond = compileCondition("is_defined($body.a)");
  for (const body of ["[1,2]", "42", "{bad", ""]) {
    assert.equal(cond.evaluate(msg(JSON_SYS, {}, body)), false, body);
  }
});

Deno.test("M1 body is parsed once per message view and reused", () => {
  const cond = compileCondition("$body.name = 'pump-7' AND $body.ok AND $body.tags[1] = 'b'");
  assert.equal(cond.evaluate(M1), true);
});
