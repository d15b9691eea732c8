/**
 * Tests of retention on a real log: TTL skip/drop, disk budget, consumer checkpoints.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { SegmentLog } from "../../../src/hub/store/mod.ts";
import { FakeClock, MemoryLogger, tempDir } from "./_helpers.ts";

const segCount = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".seg")).length;

async function fill(log: SegmentLog, n: number, size = 100) {
  await Promise.all(Array.from({ length: n }, () => log.append(new Uint8Array(size))));
}

Deno.test("TTL: reads skip and count expired records; retention deletes expired segments", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, {
      segmentBytes: 4096,
      timeToLiveSecs: 60,
      retentionIntervalMs: 3_600_000, // the test runs retention itself
      clock,
      logger,
    });
    await fill(log, 100); // t0
    clock.advance(30_000);
    await fill(log, 10); // t0 + 30 s
    clock.advance(31_000); // first 100 expired, last 10 not
    const r = await log.read(1, { maxRecords: 1000 });
    assert.equal(r.expired, 100);
    assert.deepEqual(r.records.map((x) => x.seq), Array.from({ length: 10 }, (_, i) => 101 + i));
    assert.equal((await log.read(1, { timeToLiveSecs: -1 })).records.length, 110, "per-read TTL");
    const before = segCount(dir);
    await log.runRetention();
    const s = log.stats();
    assert.ok(segCount(dir) < before, "expired segments deleted");
    assert.ok(s.dropped_ttl > 0 && s.dropped_ttl <= 100, `dropped_ttl ${s.dropped_ttl}`);
    assert.ok(logger.has(/dropped \d+ records \(ttl\)/));
    clock.advance(60_000); // everything expired: the active segment is rolled and deleted too
    await log.runRetention();
    assert.equal(log.stats().dropped_ttl, 110);
    assert.equal((await log.read(1)).records.length, 0);
    assert.equal(await log.append(new Uint8Array(1)), 111, "sequence continues");
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("TTL: records that expired while the hub was down are dropped at open", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const clock = new FakeClock();
    let log = await SegmentLog.open(dir, { segmentBytes: 4096, clock, logger: new MemoryLogger() });
    await fill(log, 100);
    await log.close();
    clock.advance(7200_000 + 1);
    log = await SegmentLog.open(dir, { segmentBytes: 4096, clock, logger: new MemoryLogger() });
    assert.equal(log.stats().dropped_ttl, 100);
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("budget: oldest segments dropped, counted and logged", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, { segmentBytes: 4096, maxDiskBytes: 16384, logger });
    for (let i = 0; i < 10; i++) await fill(log, 30); // 30 × 124 B = 3720 B per round
    await log.runRetention();
    const s = log.stats();
    assert.ok(s.bytes_on_disk <= 16384, `bytes_on_disk ${s.bytes_on_disk}`);
    assert.ok(s.dropped_budget > 0);
    assert.ok(logger.has(/dropped \d+ records \(budget\)/));
    const r = await log.read(1, { maxRecords: 1000 });
    assert.equal(r.records[0].seq, s.first_seq);
    assert.equal(r.records.length, 300 - s.dropped_budget, "nothing else lost");
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("checkpoints: segments below every consumer's position are deleted", async () => {
  const { dir, cleanup } = tempDir();
  try {
    let log = await SegmentLog.open(dir, { segmentBytes: 4096, logger: new MemoryLogger() });
    await fill(log, 200);
    const before = segCount(dir);
    assert.equal(await log.addConsumer("a"), 0);
    assert.equal(await log.addConsumer("b"), 0);
    await log.commit("a", 150);
    await log.commit("b", 40);
    await log.runRetention();
    assert.equal(log.stats().first_seq, 34, "only the segment fully below 40 went");
    await log.commit("b", 199);
    await log.runRetention();
    assert.ok(segCount(dir) < before - 2);
    assert.ok(log.stats().first_seq > 100);
    assert.equal(log.stats().dropped_ttl + log.stats().dropped_budget, 0);
    await log.close();
    log = await SegmentLog.open(dir, { segmentBytes: 4096, logger: new MemoryLogger() });
    assert.equal(log.checkpoint("a"), 150);
    assert.equal(log.checkpoint("b"), 199);
    const r = await log.read(log.checkpoint("a")! + 1);
    assert.equal(r.records[0].seq, 151);
    await log.removeConsumer("b");
    assert.equal(log.checkpoint("b"), undefined);
    await log.close();
  } finally {
    cleanup();
  }
});
