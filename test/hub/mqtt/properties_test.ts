/**
 * Unit vectors for property bags (`shared/spec/iothub-mqtt.md` §4): parsing what the Node and
 * C SDKs send (`%24.` keys, raw unencoded characters, empty, duplicates, bad escapes),
 * formatting what the hub delivers, and the split into system and application properties.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SystemKey } from "../../../src/hub/message.ts";
import { bagEntries, splitBag } from "../../../src/hub/mqtt/properties.ts";
import { formatPropertyBag, parsePropertyBag } from "../../../src/hub/mqtt/topics.ts";

const parseVectors: Array<[string, Array<[string, string]>]> = [
  ["", []],
  ["a=1", [["a", "1"]]],
  ["a=1&b=2", [["a", "1"], ["b", "2"]]],
  // Node: system keys as %24.x, values through querystring.stringify.
  [
    "%24.on=out%201&%24.mid=a%2Fb&%24.exp=2020-01-01T00%3A00%3A00.000Z&%24.ct=application%2Fjson&%24.ce=utf-8",
    [
      ["$.on", "out 1"],
      ["$.mid", "a/b"],
      ["$.exp", "2020-01-01T00:00:00.000Z"],
      ["$.ct", "application/json"],
      ["$.ce", "utf-8"],
    ],
  ],
  // C SDK without auto-encoding: raw `$.` keys and raw characters other than & and =.
  ["$.mid=abc&$.cid=x y&k ey=v:1;2,3", [["$.mid", "abc"], ["$.cid", "x y"], ["k ey", "v:1;2,3"]]],
  // `+` is literal, not a space.
  ["a=b+c", [["a", "b+c"]]],
  // Split on the first `=` only.
  ["a=b=c", [["a", "b=c"]]],
  // A key without `=` has an empty value; empty pairs are skipped.
  ["flag", [["flag", ""]]],
  ["a=1&&b=2&", [["a", "1"], ["b", "2"]]],
  ["a=", [["a", ""]]],
  // First occurrence of a duplicate key wins (also across %24 / $ spellings).
  ["a=1&a=2", [["a", "1"]]],
  ["%24.mid=1&$.mid=2", [["$.mid", "1"]]],
  // Bad percent-escapes are kept raw instead of failing the message.
  ["a=%ZZ&%E2%82=x", [["a", "%ZZ"], ["%E2%82", "x"]]],
  // UTF-8.
  ["%E2%82%AC=%C3%A9t%C3%A9", [["€", "été"]]],
];

Deno.test("parsePropertyBag: vectors", () => {
  for (const [bag, want] of parseVectors) {
    assert.deepEqual([...parsePropertyBag(bag)], want, bag);
  }
});

Deno.test("formatPropertyBag: percent-encodes everything, system keys as %24.x", () => {
  const vectors: Array<[Array<[string, string]>, string]> = [
    [[], ""],
    [[["$.mid", "a/b"]], "%24.mid=a%2Fb"],
    [
      [["$.to", "/devices/d1/messages/deviceBound"]],
      "%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound",
    ],
    [[["k k", "v&v=w"]], "k%20k=v%26v%3Dw"],
    [[["$.ct", "application/json"], ["temp", "21"]], "%24.ct=application%2Fjson&temp=21"],
    [[["€", "é"]], "%E2%82%AC=%C3%A9"],
    [[["a", ""]], "a="],
  ];
  for (const [entries, want] of vectors) assert.equal(formatPropertyBag(entries), want);
});

Deno.test("property bag: format then parse round-trips awkward keys and values", () => {
  const entries: Array<[string, string]> = [
    ["$.mid", "id/with&odd=chars %"],
    ["$.ct", "application/json; charset=utf-8"],
    ["a+b", "c+d"],
    ["sp ace", ""],
    ["ü/€", "#?"],
  ];
  assert.deepEqual([...parsePropertyBag(formatPropertyBag(entries))], entries);
});

Deno.test("splitBag / bagEntries: system keys map to the message model and back", () => {
  const { properties, systemProperties } = splitBag(
    parsePropertyBag(
      "%24.mid=m1&%24.cid=c1&%24.ct=application%2Fjson&%24.on=out1&dt-subject=comp&temp=21",
    ),
  );
  assert.deepEqual(properties, { temp: "21" });
  assert.equal(systemProperties[SystemKey.messageId], "m1");
  assert.equal(systemProperties[SystemKey.correlationId], "c1");
  assert.equal(systemProperties[SystemKey.contentType], "application/json");
  assert.equal(systemProperties[SystemKey.outputName], "out1");
  assert.equal(systemProperties[SystemKey.componentName], "comp");
  const out = bagEntries(properties, {
    [SystemKey.messageId]: "m1",
    [SystemKey.connectionDeviceId]: "d1",
    [SystemKey.outputName]: "out1",
  });
  // Output name is never delivered; cdid is.
  assert.deepEqual(out, [["$.mid", "m1"], ["$.cdid", "d1"], ["temp", "21"]]);
  assert.equal(formatPropertyBag(out), "%24.mid=m1&%24.cdid=d1&temp=21");
});
