/**
 * Tests of SegmentLog appends, reads, rolling, group commit, back-pressure and policies.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import {
  type FsyncPolicy,
  RecordTooLargeError,
  SegmentLog,
  StoreClosedError,
  StoreConfigError,
} from "../../../src/hub/store/mod.ts";
import { FakeClock, MemoryLogger, patterned, sleep, tempDir, until } from "./_helpers.ts";

async function readAll(log: SegmentLog, from = 1) {
  const out = [];
  for await (const r of log.records(from)) out.push({ ...r, payload: r.payload.slice() });
  return out;
}

for (const fsync of ["always", "interval", "never"] as FsyncPolicy[]) {
  Deno.test(`SegmentLog(${fsync}): append, read back, reopen continues the sequence`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      let log = await SegmentLog.open(dir, {
        fsync,
        segmentBytes: 8192,
        logger: new MemoryLogger(),
      });
      const seqs = await Promise.all(
        Array.from({ length: 500 }, (_, i) => log.append(patterned(i, 1 + (i % 97)))),
      );
      assert.deepEqual(seqs, Array.from({ length: 500 }, (_, i) => i + 1));
      assert.equal(log.lastSeq, 500);
      const hot = await readAll(log);
      await log.close();
      log = await SegmentLog.open(dir, { fsync, segmentBytes: 8192, logger: new MemoryLogger() });
      const cold = await readAll(log);
      assert.equal(cold.length, 500);
      for (let i = 0; i < 500; i++) {
        assert.equal(cold[i].seq, i + 1);
        assert.deepEqual(cold[i].payload, patterned(i, 1 + (i % 97)));
        assert.deepEqual(cold[i].payload, hot[i].payload);
      }
      assert.ok(log.stats().segments >= 4, "rolled segments");
      assert.equal(await log.append(new Uint8Array([1])), 501);
      await log.close();
    } finally {
      cleanup();
    }
  });
}

Deno.test("SegmentLog: segments roll at segmentBytes; names are base seqs", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await SegmentLog.open(dir, { segmentBytes: 4096, logger: new MemoryLogger() });
    await Promise.all(Array.from({ length: 100 }, () => log.append(new Uint8Array(100))));
    await log.close();
    const segs = readdirSync(dir).filter((n) => n.endsWith(".seg")).sort();
    assert.equal(segs[0], "00000000000000000001.seg");
    // 124-byte records, 33 per 4096-byte segment (the last may be partly filled)
    assert.equal(segs.length, 4);
    assert.equal(segs[1], "00000000000000000034.seg");
    assert.ok(readdirSync(dir).includes("00000000000000000001.idx"));
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog.read: from the middle, maxRecords, maxBytes; tail cache and disk agree", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const opts = { segmentBytes: 16384, indexIntervalBytes: 512, logger: new MemoryLogger() };
    const log = await SegmentLog.open(dir, opts);
    for (let i = 0; i < 10; i++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => log.append(patterned(i * 100 + j, 50))),
      );
    }
    const cold = await SegmentLog.open(dir + "-copy", opts); // unrelated empty log
    await cold.close();
    for (const from of [1, 2, 333, 640, 999, 1000]) {
      const r = await log.read(from, { maxRecords: 7 });
      assert.deepEqual(
        r.records.map((x) => x.seq),
        Array.from({ length: Math.min(7, 1001 - from) }, (_, i) => from + i),
      );
      assert.equal(r.nextSeq, r.records.at(-1)!.seq + 1);
      assert.deepEqual(r.records[0].payload, patterned(from - 1, 50));
    }
    const bytesLimited = await log.read(10, { maxBytes: 120 });
    assert.equal(bytesLimited.records.length, 2);
    const one = await log.read(10, { maxBytes: 1 });
    assert.equal(one.records.length, 1, "always at least one record");
    assert.deepEqual((await log.read(1001)).records, []);
    await log.close();
    const reopened = await SegmentLog.open(dir, { ...opts, tailCacheBytes: 0 });
    for (const from of [1, 333, 999]) {
      const r = await reopened.read(from, { maxRecords: 5 });
      assert.deepEqual(
        r.records.map((x) => x.seq),
        [from, from + 1, from + 2, from + 3, from + 4].filter((s) => s <= 1000),
      );
    }
    await reopened.close();
  } finally {
    cleanup();
    rmSync(dir + "-copy", { recursive: true, force: true });
  }
});

Deno.test("SegmentLog: offer/durable share one promise per batch", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await SegmentLog.open(dir, { logger: new MemoryLogger() });
    const seqs = Array.from({ length: 100 }, () => log.offer(new Uint8Array(10)));
    const promises = new Set(seqs.map((s) => log.durable(s)));
    assert.equal(promises.size, 1);
    await Promise.all(promises);
    assert.equal(log.lastSeq, 100);
    assert.equal(log.durable(50), log.durable(1), "already durable: shared resolved promise");
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: back-pressure keeps pending bytes bounded and order intact", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await SegmentLog.open(dir, {
      maxBatchBytes: 4096,
      maxRecordBytes: 1000,
      logger: new MemoryLogger(),
    });
    let maxPending = 0, maxWaiting = 0;
    const ps = Array.from({ length: 400 }, (_, i) => {
      const p = log.append(patterned(i, 200));
      const s = log.stats();
      maxPending = Math.max(maxPending, s.pending_bytes);
      maxWaiting = Math.max(maxWaiting, s.waiting_appends);
      return p;
    });
    const seqs = await Promise.all(ps);
    assert.deepEqual(seqs, Array.from({ length: 400 }, (_, i) => i + 1), "FIFO order kept");
    assert.ok(maxPending <= 2 * 4096, `pending ${maxPending}`);
    assert.ok(maxWaiting > 0, "some appends had to wait");
    const all = await readAll(log);
    assert.deepEqual(all[399].payload, patterned(399, 200));
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: errors are typed", async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(
      SegmentLog.open(dir, { fsync: "sometimes" as FsyncPolicy }),
      StoreConfigError,
    );
    await assert.rejects(SegmentLog.open(dir, { segmentBytes: 1 }), /option segmentBytes/);
    const log = await SegmentLog.open(dir, { maxRecordBytes: 10, logger: new MemoryLogger() });
    await assert.rejects(log.append(new Uint8Array(11)), RecordTooLargeError);
    await log.close();
    await assert.rejects(log.append(new Uint8Array(1)), StoreClosedError);
    await assert.rejects(log.read(1), StoreClosedError);
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: interval policy resolves only after the timed sync", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const clock = new FakeClock();
    const log = await SegmentLog.open(dir, {
      fsync: "interval",
      syncIntervalMs: 1000,
      clock,
      logger: new MemoryLogger(),
    });
    await log.append(new Uint8Array(1)); // first sync is immediate (none happened yet)
    clock.advance(10);
    let done = false;
    const p = log.append(new Uint8Array(1)).then(() => (done = true));
    await until(() => log.stats().batch_writes === 2); // written, waiting for the timed sync
    await sleep(10);
    assert.equal(done, false, "not durable before the interval");
    assert.equal((await log.read(1)).records.length, 1, "readers see only durable records");
    clock.advance(1000);
    await p;
    assert.equal(log.lastSeq, 2);
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: waitFor and follow-iteration see new records", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await SegmentLog.open(dir, { logger: new MemoryLogger() });
    const ac = new AbortController();
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const r of log.records(1, { follow: true, signal: ac.signal })) {
        seen.push(r.seq);
        if (seen.length === 3) ac.abort();
      }
    })();
    await log.append(new Uint8Array(1));
    await sleep(5);
    await log.append(new Uint8Array(1));
    await log.append(new Uint8Array(1));
    await consumer;
    assert.deepEqual(seen, [1, 2, 3]);
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: index files are rebuilt when missing", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const opts = { segmentBytes: 4096, logger: new MemoryLogger() };
    let log = await SegmentLog.open(dir, opts);
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(patterned(i, 60))));
    await log.close();
    for (const n of readdirSync(dir)) if (n.endsWith(".idx")) rmSync(path.join(dir, n));
    const logger = new MemoryLogger();
    log = await SegmentLog.open(dir, { ...opts, logger });
    assert.ok(logger.has(/rebuilding index of 00000000000000000001\.seg \(no index file\)/));
    assert.ok(readdirSync(dir).includes("00000000000000000001.idx"));
    const r = await log.read(150, { maxRecords: 1 });
    assert.deepEqual(r.records[0].payload, patterned(149, 60));
    await log.close();
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: durable() of a written-not-synced seq resolves at the next sync; close syncs", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const clock = new FakeClock();
    const log = await SegmentLog.open(dir, {
      fsync: "interval",
      syncIntervalMs: 1000,
      clock,
      logger: new MemoryLogger(),
    });
    await log.append(new Uint8Array(1));
    clock.advance(10);
    const seq = log.offer(new Uint8Array(1));
    await until(() => log.stats().batch_writes === 2); // written, waiting for the interval sync
    let done = false;
    const p = log.durable(seq).then(() => (done = true));
    await sleep(10);
    assert.equal(done, false);
    clock.advance(1000);
    await p;
    clock.advance(10);
    const last = log.append(new Uint8Array(1));
    await until(() => log.stats().batch_writes === 3);
    await log.close(); // the final sync makes it durable
    assert.equal(await last, 3);
  } finally {
    cleanup();
  }
});

Deno.test("SegmentLog: a hot consumer is served from the tail cache, a lagging one from disk", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = await SegmentLog.open(dir, {
      tailCacheBytes: 64 * 1024,
      logger: new MemoryLogger(),
    });
    let next = 1;
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => log.append(patterned(round * 50 + i, 200))),
      );
      const r = await log.read(next);
      assert.equal(r.records.length, 50);
      next = r.nextSeq;
    }
    assert.equal(log.stats().disk_reads, 0, "hot reads never touched the disk");
    const old = await log.read(1, { maxRecords: 10 });
    assert.deepEqual(old.records[9].payload, patterned(9, 200));
    assert.ok(log.stats().disk_reads > 0, "evicted records come from disk");
    await log.close();
  } finally {
    cleanup();
  }
});
