/**
 * EndpointQueue over a real SegmentLog: takes only its own (endpoint, priority) records in
 * order, commits the position everything up to which is acknowledged, redelivers after a
 * rewind, and drops (and counts) messages whose route TTL passed.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HubMessage } from "../../../src/hub/message.ts";
import {
  consumerName,
  encodeRoutedRecord,
  EndpointQueue,
  type QueuedMessage,
  type RouteTarget,
} from "../../../src/hub/router/mod.ts";
import { encodeMessage, SegmentLog, type StoreClock } from "../../../src/hub/store/mod.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const A = "/modules/a/inputs/in";
const B = "/modules/b/inputs/in";

/** A clock the test moves; timers never fire (retention is not under test here). */
class StillClock implements StoreClock {
  t = T0;
  now = () => this.t;
  setTimer = () => 0;
  clearTimer = () => {};
}

interface Ctx {
  log: SegmentLog;
  clock: StillClock;
  /** Appends one message routed to `targets`; returns its seq. */
  put(
    text: string,
    ...targets: Array<Partial<RouteTarget> & { endpointKey: string }>
  ): Promise<number>;
  queue(endpointKey: string, priority?: number, defaultTtlSecs?: number): EndpointQueue;
}

async function withLog(
  fn: (c: Ctx) => Promise<void>,
  opts: { timeToLiveSecs?: number } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-epq-"));
  const clock = new StillClock();
  const log = await SegmentLog.open(dir, { fsync: "never", clock, ...opts });
  const queues: EndpointQueue[] = [];
  try {
    await fn({
      log,
      clock,
      put: (text, ...targets) => {
        const message: HubMessage = {
          body: Buffer.from(text),
          properties: {},
          systemProperties: {},
        };
        return log.append(encodeRoutedRecord(
          targets.map((t) => ({ priority: 0, timeToLiveSecs: -1, ...t })),
          encodeMessage(message),
        ));
      },
      queue: (key, priority = 0, defaultTtlSecs = -1) => {
        const q = new EndpointQueue(
          log,
          key,
          priority,
          log.checkpoint(consumerName(key, priority)) ?? 0,
          defaultTtlSecs,
          clock.now,
        );
        queues.push(q);
        return q;
      },
    });
  } finally {
    for (const q of queues) await q.close().catch(() => {});
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const texts = (ms: QueuedMessage[]) => ms.map((m) => Buffer.from(m.message.body).toString());
const seqs = (ms: QueuedMessage[]) => ms.map((m) => m.seq);

Deno.test("consumerName is endpoint@priority", () => {
  assert.equal(consumerName("$upstream", 0), "$upstream@0");
  assert.equal(consumerName(A, 2_000_000_000), `${A}@2000000000`);
});

Deno.test("take returns only this endpoint's records at this priority, in order", () =>
  withLog(async ({ put, queue }) => {
    await put("a1", { endpointKey: A });
    await put("b1", { endpointKey: B });
    await put("both", { endpointKey: B }, { endpointKey: A });
    await put("a-pri5", { endpointKey: A, priority: 5 });
    await put("a2", { endpointKey: A });
    const a = queue(A);
    assert.deepEqual(texts(await a.take(10)), ["a1", "both", "a2"]);
    assert.deepEqual(await a.take(10), []);
    assert.deepEqual(texts(await queue(B).take(10)), ["b1", "both"]);
    assert.deepEqual(texts(await queue(A, 5).take(10)), ["a-pri5"]);
  }));

Deno.test("take respects max and continues where it stopped", () =>
  withLog(async ({ put, queue }) => {
    for (let i = 1; i <= 5; i++) {
      await put(`a${i}`, { endpointKey: A });
      await put(`b${i}`, { endpointKey: B });
    }
    const a = queue(A);
    assert.deepEqual(texts(await a.take(2)), ["a1", "a2"]);
    assert.equal(a.hasMore, true);
    assert.deepEqual(texts(await a.take(2)), ["a3", "a4"]);
    assert.deepEqual(texts(await a.take(2)), ["a5"]);
    assert.equal(a.hasMore, false);
    await put("a6", { endpointKey: A });
    assert.equal(a.hasMore, true);
    assert.deepEqual(texts(await a.take(2)), ["a6"]);
  }));

Deno.test("take finds its record behind more than one scan batch of others", () =>
  withLog(async ({ put, queue }) => {
    await Promise.all(Array.from({ length: 2500 }, (_, i) => put(`b${i}`, { endpointKey: B })));
    const seq = await put("mine", { endpointKey: A });
    const got = await queue(A).take(1);
    assert.deepEqual(texts(got), ["mine"]);
    assert.deepEqual(seqs(got), [seq]);
  }));

Deno.test("the checkpoint covers acknowledged records and others' records, never an unacked one", () =>
  withLog(async ({ log, put, queue }) => {
    const s1 = await put("a1", { endpointKey: A });
    const s2 = await put("a2", { endpointKey: A });
    await put("b", { endpointKey: B });
    const s4 = await put("a3", { endpointKey: A });
    const sB = await put("b", { endpointKey: B });
    const q = queue(A);
    const name = consumerName(A, 0);
    assert.deepEqual(seqs(await q.take(10)), [s1, s2, s4]);

    await q.commit();
    assert.equal(log.checkpoint(name), undefined, "nothing acknowledged: nothing committed");

    q.ack(s2); // out of order: s1 still pending
    await q.commit();
    assert.equal(log.checkpoint(name), undefined);

    q.ack(s1);
    await q.commit();
    assert.equal(log.checkpoint(name), s4 - 1, "up to the first unacknowledged one");

    q.ack(s4);
    q.ack(s4); // a duplicate ack is harmless
    await q.commit();
    assert.equal(log.checkpoint(name), sB, "past the trailing records of other endpoints");
  }));

Deno.test("acks alone commit shortly after, without an explicit commit", () =>
  withLog(async ({ log, put, queue }) => {
    const s1 = await put("a1", { endpointKey: A });
    const q = queue(A);
    await q.take(1);
    q.ack(s1);
    for (let i = 0; i < 50 && log.checkpoint(consumerName(A, 0)) !== s1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(log.checkpoint(consumerName(A, 0)), s1);
  }));

Deno.test("a queue opened at a checkpoint starts after it", () =>
  withLog(async ({ put, queue }) => {
    const s1 = await put("a1", { endpointKey: A });
    await put("a2", { endpointKey: A });
    const first = queue(A);
    await first.take(1);
    first.ack(s1);
    await first.close();
    assert.deepEqual(texts(await queue(A).take(10)), ["a2"]);
  }));

Deno.test("rewind redelivers what was not acknowledged (in-order acks)", () =>
  withLog(async ({ put, queue }) => {
    for (let i = 1; i <= 4; i++) await put(`a${i}`, { endpointKey: A });
    await put("b", { endpointKey: B });
    const q = queue(A);
    const got = await q.take(10);
    q.ack(got[0].seq);
    q.ack(got[1].seq);
    q.rewind(); // the module reconnected
    assert.deepEqual(texts(await q.take(10)), ["a3", "a4"]);
    q.rewind();
    assert.deepEqual(texts(await q.take(10)), ["a3", "a4"]);
  }));

Deno.test("rewind after out-of-order acks redelivers from the oldest unacked (at-least-once)", () =>
  withLog(async ({ put, queue }) => {
    for (let i = 1; i <= 4; i++) await put(`a${i}`, { endpointKey: A });
    const q = queue(A);
    const got = await q.take(10);
    q.ack(got[0].seq);
    q.ack(got[2].seq);
    q.rewind();
    // a2 is owed; a3 was acknowledged but lies past it, so it may come again (no loss).
    assert.deepEqual(texts(await q.take(10)), ["a2", "a3", "a4"]);
  }));

Deno.test("rewind with nothing outstanding delivers nothing again", () =>
  withLog(async ({ put, queue }) => {
    const s = await put("a1", { endpointKey: A });
    const q = queue(A);
    await q.take(10);
    q.ack(s);
    q.rewind();
    assert.deepEqual(await q.take(10), []);
  }));

Deno.test("a route's TTL drops and counts expired messages; the default applies otherwise", () =>
  withLog(async ({ clock, put, queue }) => {
    await put("short", { endpointKey: A, timeToLiveSecs: 5 });
    await put("default", { endpointKey: A }); // -1: the queue's default (60 s here)
    await put("long", { endpointKey: A, timeToLiveSecs: 600 });
    clock.t += 4_999;
    const early = queue(A, 0, 60);
    assert.deepEqual(texts(await early.take(10)), ["short", "default", "long"]);
    assert.equal(early.expired, 0);

    clock.t = T0 + 5_000; // now - timestamp >= ttl: expired (routing.md §5.2)
    const q5 = queue(A, 0, 60);
    assert.deepEqual(texts(await q5.take(10)), ["default", "long"]);
    assert.equal(q5.expired, 1);

    clock.t = T0 + 61_000;
    const q61 = queue(A, 0, 60);
    assert.deepEqual(texts(await q61.take(10)), ["long"]);
    assert.equal(q61.expired, 2);
  }));

Deno.test("a negative default TTL never expires", () =>
  withLog(async ({ clock, put, queue }) => {
    await put("forever", { endpointKey: A });
    clock.t += 365 * 86_400_000;
    const q = queue(A, 0, -1);
    assert.deepEqual(texts(await q.take(10)), ["forever"]);
    assert.equal(q.expired, 0);
  }));

Deno.test("expiry under the store's own TTL is counted by the queue too", () =>
  withLog(async ({ clock, put, queue }) => {
    await put("old", { endpointKey: A });
    await put("old-b", { endpointKey: B });
    clock.t += 11_000;
    await put("fresh", { endpointKey: A });
    const q = queue(A, 0, 10); // the router passes the store's TTL as the default
    assert.deepEqual(texts(await q.take(10)), ["fresh"]);
    assert.equal(q.expired, 1);
  }, { timeToLiveSecs: 10 }));
