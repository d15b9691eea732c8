/**
 * Tests of the binary HubMessage codec: round-trips, compactness, named errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  encodeMessage,
  MessageCodecError,
} from "../../../src/hub/store/message_codec.ts";
import type { HubMessage } from "../../../src/hub/message.ts";

const msgs: Array<[string, HubMessage]> = [
  ["empty", { body: new Uint8Array(0), properties: {}, systemProperties: {} }],
  [
    "typical telemetry",
    {
      body: new TextEncoder().encode('{"temperature":21.5}'),
      properties: { alert: "true", unit: "C" },
      systemProperties: {
        messageId: "m-1",
        contentType: "application/json",
        contentEncoding: "utf-8",
        connectionDeviceId: "dev1",
        connectionModuleId: "sensor",
        outputName: "out1",
        enqueuedTime: "2026-01-01T00:00:00Z",
      },
    },
  ],
  [
    "custom system key, unicode, odd keys",
    {
      body: new Uint8Array([0, 255, 1, 254]),
      properties: {
        "ключ": "значение 🌡",
        "": "empty key",
        "__proto__": "x",
        ["a".repeat(300)]: "b".repeat(70000),
      },
      systemProperties: { "x-custom": "1", "iothub-interface-id": "dtmi:x;1" },
    },
  ],
  ["big body", { body: new Uint8Array(256 * 1024).fill(7), properties: {}, systemProperties: {} }],
];

Deno.test("message codec: round-trips", () => {
  for (const [name, m] of msgs) {
    const bytes = encodeMessage(m);
    assert.deepStrictEqual(decodeMessage(bytes), m, name);
  }
});

Deno.test("message codec: compact (well-known keys cost one byte)", () => {
  const m = msgs[1][1];
  const json = JSON.stringify({ ...m, body: [...m.body] });
  const bytes = encodeMessage(m);
  assert.ok(bytes.length < json.length / 2, `${bytes.length} vs json ${json.length}`);
  assert.equal(encodeMessage(msgs[0][1]).length, 4);
});

Deno.test("message codec: bad input fails with a named field", () => {
  const good = encodeMessage(msgs[1][1]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["empty", new Uint8Array(0), /version: empty/],
    ["version", new Uint8Array([9, 0, 0, 0]), /version: unsupported format version 9/],
    ["truncated", good.subarray(0, 20), /truncated/],
    ["trailing", new Uint8Array([...good, 1]), /body: length/],
    [
      "key code",
      new Uint8Array([1, 1, 200, 0, 0, 0]),
      /systemProperties\[0\]\.key: unknown key code/,
    ],
    ["utf8", new Uint8Array([1, 0, 1, 1, 0xff, 0, 0]), /properties\[0\]\.key: invalid UTF-8/],
    ["varint", new Uint8Array([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /varint too long/],
  ];
  for (const [name, bytes, re] of cases) {
    assert.throws(() => decodeMessage(bytes), (e: unknown) => {
      assert.ok(e instanceof MessageCodecError, name);
      assert.match((e as Error).message, re, name);
      return true;
    });
  }
});
