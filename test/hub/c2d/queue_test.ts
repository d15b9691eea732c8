/**
 * The C2D queue over a real state database with an injected clock: enqueue, feed, pull, ack,
 * redelivery of unacknowledged messages to a new feed, TTL expiry, the 50-message depth limit
 * and isolation between devices.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../../../src/db/mod.ts";
import {
  C2dQueue,
  DEFAULT_C2D_TTL_SECS,
  MAX_QUEUE_DEPTH,
  QueueFullError,
} from "../../../src/hub/c2d/mod.ts";
import type { OutboundMessage } from "../../../src/hub/mqtt/mod.ts";
import { parsePropertyBag } from "../../../src/hub/mqtt/topics.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A queue over a fresh in-memory database whose clock the test moves. */
async function withQueue(
  fn: (q: C2dQueue, clock: { t: number }, db: Db) => Promise<void>,
): Promise<void> {
  const db = await openDatabase(":memory:");
  const clock = { t: T0 };
  try {
    await fn(new C2dQueue(db, () => clock.t), clock, db);
  } finally {
    await db.destroy();
  }
}

/** Splits a C2D topic into device id and property bag. */
function parseTopic(topic: string): { deviceId: string; bag: Map<string, string> } {
  const m = /^devices\/([^/]+)\/messages\/devicebound\/(.*)$/.exec(topic);
  assert.ok(m, `not a C2D topic: ${topic}`);
  return { deviceId: m[1], bag: parsePropertyBag(m[2]) };
}

function bodies(ms: OutboundMessage[]): string[] {
  return ms.map((m) => Buffer.from(m.payload).toString());
}

async function enqueueTexts(q: C2dQueue, deviceId: string, texts: string[]): Promise<void> {
  for (const t of texts) await q.enqueue(deviceId, Buffer.from(t), {});
}

Deno.test("enqueue then pull: topic, properties, body, ack removes", () =>
  withQueue(async (q) => {
    const id = await q.enqueue("dev1", Buffer.from("hello"), { color: "blue", "a b": "c&d" }, {
      messageId: "m-1",
      ttlSecs: 60,
    });
    assert.equal(id, "m-1");
    assert.equal(await q.depth("dev1"), 1);

    const feed = q.feed("dev1");
    const [m, ...rest] = await feed.pull(10);
    assert.equal(rest.length, 0);
    assert.equal(Buffer.from(m.payload).toString(), "hello");
    const { deviceId, bag } = parseTopic(m.topic);
    assert.equal(deviceId, "dev1");
    assert.equal(bag.get("$.mid"), "m-1");
    assert.equal(bag.get("$.to"), "/devices/dev1/messages/deviceBound");
    assert.equal(bag.get("$.exp"), new Date(T0 + 60_000).toISOString());
    assert.equal(bag.get("color"), "blue");
    assert.equal(bag.get("a b"), "c&d");

    assert.equal(await q.depth("dev1"), 1, "still queued until acknowledged");
    await m.ack();
    assert.equal(await q.depth("dev1"), 0);
    assert.deepEqual(await feed.pull(10), []);
  }));

Deno.test("message ids are generated when not given, and unique", () =>
  withQueue(async (q) => {
    const a = await q.enqueue("d", Buffer.from("a"), {});
    const b = await q.enqueue("d", Buffer.from("b"), {});
    assert.match(a, /^[0-9a-f-]{36}$/);
    assert.notEqual(a, b);
    const ids = (await q.feed("d").pull(10)).map((m) => parseTopic(m.topic).bag.get("$.mid"));
    assert.deepEqual(ids, [a, b]);
  }));

Deno.test("pull respects max and keeps order; one feed delivers each message once", () =>
  withQueue(async (q) => {
    await enqueueTexts(q, "d", ["1", "2", "3", "4", "5"]);
    const feed = q.feed("d");
    assert.deepEqual(bodies(await feed.pull(2)), ["1", "2"]);
    assert.deepEqual(bodies(await feed.pull(2)), ["3", "4"]);
    assert.deepEqual(bodies(await feed.pull(2)), ["5"]);
    assert.deepEqual(await feed.pull(2), []);
    await q.enqueue("d", Buffer.from("6"), {});
    assert.deepEqual(bodies(await feed.pull(2)), ["6"]);
  }));

Deno.test("a new feed (reconnect) redelivers only what was not acknowledged", () =>
  withQueue(async (q) => {
    await enqueueTexts(q, "d", ["1", "2", "3", "4"]);
    const first = q.feed("d");
    const got = await first.pull(10);
    await got[0].ack();
    await got[2].ack();
    first.close();
    const second = q.feed("d");
    const again = await second.pull(10);
    assert.deepEqual(bodies(again), ["2", "4"]);
    for (const m of again) await m.ack();
    assert.equal(await q.depth("d"), 0);
    assert.deepEqual(await q.feed("d").pull(10), []);
  }));

Deno.test("messages survive a reopen of the database until acknowledged", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ledge-c2d-"));
  try {
    const path = join(dir, "state.db");
    let db = await openDatabase(path);
    await enqueueTexts(new C2dQueue(db), "d", ["a", "b"]);
    const [a] = await new C2dQueue(db).feed("d").pull(1);
    await a.ack();
    await db.destroy();
    db = await openDatabase(path);
    assert.deepEqual(bodies(await new C2dQueue(db).feed("d").pull(10)), ["b"]);
    await db.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("expired messages are never delivered and free their place", () =>
  withQueue(async (q, clock) => {
    await q.enqueue("d", Buffer.from("short"), {}, { ttlSecs: 10 });
    await q.enqueue("d", Buffer.from("default"), {});
    clock.t += 10_000; // exactly at expiry: still deliverable
    assert.deepEqual(bodies(await q.feed("d").pull(10)), ["short", "default"]);
    clock.t += 1;
    assert.deepEqual(bodies(await q.feed("d").pull(10)), ["default"]);
    assert.equal(await q.depth("d"), 1);
    clock.t = T0 + DEFAULT_C2D_TTL_SECS * 1000 + 1;
    assert.deepEqual(await q.feed("d").pull(10), []);
    assert.equal(await q.depth("d"), 0);
  }));

Deno.test("an unacknowledged message that expires is not redelivered", () =>
  withQueue(async (q, clock) => {
    await q.enqueue("d", Buffer.from("x"), {}, { ttlSecs: 5 });
    assert.equal((await q.feed("d").pull(1)).length, 1);
    clock.t += 6_000;
    assert.deepEqual(await q.feed("d").pull(1), []);
  }));

Deno.test("at most 50 messages wait per device; expiry or ack makes room", () =>
  withQueue(async (q, clock) => {
    assert.equal(MAX_QUEUE_DEPTH, 50);
    for (let i = 0; i < MAX_QUEUE_DEPTH; i++) {
      await q.enqueue("full", Buffer.from(`${i}`), {}, { ttlSecs: i === 0 ? 1 : 3600 });
    }
    await assert.rejects(
      q.enqueue("full", Buffer.from("51"), {}),
      (e: Error) => e instanceof QueueFullError && /'full' already has 50 queued/.test(e.message),
    );
    // Other devices are not affected.
    await q.enqueue("other", Buffer.from("ok"), {});
    // The first one expires: room for one.
    clock.t += 2_000;
    await q.enqueue("full", Buffer.from("51"), {});
    await assert.rejects(q.enqueue("full", Buffer.from("52"), {}), QueueFullError);
    // Acknowledging one makes room for one more.
    const [m] = await q.feed("full").pull(1);
    await m.ack();
    await q.enqueue("full", Buffer.from("52"), {});
    assert.equal(await q.depth("full"), 50);
  }));

Deno.test("concurrent enqueues never exceed the depth limit", () =>
  withQueue(async (q) => {
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => q.enqueue("d", Buffer.from(`${i}`), {})),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const full = results.filter((r) =>
      r.status === "rejected" && r.reason instanceof QueueFullError
    ).length;
    assert.equal(ok, 50);
    assert.equal(full, 10);
    assert.equal(await q.depth("d"), 50);
  }));

Deno.test("devices are isolated: feeds, acks and depth", () =>
  withQueue(async (q) => {
    await enqueueTexts(q, "a", ["a1", "a2"]);
    await enqueueTexts(q, "b", ["b1"]);
    const fa = q.feed("a");
    const fb = q.feed("b");
    const ga = await fa.pull(10);
    const gb = await fb.pull(10);
    assert.deepEqual(bodies(ga), ["a1", "a2"]);
    assert.deepEqual(bodies(gb), ["b1"]);
    assert.ok(ga.every((m) => parseTopic(m.topic).deviceId === "a"));
    await gb[0].ack();
    assert.equal(await q.depth("a"), 2);
    assert.equal(await q.depth("b"), 0);
  }));

Deno.test("onAvailable fires for the device's own enqueues until unsubscribed", () =>
  withQueue(async (q) => {
    let a = 0, b = 0;
    const offA = q.feed("a").onAvailable(() => a++);
    q.feed("b").onAvailable(() => b++);
    await q.enqueue("a", Buffer.from("1"), {});
    await q.enqueue("a", Buffer.from("2"), {});
    offA();
    await q.enqueue("a", Buffer.from("3"), {});
    assert.equal(a, 2);
    assert.equal(b, 0);
  }));

Deno.test("a full queue does not notify", () =>
  withQueue(async (q) => {
    for (let i = 0; i < MAX_QUEUE_DEPTH; i++) await q.enqueue("d", Buffer.from("x"), {});
    let n = 0;
    q.feed("d").onAvailable(() => n++);
    await q.enqueue("d", Buffer.from("y"), {}).catch(() => {});
    assert.equal(n, 0);
  }));
