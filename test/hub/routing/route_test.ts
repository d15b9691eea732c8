/**
 * Route-level parsing: forms, sinks, endpoints and error positions (routing.md §2, §2.4).
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileRoute, RouteSyntaxError } from "../../../src/hub/routing/mod.ts";

Deno.test("sinks compile to typed endpoints with stable keys", () => {
  const cases: [string, unknown, string][] = [
    ["$upstream", { kind: "upstream" }, "$upstream"],
    ["$UPSTREAM", { kind: "upstream" }, "$upstream"],
    [
      'BrokeredEndpoint("/modules/filter/inputs/input1")',
      { kind: "module-input", moduleId: "filter", inputName: "input1" },
      "/modules/filter/inputs/input1",
    ],
    [
      "BROKEREDENDPOINT(' modules/f/inputs/i/ ')",
      { kind: "module-input", moduleId: "f", inputName: "i" },
      "/modules/f/inputs/i",
    ],
    [
      'BrokeredEndpoint("/x/Mod/y/In")',
      { kind: "module-input", moduleId: "Mod", inputName: "In" },
      "/modules/Mod/inputs/In",
    ],
  ];
  for (const [sink, endpoint, key] of cases) {
    const r = compileRoute(`FROM /messages/* INTO ${sink}`);
    assert.deepEqual(r.endpoint, endpoint, sink);
    assert.equal(r.endpointKey, key);
  }
});

Deno.test("route forms: comments, newlines, SELECT, condition text", () => {
  const r = compileRoute(
    "select * from /messages/modules/a/outputs/b\n  WHERE /* why */ $x = 'y'\r\n  INTO $upstream",
  );
  assert.equal(r.source, "/messages/modules/a/outputs/b/");
  assert.equal(r.conditionText, "$x = 'y'");
  assert.equal(compileRoute("FROM /messages/* INTO $upstream").conditionText, "");
});

/** [route, error kind, reason pattern, line, column]. */
const ERRORS: [string, string, RegExp, number, number][] = [
  ["", "syntax", /route is empty/, 1, 1],
  ["INTO $upstream", "syntax", /expected FROM/, 1, 1],
  ["SELECT FROM /x INTO $upstream", "syntax", /'\*' after SELECT/, 1, 8],
  ["FROM /messages/* $upstream", "syntax", /expected WHERE or INTO/, 1, 18],
  ["FROM /messages/* INTO", "syntax", /expected an endpoint/, 1, 22],
  ["FROM /messages/* INTO $downstream", "endpoint", /System endpoint type/, 1, 23],
  ["FROM /messages/* INTO Foo('/a/b/c/d')", "endpoint", /Function endpoint type 'Foo'/, 1, 23],
  ["FROM /messages/* INTO BrokeredEndpoint(x)", "syntax", /quoted endpoint string/, 1, 40],
  [
    'FROM /messages/* INTO BrokeredEndpoint("/modules/m/inputs/i/x")',
    "endpoint",
    /could not be parsed/,
    1,
    23,
  ],
  ["FROM /messages/* INTO $upstream $upstream", "syntax", /end of route/, 1, 33],
  ["FROM /messages/ /x INTO $upstream", "syntax", /a path segment/, 1, 17],
  ["FROM /messages/*\nWHERE\n  a > 1\nINTO $upstream", "type", /operator '>'/, 3, 5],
  ["FROM /messages/* WHERE a = 'x INTO $upstream", "syntax", /unterminated string/, 1, 28],
  ["FROM /messages/* WHERE foo(1) INTO $upstream", "function", /'foo'/, 1, 24],
];

for (const [route, kind, reason, line, column] of ERRORS) {
  Deno.test(`route error: ${JSON.stringify(route)}`, () => {
    assert.throws(
      () => compileRoute(route),
      (e: unknown) => {
        assert.ok(e instanceof RouteSyntaxError);
        assert.equal(e.kind, kind);
        assert.match(e.reason, reason);
        assert.deepEqual([e.position.line, e.position.column], [line, column]);
        assert.match(e.message, new RegExp(`line ${line}, column ${column}`));
        return true;
      },
    );
  });
}

Deno.test("pathological nesting is a clear error, not a stack overflow", () => {
  const deep = "(".repeat(5000) + "true" + ")".repeat(5000);
  assert.throws(() => compileRoute(`FROM /* WHERE ${deep} INTO $upstream`), /nested deeper/);
  const chain = Array(3000).fill("a = 'x'").join(" AND ");
  assert.throws(() => compileRoute(`FROM /* WHERE ${chain} INTO $upstream`), /too complex/);
  const ok = Array(500).fill("a = 'x'").join(" AND ");
  assert.equal(compileRoute(`FROM /* WHERE ${ok} INTO $upstream`).conditionText.length > 0, true);
});

Deno.test("random input only ever throws RouteSyntaxError", () => {
  const pieces = [
    "FROM ",
    "/messages/*",
    " WHERE ",
    " INTO ",
    "$upstream",
    "(",
    ")",
    "'s'",
    '"',
    "'",
    "\\",
    "$body.a",
    "[0]",
    "{",
    "}",
    "$x",
    " AND ",
    " or ",
    " NOT ",
    "=",
    "<>",
    "??",
    "||",
    "-",
    "3",
    "0x",
    "1e",
    ".",
    ",",
    "@",
    "lower(",
    "concat(",
    "null",
    "undefined",
    "true",
    "/*",
    "*/",
    " ",
  ];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    let text = i % 2 === 0 ? "FROM /messages/* WHERE " : "";
    for (let j = rand(12); j >= 0; j--) text += pieces[rand(pieces.length)];
    if (i % 2 === 0) text += " INTO $upstream";
    try {
      compileRoute(text).matches({ body: new Uint8Array(), properties: {}, systemProperties: {} });
    } catch (e) {
      assert.ok(e instanceof RouteSyntaxError, `${JSON.stringify(text)}: ${String(e)}`);
    }
  }
});
