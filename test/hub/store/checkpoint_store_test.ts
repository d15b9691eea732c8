/**
 * Tests of the per-consumer checkpoint files: durability, coalescing, bad files.
 *
 * @module
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import {
  checkpointFileName,
  CheckpointStore,
  parseCheckpoint,
} from "../../../src/hub/store/checkpoint_store.ts";
import { MemoryLogger, tempDir } from "./_helpers.ts";

Deno.test("checkpoints: commit, reopen, min, remove", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const log = new MemoryLogger();
    let s = await CheckpointStore.open(dir, log);
    assert.equal(s.min(), null);
    await s.commit("$upstream", 10);
    await s.commit("module/filter/input1", 4);
    assert.equal(s.min(), 4);
    s = await CheckpointStore.open(dir, log);
    assert.equal(s.get("$upstream"), 10);
    assert.equal(s.get("module/filter/input1"), 4);
    await s.remove("module/filter/input1");
    s = await CheckpointStore.open(dir, log);
    assert.deepEqual(s.entries(), [["$upstream", 10]]);
  } finally {
    cleanup();
  }
});

Deno.test("checkpoints: concurrent commits coalesce, last one wins", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const s = await CheckpointStore.open(dir, new MemoryLogger());
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.commit("c", i + 1)));
    const again = await CheckpointStore.open(dir, new MemoryLogger());
    assert.equal(again.get("c"), 50);
  } finally {
    cleanup();
  }
});

Deno.test("checkpoints: damaged files are ignored with a log line", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(path.join(dir, "bad.ckpt"), "{nope");
    writeFileSync(path.join(dir, "x.ckpt.tmp"), "partial");
    const log = new MemoryLogger();
    const s = await CheckpointStore.open(dir, log);
    assert.equal(s.min(), null);
    assert.ok(log.has(/ignoring checkpoint file bad\.ckpt: checkpoint: not JSON/));
  } finally {
    cleanup();
  }
});

Deno.test("parseCheckpoint / checkpointFileName: vectors", () => {
  assert.deepEqual(parseCheckpoint('{"consumer":"a","seq":3}'), { consumer: "a", seq: 3 });
  assert.throws(() => parseCheckpoint('{"consumer":"a","seq":-1}'), /checkpoint\.seq/);
  assert.throws(() => parseCheckpoint('{"seq":1}'), /checkpoint\.consumer/);
  assert.throws(() => parseCheckpoint("[]"), /checkpoint\.consumer/);
  assert.equal(checkpointFileName("a/b c"), "a%2Fb%20c.ckpt");
  assert.throws(() => checkpointFileName(""), /consumer/);
});
