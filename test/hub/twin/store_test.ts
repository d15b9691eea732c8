/**
 * The twin store over a real state database: empty twins on first use, versions per section,
 * merged patches, refused patches change nothing, and the `desired`/`reported` events.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { type Db, openDatabase } from "../../../src/db/mod.ts";
import { type DesiredPatch, TwinPatchError, TwinStore } from "../../../src/hub/twin/mod.ts";

async function withStore(fn: (s: TwinStore, db: Db) => Promise<void>): Promise<void> {
  const db = await openDatabase(":memory:");
  try {
    await fn(new TwinStore(db), db);
  } finally {
    await db.destroy();
  }
}

Deno.test("a twin starts empty at version 1 in both sections", () =>
  withStore(async (s) => {
    assert.deepEqual(await s.get("dev"), { desired: { $version: 1 }, reported: { $version: 1 } });
    assert.deepEqual(await s.get("dev"), { desired: { $version: 1 }, reported: { $version: 1 } });
  }));

Deno.test("desired patches merge, increment the version and emit the patch", () =>
  withStore(async (s) => {
    const events: DesiredPatch[] = [];
    s.on("desired", (e) => events.push(e));
    assert.equal(await s.patchDesired("dev/mod", { a: 1, o: { x: 1, y: 2 } }), 2);
    assert.equal(await s.patchDesired("dev/mod", { a: null, o: { y: 3 }, l: [1] }), 3);
    assert.deepEqual(await s.get("dev/mod"), {
      desired: { o: { x: 1, y: 3 }, l: [1], $version: 3 },
      reported: { $version: 1 },
    });
    assert.deepEqual(events, [
      { id: "dev/mod", patch: { a: 1, o: { x: 1, y: 2 } }, version: 2 },
      { id: "dev/mod", patch: { a: null, o: { y: 3 }, l: [1] }, version: 3 },
    ]);
    // Other twins are independent.
    assert.deepEqual(await s.get("dev"), { desired: { $version: 1 }, reported: { $version: 1 } });
  }));

Deno.test("reported patches have their own version and event", () =>
  withStore(async (s) => {
    const desired: DesiredPatch[] = [];
    const reported: unknown[] = [];
    s.on("desired", (e) => desired.push(e));
    s.on("reported", (id, patch, version) => reported.push([id, patch, version]));
    assert.equal(await s.patchReported("dev", { fw: "1.0" }), 2);
    assert.equal(await s.patchReported("dev", { fw: "1.1", up: true }), 3);
    assert.equal(await s.patchDesired("dev", { t: 20 }), 2);
    assert.deepEqual(await s.get("dev"), {
      desired: { t: 20, $version: 2 },
      reported: { fw: "1.1", up: true, $version: 3 },
    });
    assert.deepEqual(reported, [["dev", { fw: "1.0" }, 2], ["dev", { fw: "1.1", up: true }, 3]]);
    assert.equal(desired.length, 1);
  }));

function nest(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

Deno.test("refused patches change nothing and emit nothing", async (t) => {
  const bad: Array<[string, unknown]> = [
    ["not an object", [1, 2]],
    ["$ key", { $version: 7 }],
    ["dotted key", { "a.b": 1 }],
    ["too deep", nest(11)],
    ["too big", { s: "x".repeat(33 * 1024) }],
  ];
  for (const [name, patch] of bad) {
    await t.step(name, () =>
      withStore(async (s) => {
        let emitted = 0;
        s.on("desired", () => emitted++);
        await assert.rejects(s.patchDesired("d", patch), TwinPatchError);
        await assert.rejects(s.patchReported("d", patch), TwinPatchError);
        assert.equal(emitted, 0);
        assert.deepEqual(await s.get("d"), { desired: { $version: 1 }, reported: { $version: 1 } });
      }));
  }
});

Deno.test("a section may not grow past 32 KB through several patches", () =>
  withStore(async (s) => {
    const chunk = "x".repeat(12 * 1024);
    await s.patchDesired("d", { a: chunk });
    await s.patchDesired("d", { b: chunk });
    await assert.rejects(s.patchDesired("d", { c: chunk }), /desired properties would exceed/);
    await s.patchReported("d", { a: chunk });
    await s.patchReported("d", { b: chunk });
    await assert.rejects(s.patchReported("d", { c: chunk }), /reported properties would exceed/);
    const twin = await s.get("d");
    assert.equal(twin.desired.$version, 3);
    assert.equal(twin.reported.$version, 3);
    assert.equal("c" in twin.desired, false);
  }));

Deno.test("replaceDesired replaces the section, strips $ keys, and emits", () =>
  withStore(async (s) => {
    const events: DesiredPatch[] = [];
    s.on("desired", (e) => events.push(e));
    await s.patchDesired("$edgeHub", { old: 1 });
    assert.equal(await s.replaceDesired("$edgeHub", { $version: 99, routes: { r: "x" } }), 3);
    assert.deepEqual((await s.get("$edgeHub")).desired, { routes: { r: "x" }, $version: 3 });
    assert.deepEqual(events.at(-1), { id: "$edgeHub", patch: { routes: { r: "x" } }, version: 3 });
    assert.equal(await s.replaceReported("$edgeHub", { $version: 5, ok: true }), 2);
    assert.deepEqual((await s.get("$edgeHub")).reported, { ok: true, $version: 2 });
  }));

Deno.test("remove starts the twin over; twins survive a reopen", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ledge-twin-"));
  try {
    const path = join(dir, "state.db");
    let db = await openDatabase(path);
    let s = new TwinStore(db);
    await s.patchDesired("keep", { a: 1 });
    await s.patchDesired("gone", { a: 1 });
    await s.remove("gone");
    assert.deepEqual(await s.get("gone"), { desired: { $version: 1 }, reported: { $version: 1 } });
    await db.destroy();

    db = await openDatabase(path);
    s = new TwinStore(db);
    assert.deepEqual((await s.get("keep")).desired, { a: 1, $version: 2 });
    await db.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("concurrent patches of one twin all land, each with its own version", () =>
  withStore(async (s) => {
    const reported = await Promise.all([
      s.patchReported("d", { a: 1 }),
      s.patchReported("d", { b: 2 }),
      s.patchReported("d", { c: 3 }),
    ]);
    const desired = await Promise.all([
      s.patchDesired("d", { x: 1 }),
      s.patchDesired("d", { "bad.key": 1 }).catch(() => -1),
      s.patchDesired("d", { y: 2 }),
    ]);
    assert.deepEqual(reported, [2, 3, 4]);
    assert.deepEqual(desired, [2, -1, 3]);
    assert.deepEqual(await s.get("d"), {
      desired: { x: 1, y: 2, $version: 3 },
      reported: { a: 1, b: 2, c: 3, $version: 4 },
    });
  }));
