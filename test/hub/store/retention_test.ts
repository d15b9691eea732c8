/**
 * Table-driven tests of the pure retention planner (consumed, TTL, budget).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  planRetention,
  type RetentionInput,
  type RetentionSegment,
} from "../../../src/hub/store/retention.ts";

const seg = (base: number, last: number, ts: number, size = 100): RetentionSegment => ({
  baseSeq: base,
  firstSeq: last >= base ? base : 0,
  lastSeq: last,
  records: Math.max(0, last - base + 1),
  lastTimestamp: ts,
  size,
});

const base: RetentionInput = {
  sealed: [seg(1, 10, 1000), seg(11, 20, 2000), seg(21, 30, 3000)],
  active: seg(31, 35, 4000),
  now: 5000,
  ttlMs: -1,
  minCheckpoint: null,
  maxDiskBytes: 0,
};

Deno.test("planRetention: table of cases", () => {
  const cases: Array<
    { name: string; input: Partial<RetentionInput>; want: string[]; roll?: boolean }
  > = [
    { name: "nothing to do", input: {}, want: [] },
    {
      name: "consumed up to 20",
      input: { minCheckpoint: 20 },
      want: ["1:consumed:0", "11:consumed:0"],
    },
    { name: "checkpoint mid-segment", input: { minCheckpoint: 15 }, want: ["1:consumed:0"] },
    {
      name: "ttl expires first two",
      input: { ttlMs: 3000 },
      want: ["1:ttl:10", "11:ttl:10"],
    },
    {
      name: "ttl with partial consumption counts only unconsumed",
      input: { ttlMs: 3000, minCheckpoint: 5 },
      want: ["1:ttl:5", "11:ttl:10"],
    },
    {
      name: "ttl expires everything: roll active",
      input: { ttlMs: 1000 },
      want: ["1:ttl:10", "11:ttl:10", "21:ttl:10"],
      roll: true,
    },
    {
      name: "budget drops oldest",
      input: { maxDiskBytes: 250 },
      want: ["1:budget:10", "11:budget:10"],
    },
    {
      name: "budget after consumption",
      input: { maxDiskBytes: 250, minCheckpoint: 10 },
      want: ["1:consumed:0", "11:budget:10"],
    },
    {
      name: "empty sealed segment is deleted",
      input: { sealed: [seg(1, 0, 0, 0), seg(1, 10, 1000)] },
      want: ["1:consumed:0"],
    },
  ];
  for (const c of cases) {
    const plan = planRetention({ ...base, ...c.input });
    assert.deepEqual(
      plan.deletions.map((d) => `${d.baseSeq}:${d.reason}:${d.unconsumed}`),
      c.want,
      c.name,
    );
    assert.equal(plan.rollActive, c.roll ?? false, `${c.name} (roll)`);
  }
});
