/**
 * Connection strings: the field order `ledge identity add` prints, and parsing back what the
 * Azure tools print, with errors naming the missing field.
 */
import assert from "node:assert/strict";
import {
  type ConnectionStringParts,
  formatConnectionString,
  parseConnectionString,
} from "../../src/identity/mod.ts";

const KEY = "q3T1n1ZVhj0V0Jj6+Kq0lq6J2Zy3rWtTXKWR9Z8kBQo=";

const vectors: Array<[string, ConnectionStringParts, string]> = [
  [
    "device",
    { hostName: "hub.local", deviceId: "dev1", sharedAccessKey: KEY },
    `HostName=hub.local;DeviceId=dev1;SharedAccessKey=${KEY}`,
  ],
  [
    "module with gateway",
    {
      hostName: "hub.local",
      deviceId: "edge1",
      moduleId: "filter",
      sharedAccessKey: KEY,
      gatewayHostName: "gw.local",
    },
    `HostName=hub.local;DeviceId=edge1;ModuleId=filter;SharedAccessKey=${KEY};GatewayHostName=gw.local`,
  ],
  [
    "device with gateway and port",
    {
      hostName: "hub.azure-devices.net",
      deviceId: "leaf",
      sharedAccessKey: KEY,
      gatewayHostName: "localhost:18883",
    },
    `HostName=hub.azure-devices.net;DeviceId=leaf;SharedAccessKey=${KEY};GatewayHostName=localhost:18883`,
  ],
];

/** Parse results carry optional keys as `undefined`; compare on the defined ones. */
function defined(p: ConnectionStringParts): Record<string, string> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
}

Deno.test("format and parse vectors", async (t) => {
  for (const [name, parts, text] of vectors) {
    await t.step(name, () => {
      assert.equal(formatConnectionString(parts), text);
      assert.deepEqual(defined(parseConnectionString(text)), defined(parts));
    });
  }
});

Deno.test("parse tolerates field order, a trailing ';' and '=' inside values", () => {
  const p = parseConnectionString(
    `SharedAccessKey=${KEY};DeviceId=d;HostName=h;ModuleId=m;`,
  );
  assert.deepEqual(defined(p), {
    hostName: "h",
    deviceId: "d",
    moduleId: "m",
    sharedAccessKey: KEY,
  });
  assert.equal(p.sharedAccessKey.endsWith("="), true);
});

Deno.test("parse refuses incomplete or malformed strings naming the field", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["", /no HostName/],
    [`DeviceId=d;SharedAccessKey=${KEY}`, /no HostName/],
    [`HostName=h;SharedAccessKey=${KEY}`, /no DeviceId/],
    ["HostName=h;DeviceId=d", /no SharedAccessKey/],
    ["HostName=h;DeviceId=;SharedAccessKey=k", /no DeviceId/],
    ["HostName=h;DeviceId=d;garbage;SharedAccessKey=k", /field 'garbage' has no '='/],
    ["HostName=h;=x;DeviceId=d;SharedAccessKey=k", /field '=x' has no '='/],
  ];
  for (const [text, want] of cases) {
    await t.step(
      JSON.stringify(text),
      () => assert.throws(() => parseConnectionString(text), want),
    );
  }
});
