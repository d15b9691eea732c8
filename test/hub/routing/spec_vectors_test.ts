/**
 * Every worked example of routing.md §6 as table-driven vectors: routes 1-48 against messages
 * M1-M4, the upstream condition-only vectors and compile failures, and priority/TTL vectors.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  compileCondition,
  compileRoute,
  DEFAULT_PRIORITY,
  RouteSyntaxError,
  RouteTable,
  RouteTableError,
} from "../../../src/hub/routing/mod.ts";
import { M1, M2, M3, M4, UPSTREAM_TEST_MESSAGE } from "./_messages.ts";

/** [#, route, expected for M1..M4 as "YNYN" or "ERR"]. */
const ROUTE_VECTORS: [number, string, string][] = [
  [1, "FROM /messages/* INTO $upstream", "YYYY"],
  [2, "FROM /* INTO $upstream", "YYYY"],
  [3, "SELECT * FROM /messages/* INTO $upstream", "YYYY"],
  [4, "FROM /messages/modules/* INTO $upstream", "NYYN"],
  [5, "FROM /messages/modules/sensor/* INTO $upstream", "NYYN"],
  [6, "FROM /messages/modules/sensor/outputs/* INTO $upstream", "NYNN"],
  [
    7,
    'FROM /messages/modules/sensor/outputs/temperatureOutput INTO BrokeredEndpoint("/modules/filter/inputs/input1")',
    "NYNN",
  ],
  [8, "FROM /messages/modules/sensor/outputs/temperature INTO $upstream", "NNNN"],
  [9, "FROM /messages/modules/SENSOR/outputs/* INTO $upstream", "NYNN"],
  [10, "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream", "YNNY"],
  [11, "FROM /messages/* WHERE alert = 'true' INTO $upstream", "YNNY"],
  [12, "FROM /messages/* WHERE temperature > 30 INTO $upstream", "ERR"],
  [13, "FROM /messages/* WHERE as_number(temperature) > 30 INTO $upstream", "YNNY"],
  [14, "FROM /messages/* WHERE $body.temperature > 30 INTO $upstream", "YYNN"],
  [15, "FROM /messages/* WHERE $body.machine.status = 'running' INTO $upstream", "YNNN"],
  [16, "FROM /messages/* WHERE $body.machine.status != 'running' INTO $upstream", "NYNN"],
  [17, "FROM /messages/* WHERE is_defined($body.nope) INTO $upstream", "YYNN"],
  [18, "FROM /messages/* WHERE is_defined($body.machine) INTO $upstream", "NNNN"],
  [19, "FROM /messages/* WHERE $body.tags[0] = 'a' INTO $upstream", "YNNN"],
  [20, "FROM /messages/* WHERE $body.ok INTO $upstream", "YNNN"],
  [21, "FROM /messages/* WHERE $body.nothing = null INTO $upstream", "YYNN"],
  [22, "FROM /messages/* WHERE $connectiondeviceid = 'dev1' INTO $upstream", "YNNY"],
  [23, "FROM /messages/* WHERE $connectionDeviceId = 'DEV1' INTO $upstream", "NNNN"],
  [24, "FROM /messages/* WHERE $contentType = 'application/json' INTO $upstream", "YYNN"],
  [25, "FROM /messages/* WHERE $outputName = 'temperatureOutput' INTO $upstream", "NYNN"],
  [26, "FROM /messages/* WHERE upper(level) = 'CRITICAL' INTO $upstream", "YNNY"],
  [27, "FROM /messages/* WHERE starts_with($connectionModuleId, 'sens') INTO $upstream", "NYYN"],
  [
    28,
    "FROM /messages/* WHERE alert = 'true' AND as_number(temperature) >= 31 INTO $upstream",
    "YNNY",
  ],
  [29, "FROM /messages/* WHERE alert = 'false' OR nope = 'x' INTO $upstream", "NNNN"],
  [30, "FROM /messages/* WHERE alert = 'true' OR nope = 'x' INTO $upstream", "YNNY"],
  [31, "FROM /messages/* WHERE NOT (nope = 'x') INTO $upstream", "NNNN"],
  [32, "FROM /messages/* WHERE true INTO $upstream", "YYYY"],
  [33, "FROM /messages/* WHERE TRUE INTO $upstream", "NNNN"],
  [34, "FROM /messages/* WHERE (nope ?? 'dflt') = 'dflt' INTO $upstream", "YYYY"],
  [
    35,
    "FROM /messages/* WHERE concat($connectionDeviceId, '-', level) = 'dev1-critical' INTO $upstream",
    "YNNY",
  ],
  [36, "FROM /messages/* WHERE $correlationId = 'abc' INTO $upstream", "NNNN"],
  [37, "FROM /messages/* WHERE $twin.tags.site = 'x' INTO $upstream", "NNNN"],
  [38, "FROM /messages/* WHERE length($body.name) = 6 INTO $upstream", "YNNN"],
  [39, "FROM /messages/* WHERE temperature == 31 INTO $upstream", "ERR"],
  [40, "FROM /messages/* WHERE is_object($body) INTO $upstream", "ERR"],
  [41, "FROM messages/* INTO $upstream", "ERR"],
  [42, "FROM /messages/* INTO $downstream", "ERR"],
  [43, 'FROM /messages/* INTO BrokeredEndpoint("/modules/filter/inputs")', "ERR"],
  [
    44,
    "from /messages/* where alert = 'true' into brokeredendpoint('/modules/f/inputs/i')",
    "YNNY",
  ],
  [
    45,
    "FROM /messages/* WHERE twin_change_includes(properties.reported.x) INTO $upstream",
    "ERR",
  ],
  [46, "FROM /messages/* WHERE 3 INTO $upstream", "NNNN"],
  [47, "FROM /messages/* WHERE null INTO $upstream", "NNNN"],
  [48, "FROM /messages/* WHERE as_number('1,000') = 1000 INTO $upstream", "YYYY"],
];

for (const [n, route, expected] of ROUTE_VECTORS) {
  Deno.test(`routing.md §6 vector ${n}: ${route}`, () => {
    if (expected === "ERR") {
      assert.throws(() => compileRoute(route), RouteSyntaxError);
      return;
    }
    const compiled = compileRoute(route);
    const got = [M1, M2, M3, M4].map((m) => (compiled.matches(m) ? "Y" : "N")).join("");
    assert.equal(got, expected);
  });
}

/** Condition-only vectors from edgeHub's ConditionCompilerTest: T, F or U (undefined). */
const CONDITION_VECTORS: [string, "T" | "F" | "U"][] = [
  ["3 = 3", "T"],
  ["'3' = '4'", "F"],
  ["key2 = '3'", "T"],
  ['KEY1 = "value1"', "T"],
  ["$sys2 = '4'", "T"],
  ['$sys4 = "value4"', "T"],
  ['{$sys4} = "sysvalue4"', "T"],
  ['{ $sys1 } = "sysvalue1"', "T"],
  ['none != "4"', "U"],
  ["undefined or true", "T"],
  ["false and undefined", "F"],
  ["true and none = 'true'", "U"],
  ['(none ?? none ?? "hello") = "hello"', "T"],
  ["null or false", "F"],
  ["not null", "T"],
  ["3 / 4 = 0.75", "T"],
  ["is_defined(3 % 0)", "F"],
  ["-(3 + 4) = -7", "T"],
  ["AS_NUMBER('10e1000') = 1/0", "T"],
  ["as_number(key1) = 3", "U"],
  ["is_null(null_value)", "T"],
  ["is_null(none)", "F"],
  ["is_string(null_value)", "F"],
  ["'a' || null_value || 'd' = 'ad'", "T"],
  ["is_defined('a' || none || 'd')", "F"],
  ["SUBSTRING('abc', 3) = 'c'", "F"],
  ["SUBSTRING('abc', 4) = 'c'", "U"],
  ["substring('abc', 1, 0) = ''", "T"],
  ["substring('abc', 1, -2) = ''", "U"],
  ["index_of('abc', 'xz') = -1", "T"],
  ["sign(-3 / 0) = -1", "T"],
  ["SQRT(-4) = -2", "U"],
  ["exp(0) = 1", "T"],
  ["", "U"],
  ['"a string"', "U"],
];

for (const [condition, expected] of CONDITION_VECTORS) {
  Deno.test(`upstream condition vector: ${condition || "(empty)"} → ${expected}`, () => {
    const v = compileCondition(condition).evaluate(UPSTREAM_TEST_MESSAGE);
    const got = v === true ? "T" : v === false ? "F" : "U";
    assert.equal(got, expected, `value was ${String(v)}`);
  });
}

const COMPILE_FAILURES = [
  "is_defined(3 + null_value)",
  "is_defined(true + 3)",
  "is_defined(3 = none)",
  'key1 ?? "hello" = "value1"',
  "(key1 ?? 12.34)",
  "(null && key1)",
  "concat('a')",
  "concat('a', null)",
  "length(12.34) = 'hello'",
  "substring('hello', 'a')",
  "index_of('hello', 12.34)",
  "abs(key1)",
  "is_defined(abs(3, 4))",
  "test == true",
  'none = "',
  "none and true",
  "none or true",
  "- (key1)",
  "is_defined(not key1)",
];

for (const condition of COMPILE_FAILURES) {
  Deno.test(`upstream compile failure: ${condition}`, () => {
    assert.throws(() => compileCondition(condition), RouteSyntaxError);
  });
}

Deno.test("priority vectors P1/P2: one copy per endpoint, best priority wins", () => {
  const table = RouteTable.compile({
    r1: { route: "FROM /messages/* INTO $upstream", priority: 5, timeToLiveSecs: 60 },
    r2: {
      route: "FROM /messages/* WHERE alert = 'true' INTO $upstream",
      priority: 0,
      timeToLiveSecs: 3600,
    },
  });
  const m1 = table.match(M1);
  assert.equal(m1.length, 1);
  assert.deepEqual(
    { key: m1[0].endpointKey, p: m1[0].priority, ttl: m1[0].timeToLiveSecs, r: m1[0].routeName },
    { key: "$upstream", p: 0, ttl: 3600, r: "r2" },
  );
  const m2 = table.match(M2);
  assert.equal(m2.length, 1);
  assert.deepEqual([m2[0].priority, m2[0].timeToLiveSecs, m2[0].routeName], [5, 60, "r1"]);
});

Deno.test("priority vector P3: string route gets default priority and global TTL (0)", () => {
  const [m] = RouteTable.compile({ r1: "FROM /messages/* INTO $upstream" }).match(M1);
  assert.equal(m.priority, DEFAULT_PRIORITY);
  assert.equal(m.timeToLiveSecs, 0);
});

Deno.test("priority vector P4: different endpoints are independent deliveries", () => {
  const table = RouteTable.compile({
    r1: { route: "FROM /messages/* INTO $upstream", priority: 0 },
    r2: { route: 'FROM /messages/* INTO BrokeredEndpoint("/modules/f/inputs/i")', priority: 1 },
  });
  const got = table.match(M1).map((m) => [m.endpointKey, m.priority]);
  assert.deepEqual(got, [["$upstream", 0], ["/modules/f/inputs/i", 1]]);
  assert.deepEqual(table.match(M1)[1].endpoint, {
    kind: "module-input",
    moduleId: "f",
    inputName: "i",
  });
});

Deno.test("priority vector P5: priority 10 rejects the whole table", () => {
  assert.throws(
    () => RouteTable.compile({ r1: { route: "FROM /messages/* INTO $upstream", priority: 10 } }),
    (e: unknown) => e instanceof RouteTableError && e.routeName === "r1" && /0-9/.test(e.message),
  );
});
