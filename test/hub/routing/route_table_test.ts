/**
 * RouteTable and the `$edgeHub` routes schemas: both schema forms, all-or-nothing compilation
 * and per-endpoint deduplication (routing.md §1, §5.1).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DEFAULT_PRIORITY,
  edgeHubRoutesSchema,
  edgeHubRoutesSchema10,
  routeSpecsFrom,
  RouteSyntaxError,
  RouteTable,
  RouteTableError,
} from "../../../src/hub/routing/mod.ts";
import type { HubMessage } from "../../../src/hub/message.ts";
import { M1, M2, M3 } from "./_messages.ts";

Deno.test("schema 1.1 accepts string and object routes", () => {
  const parsed = edgeHubRoutesSchema.parse({
    a: "FROM /messages/* INTO $upstream",
    b: { route: "FROM /messages/* INTO $upstream", priority: 3, timeToLiveSecs: 10 },
    c: { route: "FROM /messages/* INTO $upstream" },
    d: "   ",
  });
  assert.deepEqual(routeSpecsFrom(parsed), [
    {
      name: "a",
      route: "FROM /messages/* INTO $upstream",
      priority: DEFAULT_PRIORITY,
      timeToLiveSecs: 0,
    },
    { name: "b", route: "FROM /messages/* INTO $upstream", priority: 3, timeToLiveSecs: 10 },
    {
      name: "c",
      route: "FROM /messages/* INTO $upstream",
      priority: DEFAULT_PRIORITY,
      timeToLiveSecs: 0,
    },
  ]);
});

Deno.test("schema 1.0 accepts only string routes", () => {
  assert.equal(edgeHubRoutesSchema10.safeParse({ a: "FROM /* INTO $upstream" }).success, true);
  assert.equal(
    edgeHubRoutesSchema10.safeParse({ a: { route: "FROM /* INTO $upstream" } }).success,
    false,
  );
});

/** Invalid route values, each rejected with a reason naming the route. */
const BAD: [string, unknown, RegExp][] = [
  ["priority 10", { route: "FROM /* INTO $upstream", priority: 10 }, /0-9/],
  ["priority -1", { route: "FROM /* INTO $upstream", priority: -1 }, /0-9/],
  ["priority 1.5", { route: "FROM /* INTO $upstream", priority: 1.5 }, /integer/],
  ["negative ttl", { route: "FROM /* INTO $upstream", timeToLiveSecs: -5 }, /negative/],
  ["blank route", { route: "  " }, /empty/],
  ["missing route", { priority: 1 }, /route: route is required/],
  ["number value", 42, /Malformed/],
  ["null value", null, /Malformed/],
  ["array value", ["FROM /* INTO $upstream"], /Malformed/],
  ["syntax error", "FROM /* WHERE INTO $upstream", /empty condition.*line 1, column 15/],
];

for (const [label, value, reason] of BAD) {
  Deno.test(`RouteTable rejects ${label}`, () => {
    assert.throws(
      () => RouteTable.compile({ good: "FROM /* INTO $upstream", bad: value }),
      (e: unknown) => {
        assert.ok(e instanceof RouteTableError);
        assert.equal(e.routeName, "bad");
        assert.match(e.message, /^Error parsing route bad - /);
        assert.match(e.message, reason);
        return true;
      },
    );
  });
}

Deno.test("RouteTable compile error carries the RouteSyntaxError with its position", () => {
  try {
    RouteTable.compile({ r: "FROM /messages/* WHERE temperature > 30 INTO $upstream" });
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof RouteTableError);
    assert.ok(e.routeError instanceof RouteSyntaxError);
    assert.equal(e.routeError.position.column, 36);
  }
});

Deno.test("RouteTable accepts RouteSpec objects and dedupes per endpoint", () => {
  const table = RouteTable.compile({
    all: {
      name: "all",
      route: "FROM /messages/* INTO $upstream",
      priority: DEFAULT_PRIORITY,
      timeToLiveSecs: 0,
    },
    sensor: {
      name: "sensor",
      route: "FROM /messages/modules/sensor/* INTO $upstream",
      priority: 2,
      timeToLiveSecs: 5,
    },
    same: {
      name: "same",
      route: "FROM /messages/modules/sensor/* INTO $upstream",
      priority: 2,
      timeToLiveSecs: 9,
    },
    filter: {
      name: "filter",
      route:
        'FROM /messages/modules/sensor/outputs/* INTO BrokeredEndpoint("/modules/filter/inputs/in")',
      priority: 7,
      timeToLiveSecs: 0,
    },
  });
  const summary = (m: typeof M1) =>
    table.match(m).map((x) => `${x.endpointKey}@${x.priority}:${x.routeName}:${x.timeToLiveSecs}`);
  assert.deepEqual(summary(M1), [`$upstream@${DEFAULT_PRIORITY}:all:0`]);
  assert.deepEqual(summary(M2), ["$upstream@2:sensor:5", "/modules/filter/inputs/in@7:filter:0"]);
  assert.deepEqual(summary(M3), ["$upstream@2:sensor:5"]);
  assert.deepEqual([...table.endpoints().keys()], ["$upstream", "/modules/filter/inputs/in"]);
  assert.equal(table.specs.length, 4);
});

Deno.test("an empty table matches nothing", () => {
  assert.deepEqual(RouteTable.compile({}).match(M1), []);
});

Deno.test("RouteTable.match takes a HubMessage", () => {
  const hub: HubMessage = {
    body: new Uint8Array(),
    properties: { Level: "critical" },
    systemProperties: { connectionDeviceId: "d", connectionModuleId: "m", outputName: "o" },
  };
  const table = RouteTable.compile({
    r: "FROM /messages/modules/m/outputs/o WHERE level = 'critical' INTO $upstream",
  });
  assert.equal(table.match(hub).length, 1);
});
