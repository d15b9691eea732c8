/**
 * `ledge route test`: output lines and exit codes, with an injected writer and file reader.
 *
 * @module
 */

import assert from "node:assert/strict";
import { routeTestCommand } from "../../src/cli/route.ts";

const FILES: Record<string, string> = {
  "json.json": JSON.stringify({
    body: { temp: 31, name: "pump" },
    properties: { alert: "true" },
    systemProperties: { contentType: "application/json", contentEncoding: "utf-8" },
  }),
  "text.json": JSON.stringify({ body: "hello", systemProperties: { connectionModuleId: "m" } }),
  "empty.json": "{}",
  "bad.json": "{nope",
  "badprop.json": JSON.stringify({ properties: { a: 1 } }),
  "extra.json": JSON.stringify({ bodyy: 1 }),
};

async function run(argv: string[]): Promise<[number, string[]]> {
  let out = "";
  const code = await routeTestCommand(argv, {
    out: (t) => void (out += t),
    readFile: (p) => {
      const f = FILES[p];
      return f === undefined
        ? Promise.reject(
          Object.assign(new Error(`ENOENT: no such file '${p}'`), { code: "ENOENT" }),
        )
        : Promise.resolve(f);
    },
  });
  return [code, out.trimEnd().split("\n")];
}

/** [argv, exit code, first line, optional second-line pattern]. */
const VECTORS: [string[], number, string | RegExp, RegExp?][] = [
  [
    ["FROM /messages/* WHERE $body.temp > 30 INTO $upstream", "--message", "json.json"],
    0,
    "match",
    /^endpoint: \$upstream$/,
  ],
  [
    [
      "FROM /messages/* WHERE alert = 'true' INTO BrokeredEndpoint('/modules/f/inputs/i')",
      "--message",
      "json.json",
    ],
    0,
    "match",
    /\/modules\/f\/inputs\/i/,
  ],
  [["FROM /messages/* WHERE $body.name = 'pump' INTO $upstream", "-m", "json.json"], 0, "match"],
  [["test", "FROM /messages/* INTO $upstream", "--message", "empty.json"], 0, "match"],
  [
    ["FROM /messages/* WHERE $body.temp > 40 INTO $upstream", "--message", "json.json"],
    1,
    "no match",
    /evaluated to false/,
  ],
  [
    ["FROM /messages/* WHERE $body.x = 1 INTO $upstream", "--message", "text.json"],
    1,
    "no match",
    /undefined/,
  ],
  [
    ["FROM /messages/modules/other/* INTO $upstream", "--message", "text.json"],
    1,
    "no match",
    /source \/messages\/modules\/m\//,
  ],
  [
    ["FROM /messages/* WHERE temp > 30 INTO $upstream", "--message", "json.json"],
    2,
    /^error: Invalid operands .*line 1, column 29/,
  ],
  [
    ["FROM /messages/* INTO $upstream", "--message", "bad.json"],
    2,
    /^error: message file bad.json: not valid JSON/,
  ],
  [
    ["FROM /messages/* INTO $upstream", "--message", "badprop.json"],
    2,
    /^error: message file badprop.json: properties.a: /,
  ],
  [
    ["FROM /messages/* INTO $upstream", "--message", "extra.json"],
    2,
    /^error: message file extra.json: .*bodyy/,
  ],
  [
    ["FROM /messages/* INTO $upstream", "--message", "missing.json"],
    2,
    /^error: message file missing.json: cannot read/,
  ],
  [["FROM /messages/* INTO $upstream"], 2, /^error: --message FILE is required/],
  [["--message", "json.json"], 2, /^error: expected exactly one ROUTE/],
  [["FROM /* INTO $upstream", "--bogus"], 2, /^error: Unknown option/],
];

for (const [argv, code, first, second] of VECTORS) {
  Deno.test(`route test ${JSON.stringify(argv)}`, async () => {
    const [got, lines] = await run(argv);
    assert.equal(got, code, lines.join("\n"));
    if (typeof first === "string") assert.equal(lines[0], first);
    else assert.match(lines[0], first);
    if (second) assert.match(lines[1], second);
  });
}

Deno.test("route test --help prints usage and exits 0", async () => {
  const [code, lines] = await run(["--help"]);
  assert.equal(code, 0);
  assert.match(lines[0], /^usage: ledge route test/);
});

Deno.test("route test reads the message file from disk by default", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/m.json`;
  await Deno.writeTextFile(file, JSON.stringify({ properties: { a: "1" } }));
  let out = "";
  const code = await routeTestCommand(
    ["FROM /messages/* WHERE a = '1' INTO $upstream", "--message", file],
    { out: (t) => void (out += t) },
  );
  await Deno.remove(dir, { recursive: true });
  assert.equal(code, 0);
  assert.equal(out, "match\nendpoint: $upstream\n");
});
