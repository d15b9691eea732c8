/**
 * Full-disk test on a real 2 MiB tmpfs: appends fail with StoreFullError, the log fails fast
 * while full (the caller's back-pressure signal), nothing stored before is damaged, and once
 * space is freed the log notices by itself and appends resume. Needs `mount` (root); without
 * it the test is skipped loudly, and fails under CI=true.
 *
 * @module
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { SegmentLog, StoreFullError } from "../../../src/hub/store/mod.ts";
import { MemoryLogger, patterned, tempDir } from "./_helpers.ts";

function tryMountTmpfs(dir: string): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (e) {
    return String((e as { stderr?: unknown }).stderr ?? e).trim();
  }
}

Deno.test("full disk: StoreFullError, fail-fast back-pressure, automatic recovery", async () => {
  const { dir: base, cleanup } = tempDir("ledge-full-");
  const mnt = path.join(base, "mnt");
  mkdirSync(mnt);
  const why = tryMountTmpfs(mnt);
  if (why !== null) {
    cleanup();
    const msg = `full-disk test cannot mount a tmpfs (${why})`;
    if (process.env.CI === "true") throw new Error(`${msg}; required under CI=true`);
    console.warn(`SKIPPED: ${msg}`);
    return;
  }
  const dir = path.join(mnt, "store");
  const filler = path.join(mnt, "filler");
  const opts = {
    segmentBytes: 256 * 1024,
    maxBatchBytes: 64 * 1024,
    maxRecordBytes: 4096,
    fullProbeIntervalMs: 50,
  };
  try {
    writeFileSync(filler, new Uint8Array(1200 * 1024));
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, { ...opts, logger });
    const acked: number[] = [];
    let fullError: StoreFullError | null = null;
    for (let round = 0; round < 200 && !fullError; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 32 }, (_, i) => log.append(patterned(round * 32 + i, 1000))),
      );
      for (const r of results) {
        if (r.status === "fulfilled") acked.push(r.value);
        else if (r.reason instanceof StoreFullError) fullError ??= r.reason;
        else throw r.reason;
      }
    }
    assert.ok(fullError, "the 2 MiB tmpfs filled up");
    assert.ok(acked.length > 100, `acked ${acked.length}`);
    assert.equal(log.state, "full");
    assert.ok(logger.has(/store is full/));

    // Fail fast while full: no waiting, no I/O, a typed error the caller turns into "stop acking".
    const t = performance.now();
    await assert.rejects(log.append(new Uint8Array(10)), (e: unknown) => {
      assert.ok(e instanceof StoreFullError);
      assert.equal((e as StoreFullError).code, "FULL_STATE");
      return true;
    });
    assert.ok(performance.now() - t < 200, "rejected fast");
    let writable = false;
    const whenWritable = log.whenWritable().then(() => (writable = true));

    // Everything acknowledged is intact (reads still work while full).
    const seen = new Map<number, Uint8Array>();
    for await (const r of log.records(1)) seen.set(r.seq, r.payload.slice());
    acked.sort((a, b) => a - b);
    for (const s of acked) assert.ok(seen.has(s), `acked seq ${s} readable while full`);

    // Free space: the probe notices and appends resume.
    assert.equal(writable, false);
    rmSync(filler);
    await Promise.race([
      whenWritable,
      new Promise((_, rej) => setTimeout(() => rej(new Error("no recovery in 5 s")), 5000)),
    ]);
    assert.equal(log.state, "open");
    assert.ok(logger.has(/disk space available again/));
    const more = await Promise.all(
      Array.from({ length: 100 }, () => log.append(new Uint8Array(500))),
    );
    assert.equal(more.length, 100);
    await log.close();

    const reopened = await SegmentLog.open(dir, { ...opts, logger: new MemoryLogger() });
    const all: number[] = [];
    for await (const r of reopened.records(1)) {
      if (seen.has(r.seq)) assert.deepEqual(r.payload, seen.get(r.seq), `seq ${r.seq} unchanged`);
      all.push(r.seq);
    }
    for (const s of [...acked, ...more]) assert.ok(all.includes(s), `seq ${s} after reopen`);
    assert.equal(reopened.stats().corrupt_skipped, 0);
    await reopened.close();
  } finally {
    try {
      execFileSync("umount", [mnt], { stdio: "pipe" });
    } catch {
      execFileSync("umount", ["-l", mnt], { stdio: "pipe" });
    }
    cleanup();
  }
});
