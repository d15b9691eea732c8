/**
 * Recovery tests: hand-corrupted and torn segment tails are detected, cut and logged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { SegmentLog } from "../../../src/hub/store/mod.ts";
import { MemoryLogger, patterned, tempDir } from "./_helpers.ts";

const SEG1 = "00000000000000000001.seg";

async function writeRecords(dir: string, n: number, size = 40, opts = {}) {
  const log = await SegmentLog.open(dir, { logger: new MemoryLogger(), ...opts });
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(patterned(i, size))));
  await log.close();
}

async function readAllSeqs(log: SegmentLog): Promise<number[]> {
  const seqs: number[] = [];
  for await (const r of log.records(1)) seqs.push(r.seq);
  return seqs;
}

Deno.test("recovery: a flipped byte in the last record is detected, truncated and logged", async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeRecords(dir, 10); // 10 × 64 B records
    const file = path.join(dir, SEG1);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0x40; // inside the last record's payload
    writeFileSync(file, bytes);
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, { logger });
    assert.ok(
      logger.has(
        /recovery: truncating 00000000000000000001\.seg at byte 576 \(CRC mismatch\), discarding 64 bytes/,
      ),
      logger.lines.join("\n"),
    );
    assert.equal(statSync(file).size, 576);
    assert.deepEqual(await readAllSeqs(log), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(
      await log.append(new Uint8Array(1)),
      10,
      "the lost seq is reused: it was never valid",
    );
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("recovery: torn writes (partial header, partial payload, garbage) are cut", async () => {
  const tails: Array<[string, Uint8Array, RegExp]> = [
    ["partial header", new Uint8Array(10).fill(1), /truncated record/],
    ["zero fill", new Uint8Array(4096), /CRC mismatch|truncated record/],
    [
      "length past end",
      Uint8Array.from([0, 0, 0, 0, 100, 0, 0, 0, 11, 0, 0, 0]),
      /truncated record/,
    ],
    [
      "huge length",
      Uint8Array.from({ length: 30 }, (_, i) => (i >= 4 && i < 8 ? 255 : 0)),
      /bad length/,
    ],
  ];
  for (const [name, tail, reason] of tails) {
    const { dir, cleanup } = tempDir();
    try {
      await writeRecords(dir, 10);
      appendFileSync(path.join(dir, SEG1), tail);
      const logger = new MemoryLogger();
      const log = await SegmentLog.open(dir, { logger });
      assert.ok(logger.has(reason), `${name}: ${logger.lines.join("\n")}`);
      assert.equal(statSync(path.join(dir, SEG1)).size, 640, name);
      assert.equal((await readAllSeqs(log)).length, 10, name);
      await log.close();
    } finally {
      cleanup();
    }
  }
});

Deno.test("recovery: a corrupt record inside a sealed segment is never returned", async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeRecords(dir, 100, 40, { segmentBytes: 4096 }); // 64 records per segment
    const file = path.join(dir, SEG1);
    const bytes = readFileSync(file);
    bytes[64 * 10 + 30] ^= 1; // payload of seq 11; the .idx stays valid (size unchanged)
    writeFileSync(file, bytes);
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, { logger, segmentBytes: 4096 });
    const seen: number[] = [];
    for await (const r of log.records(1)) {
      assert.deepEqual(r.payload, patterned(r.seq - 1, 40), `seq ${r.seq} intact`);
      seen.push(r.seq);
    }
    assert.ok(!seen.includes(11));
    assert.deepEqual(seen.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(seen.at(-1), 100);
    assert.equal(log.stats().corrupt_skipped, 1);
    assert.ok(logger.has(/corrupt record in 00000000000000000001\.seg \(CRC mismatch\)/));
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("recovery: a stale index (segment changed size) is rebuilt by scanning", async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeRecords(dir, 100, 40, { segmentBytes: 4096 });
    appendFileSync(path.join(dir, SEG1), new Uint8Array(7)); // junk after a sealed segment
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, { logger, segmentBytes: 4096 });
    assert.ok(logger.has(/rebuilding index of 00000000000000000001\.seg \(index says 4096 bytes/));
    assert.ok(logger.has(/truncating 00000000000000000001\.seg at byte 4096/));
    assert.equal((await readAllSeqs(log)).length, 100);
    await log.close();
  } finally {
    cleanup();
  }
});
