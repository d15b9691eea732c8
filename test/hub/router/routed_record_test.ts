/**
 * The routed record (pure): exact byte layout, round trips, and errors for bad targets and
 * truncated input.
 */
import assert from "node:assert/strict";
import {
  decodeRoutedRecord,
  encodeRoutedRecord,
  RoutedRecordError,
  type RouteTarget,
} from "../../../src/hub/router/mod.ts";
import { matchTarget, targetKey } from "../../../src/hub/router/routed_record.ts";
import { DEFAULT_PRIORITY } from "../../../src/hub/routing/mod.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("byte layout of a one-target record", () => {
  const rec = encodeRoutedRecord(
    [{ endpointKey: "ab", priority: 0x01020304, timeToLiveSecs: -1 }],
    bytes(0xaa, 0xbb),
  );
  const count = [1];
  const keyLenAndKey = [0, 2, 0x61, 0x62]; // u16 length, "ab"
  const priority = [1, 2, 3, 4]; // u32, big-endian
  const ttl = [0xff, 0xff, 0xff, 0xff]; // i32 -1
  const message = [0xaa, 0xbb];
  assert.deepEqual(rec, bytes(...count, ...keyLenAndKey, ...priority, ...ttl, ...message));
});

Deno.test("round-trip vectors", async (t) => {
  const cases: Array<[string, RouteTarget[], Uint8Array]> = [
    [
      "upstream, default ttl",
      [{ endpointKey: "$upstream", priority: 0, timeToLiveSecs: -1 }],
      bytes(1, 2, 3),
    ],
    ["module input, max priority value", [{
      endpointKey: "/modules/filter/inputs/input1",
      priority: DEFAULT_PRIORITY,
      timeToLiveSecs: 7200,
    }], bytes()],
    ["u32 and i32 extremes", [{
      endpointKey: "x",
      priority: 0xffffffff,
      timeToLiveSecs: 2 ** 31 - 1,
    }], bytes(0)],
    [
      "unicode key",
      [{ endpointKey: "/modules/mödül/inputs/ïn", priority: 5, timeToLiveSecs: 0 }],
      bytes(9),
    ],
    ["several targets", [
      { endpointKey: "$upstream", priority: 1, timeToLiveSecs: 10 },
      { endpointKey: "/modules/a/inputs/i", priority: 2, timeToLiveSecs: -1 },
      { endpointKey: "/modules/b/inputs/j", priority: 3, timeToLiveSecs: 86400 },
    ], new TextEncoder().encode("a longer message body")],
    [
      "255 targets",
      Array.from({ length: 255 }, (_, i) => ({
        endpointKey: `/modules/m${i}/inputs/in`,
        priority: i,
        timeToLiveSecs: i - 1,
      })),
      bytes(7),
    ],
  ];
  for (const [name, targets, message] of cases) {
    await t.step(name, () => {
      const decoded = decodeRoutedRecord(encodeRoutedRecord(targets, message));
      assert.deepEqual(decoded.targets, targets);
      assert.deepEqual(decoded.message, message);
    });
  }
});

Deno.test("decode works on a view inside a larger buffer and returns a view", () => {
  const rec = encodeRoutedRecord(
    [{ endpointKey: "k", priority: 9, timeToLiveSecs: 3 }],
    bytes(5, 6),
  );
  const big = new Uint8Array(rec.length + 10);
  big.set(rec, 4);
  const view = big.subarray(4, 4 + rec.length);
  const d = decodeRoutedRecord(view);
  assert.deepEqual(d.targets, [{ endpointKey: "k", priority: 9, timeToLiveSecs: 3 }]);
  assert.deepEqual(d.message, bytes(5, 6));
  assert.equal(d.message.buffer, big.buffer, "message is a view, not a copy");
});

Deno.test("encode refuses 0 or more than 255 targets, and over-long keys", () => {
  const t = { endpointKey: "k", priority: 0, timeToLiveSecs: -1 };
  assert.throws(() => encodeRoutedRecord([], bytes()), /1\.\.255 targets, got 0/);
  assert.throws(
    () => encodeRoutedRecord(Array(256).fill(t), bytes()),
    (e: Error) => e instanceof RoutedRecordError && /got 256/.test(e.message),
  );
  assert.throws(
    () => encodeRoutedRecord([{ ...t, endpointKey: "k".repeat(0x10000) }], bytes()),
    (e: Error) => e instanceof RoutedRecordError && /too long/.test(e.message),
  );
});

Deno.test("every truncation of the header is an error naming it", () => {
  const rec = encodeRoutedRecord([
    { endpointKey: "$upstream", priority: 1, timeToLiveSecs: 2 },
    { endpointKey: "/modules/a/inputs/b", priority: 3, timeToLiveSecs: 4 },
  ], bytes());
  assert.throws(() => decodeRoutedRecord(bytes()), /routed record: empty/);
  for (let n = 1; n < rec.length; n++) {
    assert.throws(
      () => decodeRoutedRecord(rec.subarray(0, n)),
      (e: Error) =>
        e instanceof RoutedRecordError && /^routed record: truncated target/.test(e.message),
      `prefix of ${n} bytes`,
    );
  }
  assert.equal(decodeRoutedRecord(rec).targets.length, 2);
});

Deno.test("a key length pointing past the end is truncation, not garbage", () => {
  assert.throws(() => decodeRoutedRecord(bytes(1, 0xff, 0xff, 0x61)), /truncated target/);
});

Deno.test("matchTarget picks the endpoint at the priority and finds the message bytes", () => {
  const rec = encodeRoutedRecord([
    { endpointKey: "a", priority: 1, timeToLiveSecs: 5 },
    { endpointKey: "bb", priority: 2, timeToLiveSecs: 6 },
  ], bytes(0x7f, 0x80));
  const hit = matchTarget(rec, targetKey("bb"), 2);
  assert.equal(hit?.timeToLiveSecs, 6);
  assert.deepEqual([...rec.subarray(hit!.messageOffset)], [0x7f, 0x80]);
  assert.equal(matchTarget(rec, targetKey("bb"), 1), undefined);
  assert.equal(matchTarget(rec, targetKey("b"), 2), undefined);
  assert.equal(matchTarget(rec, targetKey("c"), 2), undefined);
  assert.throws(() => matchTarget(rec.subarray(0, 5), targetKey("a"), 1), /truncated/);
});
