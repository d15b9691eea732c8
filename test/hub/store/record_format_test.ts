/**
 * Tests of record framing and CRC-32: round-trips and table-driven damage detection.
 *
 * @module
 */
import assert from "node:assert/strict";
import { crc32, crc32Table } from "../../../src/hub/store/crc32.ts";
import {
  checkRecord,
  frameRecord,
  HEADER_BYTES,
  RecordCheck,
  recordSeq,
  recordTimestamp,
} from "../../../src/hub/store/record_format.ts";

Deno.test("crc32: native and table agree on known vectors", () => {
  const vectors: Array<[string, number]> = [
    ["", 0],
    ["123456789", 0xcbf43926],
    ["The quick brown fox jumps over the lazy dog", 0x414fa339],
  ];
  for (const [s, want] of vectors) {
    const b = new TextEncoder().encode(s);
    assert.equal(crc32(b), want, s);
    assert.equal(crc32Table(b), want, s);
  }
  const b = new TextEncoder().encode("123456789");
  assert.equal(crc32(b.subarray(4), crc32(b.subarray(0, 4))), 0xcbf43926, "continuation");
});

function framed(seq: number, ts: number, payload: number[]) {
  const buf = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(buf.buffer);
  const end = frameRecord(buf, view, 0, seq, ts, new Uint8Array(payload));
  return { buf, view, end };
}

Deno.test("frameRecord: round-trips 64-bit-safe seq and timestamp", () => {
  for (const seq of [1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
    const { buf, view, end } = framed(seq, 1_700_000_000_123, [1, 2, 3]);
    assert.equal(end, HEADER_BYTES + 3);
    assert.equal(recordSeq(view, 0), seq);
    assert.equal(recordTimestamp(view, 0), 1_700_000_000_123);
    assert.equal(checkRecord(buf, view, 0, end, 100, seq - 1), RecordCheck.ok);
  }
});

Deno.test("checkRecord: detects each kind of damage", () => {
  const cases: Array<
    { name: string; mutate(b: Uint8Array): number; prev?: number; want: RecordCheck }
  > = [
    { name: "intact", mutate: (b) => b.length, want: RecordCheck.ok },
    { name: "cut header", mutate: () => 10, want: RecordCheck.truncated },
    { name: "cut payload", mutate: (b) => b.length - 1, want: RecordCheck.truncated },
    {
      name: "payload bit flip",
      mutate: (b) => ((b[HEADER_BYTES] ^= 1), b.length),
      want: RecordCheck.badCrc,
    },
    { name: "seq bit flip", mutate: (b) => ((b[8] ^= 0x10), b.length), want: RecordCheck.badCrc },
    { name: "crc bit flip", mutate: (b) => ((b[0] ^= 0x80), b.length), want: RecordCheck.badCrc },
    { name: "huge length", mutate: (b) => ((b[7] = 0xff), b.length), want: RecordCheck.badLength },
    { name: "length grows", mutate: (b) => ((b[4] += 1), b.length), want: RecordCheck.truncated },
    { name: "zeroed", mutate: (b) => (b.fill(0), b.length), want: RecordCheck.badCrc },
    { name: "seq not increasing", mutate: (b) => b.length, prev: 7, want: RecordCheck.badSeq },
  ];
  for (const c of cases) {
    const { buf, view } = framed(7, 1000, [9, 8, 7, 6, 5]);
    const end = c.mutate(buf);
    assert.equal(checkRecord(buf, view, 0, end, 64, c.prev ?? 6), c.want, c.name);
  }
});
