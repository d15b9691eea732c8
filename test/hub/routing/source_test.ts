/**
 * Source normalisation, message source strings and prefix matching (routing.md §2.3).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  compileRoute,
  messageSource,
  MessageView,
  normalizeSource,
  sourceMatches,
} from "../../../src/hub/routing/mod.ts";
import { msg } from "./_messages.ts";

Deno.test("normalizeSource", () => {
  const cases: [string, string][] = [
    ["/*", "/"],
    ["/", "/"],
    ["/messages", "/messages/"],
    ["/messages/", "/messages/"],
    ["/messages/*", "/messages/"],
    ["/messages/modules/m/outputs/o/*", "/messages/modules/m/outputs/o/"],
    [" /twinChangeNotifications ", "/twinChangeNotifications/"],
    ["/messages/modules/*/outputs/o", "/messages/modules/*/outputs/o/"],
  ];
  for (const [input, want] of cases) assert.equal(normalizeSource(input), want, input);
});

const DEVICE = msg({ connectionDeviceId: "leaf" });
const MODULE = msg({ connectionDeviceId: "e", connectionModuleId: "Filter" });
const OUTPUT = msg({ connectionDeviceId: "e", connectionModuleId: "filter", outputName: "out1" });
const TWIN = msg({
  connectionDeviceId: "e",
  connectionModuleId: "$edgeHub",
  messageType: "TwinChangeNotification",
});

Deno.test("messageSource derives the source string from system properties", () => {
  const src = (m: typeof DEVICE) => messageSource(new MessageView(m));
  assert.equal(src(DEVICE), "/messages/");
  assert.equal(src(MODULE), "/messages/modules/Filter/");
  assert.equal(src(OUTPUT), "/messages/modules/filter/outputs/out1/");
  assert.equal(src(TWIN), "/twinChangeNotifications/");
});

/** [route source, matches DEVICE, MODULE, OUTPUT, TWIN]. */
const MATCHES: [string, string][] = [
  ["/*", "YYYY"],
  ["/messages", "YYYN"],
  ["/messages/*", "YYYN"],
  ["/messages/modules/*", "NYYN"],
  ["/messages/modules/filter/*", "NYYN"],
  ["/messages/modules/filter/outputs/*", "NNYN"],
  ["/messages/modules/FILTER/outputs/OUT1", "NNYN"],
  ["/messages/modules/filter/outputs/out", "NNNN"],
  ["/messages/modules/*/outputs/out1", "NNNN"],
  ["/twinChangeNotifications", "NNNY"],
  ["/TWINCHANGENOTIFICATIONS/*", "NNNY"],
];

for (const [source, expected] of MATCHES) {
  Deno.test(`source ${source}`, () => {
    const route = compileRoute(`FROM ${source} INTO $upstream`);
    const got = [DEVICE, MODULE, OUTPUT, TWIN].map((m) => (route.matches(m) ? "Y" : "N"));
    assert.equal(got.join(""), expected);
    const viaFn = [DEVICE, MODULE, OUTPUT, TWIN]
      .map((m) => (sourceMatches(messageSource(new MessageView(m)), source) ? "Y" : "N"));
    assert.equal(viaFn.join(""), expected);
  });
}

Deno.test("twin_change_includes works only on the twin change source", () => {
  const route = compileRoute(
    "FROM /twinChangeNotifications WHERE twin_change_includes(properties.reported.temp) INTO $upstream",
  );
  const twin = (body: unknown) => msg(TWIN.systemProperties, {}, JSON.stringify(body));
  assert.equal(route.matches(twin({ properties: { reported: { temp: 21 } } })), true);
  assert.equal(route.matches(twin({ properties: { reported: { temp: { c: 1 } } } })), true);
  assert.equal(route.matches(twin({ properties: { reported: { temp: null } } })), false);
  assert.equal(route.matches(twin({ properties: { reported: {} } })), false);
  assert.equal(route.matches(msg(TWIN.systemProperties, {}, "not json")), false);
  assert.equal(route.evaluate(new MessageView(msg(TWIN.systemProperties, {}, "x"))), undefined);
  assert.throws(() =>
    compileRoute(
      "FROM /twinChangeNotifications WHERE twin_change_includes(foo.bar) INTO $upstream",
    )
  );
});
