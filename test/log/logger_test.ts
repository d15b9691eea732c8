/** The logger: one line per event, fields as k=v, undefined fields left out, levels filter. */
import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";

Deno.test("logger writes k=v fields, quotes values with spaces, omits undefined", () => {
  const lines: string[] = [];
  const log = createLogger("info", "ledge", (l) => lines.push(l));
  log.info("ledge is running", { mqtts: 8883, mqtt: undefined, config: "(embedded default)" });
  log.debug("not shown");
  log.child("mqtt").warn("client refused", { client: "dev1" });
  assert.equal(lines.length, 2);
  assert.match(lines[0], / INFO ledge: ledge is running mqtts=8883 config="\(embedded default\)"$/);
  assert.match(lines[1], / WARN ledge\/mqtt: client refused client=dev1$/);
});
