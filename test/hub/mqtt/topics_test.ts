/**
 * Unit vectors for the IoT Hub MQTT topic space (`shared/spec/iothub-mqtt.md` §4, §5, §8-§10):
 * every telemetry form with and without trailing slash and bag, twin and method topics,
 * unknown topics, property bags, subscription authorization and filter matching.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type InboundTopic,
  maySubscribe,
  parseInboundTopic,
  topicMatches,
} from "../../../src/hub/mqtt/topics.ts";

const dev = (bag: string): InboundTopic => ({ kind: "telemetry", deviceId: "d1", bag });
const mod = (bag: string): InboundTopic => ({
  kind: "telemetry",
  deviceId: "d1",
  moduleId: "m1",
  bag,
});
const BAG = "%24.mid=1&%24.ct=application%2Fjson&temp=21";

const inbound: Array<[string, InboundTopic]> = [
  // §5: device telemetry, the four forms, in the order the spec lists them.
  [`devices/d1/messages/events/${BAG}/`, dev(BAG)],
  ["devices/d1/messages/events/", dev("")],
  [`devices/d1/messages/events/${BAG}`, dev(BAG)],
  ["devices/d1/messages/events", dev("")],
  // Module outputs: Node adds `$.on` first and an extra trailing slash.
  [
    "devices/d1/modules/m1/messages/events/%24.on=output1&%24.mid=1/",
    mod("%24.on=output1&%24.mid=1"),
  ],
  ["devices/d1/modules/m1/messages/events/", mod("")],
  [`devices/d1/modules/m1/messages/events/${BAG}`, mod(BAG)],
  ["devices/d1/modules/m1/messages/events", mod("")],
  // C SDK: raw, unencoded characters other than & = / in the bag.
  ["devices/d1/messages/events/$.mid=a b&k ey=v:1;x", dev("$.mid=a b&k ey=v:1;x")],
  // Ids with the punctuation IoT Hub allows.
  ["devices/dev-1.a_b:c/messages/events/", {
    kind: "telemetry",
    deviceId: "dev-1.a_b:c",
    bag: "",
  }],
  // Twin.
  ["$iothub/twin/GET/?$rid=1", { kind: "twin-get", rid: "1" }],
  ["$iothub/twin/GET?$rid=abc", { kind: "twin-get", rid: "abc" }],
  ["$iothub/twin/GET/?foo=1&$rid=7", { kind: "twin-get", rid: "7" }],
  [
    "$iothub/twin/GET/?$rid=0b6b1c5e-5d3a-4f33-9c3a-2e8b1c1f9d11",
    { kind: "twin-get", rid: "0b6b1c5e-5d3a-4f33-9c3a-2e8b1c1f9d11" },
  ],
  ["$iothub/twin/PATCH/properties/reported/?$rid=42", { kind: "twin-patch-reported", rid: "42" }],
  ["$iothub/twin/PATCH/properties/reported?$rid=42", { kind: "twin-patch-reported", rid: "42" }],
  // Methods.
  ["$iothub/methods/res/200/?$rid=9", { kind: "method-response", status: 200, rid: "9" }],
  ["$iothub/methods/res/404?$rid=ab", { kind: "method-response", status: 404, rid: "ab" }],
  ["$iothub/methods/res/0/?$rid=1", { kind: "method-response", status: 0, rid: "1" }],
  // Unknown: wrong shapes, missing rid, hub-to-client topics, other namespaces.
  ["devices/d1/messages/eventsX/", { kind: "unknown" }],
  ["devices//messages/events/", { kind: "unknown" }],
  ["devices/d1/messages/events/a/b", { kind: "unknown" }],
  ["devices/d1/modules//messages/events/", { kind: "unknown" }],
  ["devices/d1/messages/devicebound/", { kind: "unknown" }],
  ["devices/d1/modules/m1/inputs/in1/", { kind: "unknown" }],
  ["$iothub/twin/GET/", { kind: "unknown" }],
  ["$iothub/twin/GET/?$rid=", { kind: "unknown" }],
  ["$iothub/twin/GET/?rid=1", { kind: "unknown" }],
  ["$iothub/twin/PATCH/properties/desired/?$version=1", { kind: "unknown" }],
  ["$iothub/twin/res/200/?$rid=1", { kind: "unknown" }],
  ["$iothub/methods/POST/reboot/?$rid=1", { kind: "unknown" }],
  ["$iothub/methods/res/abc/?$rid=1", { kind: "unknown" }],
  ["$iothub/methods/res/1000/?$rid=1", { kind: "unknown" }],
  ["$iothub/methods/res/200/", { kind: "unknown" }],
  ["$iothub/", { kind: "unknown" }],
  ["", { kind: "unknown" }],
  ["#", { kind: "unknown" }],
  ["other/topic", { kind: "unknown" }],
];

Deno.test("parseInboundTopic: every form of spec §5, twin, methods, unknown", () => {
  for (const [topic, want] of inbound) {
    assert.deepEqual(parseInboundTopic(topic), want, topic);
  }
});

Deno.test("topicMatches: + and # [MQTT-4.7]", () => {
  const vectors: Array<[string, string, boolean]> = [
    ["#", "a", true],
    ["#", "a/b/c", true],
    ["a/#", "a", true],
    ["a/#", "a/b/c", true],
    ["a/#", "b/c", false],
    ["a/+", "a/b", true],
    ["a/+", "a/", true],
    ["a/+", "a/b/c", false],
    ["a/+/c", "a/b/c", true],
    ["a/+/c", "a/b/d/c", false],
    ["+/+", "a", false],
    ["a/b", "a/b", true],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["devices/d1/messages/devicebound/#", "devices/d1/messages/devicebound/%24.mid=1", true],
    ["devices/d1/messages/devicebound/#", "devices/d2/messages/devicebound/", false],
    ["$iothub/methods/POST/#", "$iothub/methods/POST/reboot/?$rid=1", true],
    [
      "$iothub/twin/PATCH/properties/desired/#",
      "$iothub/twin/PATCH/properties/desired/?$version=3",
      true,
    ],
    ["$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/?$version=3", false],
  ];
  for (const [filter, topic, want] of vectors) {
    assert.equal(topicMatches(filter, topic), want, `${filter} vs ${topic}`);
  }
});

const common = [
  "$iothub/methods/POST/#",
  "$iothub/twin/res/#",
  "$iothub/twin/PATCH/properties/desired/#",
];

Deno.test("maySubscribe: a device may use its own C2D topic and the $iothub topics only", () => {
  const id = { deviceId: "d1" };
  for (
    const f of [...common, "devices/d1/messages/devicebound/#", "devices/d1/messages/devicebound/+"]
  ) {
    assert.equal(maySubscribe(id, f), true, f);
  }
  for (
    const f of [
      "devices/d2/messages/devicebound/#",
      "devices/+/messages/devicebound/#",
      "devices/d1/#",
      "devices/d1/messages/events/#",
      "devices/d1/modules/m1/inputs/#",
      "devices/d1/messages/devicebound",
      "devices/d1/messages/#/devicebound",
      "#",
      "+",
      "$iothub/#",
      "$iothub/methods/POST/+",
      "$iothub/twin/#",
      "",
    ]
  ) {
    assert.equal(maySubscribe(id, f), false, f);
  }
});

Deno.test("maySubscribe: a module may use its own inputs (Node and C forms) and $iothub", () => {
  const id = { deviceId: "d1", moduleId: "m1" };
  for (
    const f of [
      ...common,
      "devices/d1/modules/m1/inputs/#",
      "devices/d1/modules/m1/#",
      "devices/d1/modules/m1/inputs/+/#",
    ]
  ) {
    assert.equal(maySubscribe(id, f), true, f);
  }
  for (
    const f of [
      "devices/d1/modules/m2/inputs/#",
      "devices/d1/modules/+/inputs/#",
      "devices/d2/modules/m1/inputs/#",
      "devices/d1/messages/devicebound/#",
      "devices/d1/#",
      "devices/d1/modules/m1/inputs/#/x",
      "#",
    ]
  ) {
    assert.equal(maySubscribe(id, f), false, f);
  }
});
