/**
 * MessageRouter over a real SegmentLog and compiled RouteTables: unrouted messages are not
 * stored, a message is stored once for all its endpoints, priorities order delivery to a
 * module, route changes keep the positions of remaining endpoints, and a restart resumes
 * from the checkpoints.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../../src/log/mod.ts";
import type { HubMessage } from "../../../src/hub/message.ts";
import { MessageMonitor } from "../../../src/hub/monitor.ts";
import type { DeliveryFeed, OutboundMessage } from "../../../src/hub/mqtt/mod.ts";
import { parsePropertyBag } from "../../../src/hub/mqtt/topics.ts";
import { consumerName, MessageRouter } from "../../../src/hub/router/mod.ts";
import { RouteTable } from "../../../src/hub/routing/mod.ts";
import { SegmentLog } from "../../../src/hub/store/mod.ts";

const DEVICE = "edge1";
const input = (module: string, name: string) => `/modules/${module}/inputs/${name}`;
const into = (module: string, name: string) =>
  `INTO BrokeredEndpoint("/modules/${module}/inputs/${name}")`;

/** A message from module `sensor` on output `out` (or from leaf device `leaf` when `leaf`). */
function msg(text: string, props: Record<string, string> = {}, leaf = false): HubMessage {
  return {
    body: Buffer.from(text),
    properties: props,
    systemProperties: leaf ? { connectionDeviceId: "leaf", messageId: text } : {
      connectionDeviceId: DEVICE,
      connectionModuleId: "sensor",
      outputName: "out",
      messageId: text,
    },
  };
}

interface Got {
  input: string;
  body: string;
  mid: string | undefined;
  ack(): Promise<void> | void;
}

function parse(m: OutboundMessage, module: string): Got {
  const prefix = `devices/${DEVICE}/modules/${module}/inputs/`;
  assert.ok(m.topic.startsWith(prefix), m.topic);
  const rest = m.topic.slice(prefix.length);
  const slash = rest.indexOf("/");
  return {
    input: rest.slice(0, slash),
    body: Buffer.from(m.payload).toString(),
    mid: parsePropertyBag(rest.slice(slash + 1)).get("$.mid"),
    ack: () => m.ack(),
  };
}

/** Pulls until the feed has nothing more (in batches of `batch`). */
async function drain(feed: DeliveryFeed, module: string, batch = 100): Promise<Got[]> {
  const out: Got[] = [];
  for (;;) {
    const got = await feed.pull(batch);
    if (got.length === 0) return out;
    out.push(...got.map((m) => parse(m, module)));
  }
}

const bodies = (gs: Got[]) => gs.map((g) => g.body);

interface Hub {
  dir: string;
  log: SegmentLog;
  monitor: MessageMonitor;
  router: MessageRouter;
  seen: HubMessage[];
  /** Closes router and log, then opens both again on the same directory. */
  restart(routes: Record<string, unknown>): Promise<void>;
}

async function withHub(
  routes: Record<string, unknown> | undefined,
  fn: (h: Hub) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-router-"));
  const monitor = new MessageMonitor();
  const seen: HubMessage[] = [];
  monitor.on("message", (m) => seen.push(m));
  const open = async () => {
    const log = await SegmentLog.open(dir, { fsync: "never" });
    return { log, router: new MessageRouter(log, monitor, silentLogger, -1) };
  };
  const h: Hub = {
    dir,
    monitor,
    seen,
    ...(await open()),
    restart: async (r) => {
      await h.router.close();
      await h.log.close();
      Object.assign(h, await open());
      await h.router.setRoutes(RouteTable.compile(r));
    },
  };
  try {
    if (routes) await h.router.setRoutes(RouteTable.compile(routes));
    await fn(h);
  } finally {
    await h.router.close().catch(() => {});
    await h.log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("messages that match no route are not stored, but are monitored", () =>
  withHub({ r: `FROM /messages/modules/sensor/* ${into("filter", "in")}` }, async (h) => {
    await h.router.accept(msg("from-leaf", {}, true));
    assert.equal(h.log.lastSeq, 0);
    assert.equal(h.router.unrouted, 1);
    assert.deepEqual(h.seen.map((m) => Buffer.from(m.body).toString()), ["from-leaf"]);
    await h.router.accept(msg("from-sensor"));
    assert.equal(h.log.lastSeq, 1);
    assert.equal(h.router.unrouted, 1);
    assert.equal(h.seen.length, 2);
  }));

Deno.test("without any route table every message is unrouted", () =>
  withHub(undefined, async (h) => {
    await h.router.accept(msg("a"));
    assert.equal(h.log.lastSeq, 0);
    assert.equal(h.router.unrouted, 1);
  }));

Deno.test("a message for several endpoints is stored once and reaches each", () =>
  withHub({
    up: "FROM /messages/* INTO $upstream",
    f: `FROM /messages/* ${into("filter", "in1")}`,
    f2: `FROM /messages/* WHERE kind = 'x' ${into("filter", "in2")}`,
    g: `FROM /messages/* ${into("other", "in")}`,
  }, async (h) => {
    await h.router.accept(msg("m1", { kind: "x" }));
    await h.router.accept(msg("m2"));
    await h.router.accept(msg("m3", { kind: "x" }));
    assert.equal(h.log.lastSeq, 3, "one record per message");
    assert.equal(h.log.stats().appended, 3);

    const f = await drain(h.router.inputsFeed(DEVICE, "filter"), "filter");
    assert.deepEqual(f.map((g) => `${g.input}:${g.body}`).sort(), [
      "in1:m1",
      "in1:m2",
      "in1:m3",
      "in2:m1",
      "in2:m3",
    ]);
    assert.deepEqual(f.filter((g) => g.input === "in1").map((g) => g.mid), ["m1", "m2", "m3"]);
    const o = await drain(h.router.inputsFeed(DEVICE, "other"), "other");
    assert.deepEqual(bodies(o), ["m1", "m2", "m3"]);
    assert.deepEqual(Object.keys(h.router.stats()).sort(), [
      "$upstream@2000000000",
      `${input("filter", "in1")}@2000000000`,
      `${input("filter", "in2")}@2000000000`,
      `${input("other", "in")}@2000000000`,
    ]);
  }));

Deno.test("two routes to one module input: the lower priority number is delivered first", () =>
  withHub({
    normal: { route: `FROM /messages/* ${into("filter", "in")}`, priority: 5 },
    urgent: { route: `FROM /messages/* WHERE alert = 'true' ${into("filter", "in")}`, priority: 1 },
  }, async (h) => {
    for (
      const [text, alert] of [["n1", "false"], ["u1", "true"], ["n2", "false"], ["u2", "true"]]
    ) {
      await h.router.accept(msg(text, { alert }));
    }
    const got = await drain(h.router.inputsFeed(DEVICE, "filter"), "filter", 10);
    // Each message once (at its best priority), urgent ones first, FIFO within a priority.
    assert.deepEqual(bodies(got), ["u1", "u2", "n1", "n2"]);
    assert.ok(got.every((g) => g.input === "in"));
  }));

Deno.test("priority also orders a module's different inputs, and holds per pull", () =>
  withHub({
    slow: { route: `FROM /messages/* ${into("filter", "bulk")}`, priority: 9 },
    fast: {
      route: `FROM /messages/* WHERE alert = 'true' ${into("filter", "alerts")}`,
      priority: 0,
    },
  }, async (h) => {
    await h.router.accept(msg("b1"));
    await h.router.accept(msg("b2"));
    const feed = h.router.inputsFeed(DEVICE, "filter");
    const first = (await feed.pull(1)).map((m) => parse(m, "filter"));
    assert.deepEqual(first.map((g) => `${g.input}:${g.body}`), ["bulk:b1"]);
    await h.router.accept(msg("a1", { alert: "true" }));
    const next = (await feed.pull(2)).map((m) => parse(m, "filter"));
    assert.deepEqual(next.map((g) => `${g.input}:${g.body}`), ["alerts:a1", "bulk:b2"]);
  }));

Deno.test("onAvailable fires for appends routed to that module only", () =>
  withHub({
    f: `FROM /messages/* WHERE to = 'f' ${into("filter", "in")}`,
    g: `FROM /messages/* WHERE to = 'g' ${into("other", "in")}`,
  }, async (h) => {
    let f = 0, g = 0;
    const off = h.router.inputsFeed(DEVICE, "filter").onAvailable(() => f++);
    h.router.inputsFeed(DEVICE, "other").onAvailable(() => g++);
    await h.router.accept(msg("1", { to: "f" }));
    await h.router.accept(msg("2", { to: "g" }));
    off();
    await h.router.accept(msg("3", { to: "f" }));
    assert.deepEqual([f, g], [1, 1]);
  }));

Deno.test("a reconnecting module gets what it did not acknowledge", () =>
  withHub({ f: `FROM /messages/* ${into("filter", "in")}` }, async (h) => {
    for (const t of ["m1", "m2", "m3"]) await h.router.accept(msg(t));
    const first = h.router.inputsFeed(DEVICE, "filter");
    const got = await drain(first, "filter");
    await got[0].ack();
    first.close();
    const second = await drain(h.router.inputsFeed(DEVICE, "filter"), "filter");
    assert.deepEqual(bodies(second), ["m2", "m3"]);
  }));

Deno.test("setRoutes keeps remaining endpoints' positions, drops removed ones, starts new ones at the end", () =>
  withHub({
    f: `FROM /messages/* ${into("filter", "in")}`,
    g: `FROM /messages/* ${into("other", "in")}`,
  }, async (h) => {
    const fName = consumerName(input("filter", "in"), 2_000_000_000);
    const gName = consumerName(input("other", "in"), 2_000_000_000);
    const nName = consumerName(input("newbie", "in"), 2_000_000_000);
    for (const t of ["m1", "m2", "m3"]) await h.router.accept(msg(t));
    const feed = h.router.inputsFeed(DEVICE, "filter");
    const got = (await feed.pull(1)).map((m) => parse(m, "filter"));
    await got[0].ack();
    await h.router.close(); // commits now instead of after the batching delay
    assert.equal(h.log.checkpoint(fName), 1);
    assert.equal(h.log.checkpoint(gName), 0);

    // Rename the route and change its condition: same endpoint and priority, same queue.
    await h.router.setRoutes(RouteTable.compile({
      renamed: `FROM /messages/* WHERE $connectionModuleId = 'sensor' ${into("filter", "in")}`,
      n: `FROM /messages/* ${into("newbie", "in")}`,
    }));
    assert.equal(h.log.checkpoint(fName), 1, "position kept");
    assert.equal(h.log.checkpoint(gName), undefined, "removed endpoint's checkpoint is gone");
    assert.equal(h.log.checkpoint(nName), 3, "new endpoint starts at the end of the log");
    assert.deepEqual(Object.keys(h.router.stats()).sort(), [fName, nName].sort());

    await h.router.accept(msg("m4"));
    // The open feed continues: m2, m3 were queued before the change and are not lost.
    assert.deepEqual(bodies(await drain(feed, "filter")), ["m2", "m3", "m4"]);
    assert.deepEqual(bodies(await drain(h.router.inputsFeed(DEVICE, "newbie"), "newbie")), ["m4"]);
    assert.deepEqual(await drain(h.router.inputsFeed(DEVICE, "other"), "other"), []);
  }));

Deno.test("a table change never loses queued messages of endpoints that remain", () =>
  withHub({
    f: `FROM /messages/* ${into("filter", "in")}`,
    up: "FROM /messages/* INTO $upstream",
  }, async (h) => {
    for (let i = 1; i <= 20; i++) await h.router.accept(msg(`m${i}`));
    // Several changes in a row, none of which removes filter/in at its priority.
    await h.router.setRoutes(RouteTable.compile({ f: `FROM /messages/* ${into("filter", "in")}` }));
    await h.router.setRoutes(RouteTable.compile({
      f: `FROM /messages/* ${into("filter", "in")}`,
      x: `FROM /messages/* ${into("x", "in")}`,
    }));
    for (let i = 21; i <= 25; i++) await h.router.accept(msg(`m${i}`));
    await h.router.setRoutes(RouteTable.compile({
      also: `FROM /messages/modules/sensor/* ${into("filter", "in")}`,
    }));
    const got = await drain(h.router.inputsFeed(DEVICE, "filter"), "filter", 7);
    assert.deepEqual(bodies(got), Array.from({ length: 25 }, (_, i) => `m${i + 1}`));
  }));

Deno.test("a table that does not compile changes nothing", () =>
  withHub({ f: `FROM /messages/* ${into("filter", "in")}` }, async (h) => {
    assert.throws(() => RouteTable.compile({ bad: "FROM /messages/* INTO nowhere(" }));
    await h.router.accept(msg("still-routed"));
    assert.deepEqual(
      bodies(await drain(h.router.inputsFeed(DEVICE, "filter"), "filter")),
      ["still-routed"],
    );
  }));

Deno.test("a restart resumes every endpoint from its checkpoint", () => {
  const routes = {
    f: `FROM /messages/* ${into("filter", "in")}`,
    g: `FROM /messages/* WHERE n >= '3' ${into("other", "in")}`,
  };
  return withHub(routes, async (h) => {
    for (let n = 1; n <= 5; n++) await h.router.accept(msg(`m${n}`, { n: String(n) }));
    const f = await drain(h.router.inputsFeed(DEVICE, "filter"), "filter");
    await f[0].ack();
    await f[1].ack();
    await f[3].ack(); // out of order: m3 still owed
    const g = await drain(h.router.inputsFeed(DEVICE, "other"), "other");
    assert.deepEqual(bodies(g), ["m3", "m4", "m5"]);
    for (const x of g) await x.ack();

    await h.restart(routes);
    await h.router.accept(msg("m6", { n: "6" }));
    // filter: from its checkpoint (after m2); m4 comes again (at-least-once), nothing lost.
    assert.deepEqual(
      bodies(await drain(h.router.inputsFeed(DEVICE, "filter"), "filter")),
      ["m3", "m4", "m5", "m6"],
    );
    assert.deepEqual(bodies(await drain(h.router.inputsFeed(DEVICE, "other"), "other")), ["m6"]);
  });
});

Deno.test("a restart with a route removed forgets its endpoint", () =>
  withHub({
    f: `FROM /messages/* ${into("filter", "in")}`,
    g: `FROM /messages/* ${into("other", "in")}`,
  }, async (h) => {
    await h.router.accept(msg("m1"));
    await h.restart({ f: `FROM /messages/* ${into("filter", "in")}` });
    assert.equal(h.log.checkpoint(consumerName(input("other", "in"), 2_000_000_000)), undefined);
    assert.deepEqual(bodies(await drain(h.router.inputsFeed(DEVICE, "filter"), "filter")), ["m1"]);
  }));

Deno.test("changing only a route's priority keeps the endpoint's backlog until drained", () =>
  withHub({ f: { route: `FROM /messages/* ${into("filter", "in")}`, priority: 5 } }, async (h) => {
    const old = consumerName(input("filter", "in"), 5);
    await h.router.accept(msg("queued1"));
    await h.router.accept(msg("queued2"));
    await h.router.setRoutes(RouteTable.compile({
      f: { route: `FROM /messages/* ${into("filter", "in")}`, priority: 1 },
    }));
    await h.router.accept(msg("after"));
    const feed = h.router.inputsFeed(DEVICE, "filter");
    const got = await drain(feed, "filter");
    // routing.md §5.2: queues of priorities no longer referenced are kept until drained.
    assert.deepEqual(bodies(got), ["after", "queued1", "queued2"]);
    assert.notEqual(h.log.checkpoint(old), undefined, "kept while messages are owed");
    for (const g of got) await g.ack();
    await h.router.close(); // commit now
    await feed.pull(10); // the next pull drops the drained queue
    assert.equal(h.log.checkpoint(old), undefined);
    assert.deepEqual(Object.keys(h.router.stats()), [consumerName(input("filter", "in"), 1)]);
  }));

Deno.test("an old-priority backlog also survives a restart", () =>
  withHub({ f: { route: `FROM /messages/* ${into("filter", "in")}`, priority: 5 } }, async (h) => {
    await h.router.accept(msg("queued"));
    await h.restart({ f: { route: `FROM /messages/* ${into("filter", "in")}`, priority: 1 } });
    await h.router.accept(msg("after"));
    assert.deepEqual(
      bodies(await drain(h.router.inputsFeed(DEVICE, "filter"), "filter")),
      ["after", "queued"],
    );
  }));

Deno.test("removing the endpoint itself drops its queues at every priority", () =>
  withHub({
    a: { route: `FROM /messages/* WHERE x = '1' ${into("filter", "in")}`, priority: 1 },
    b: { route: `FROM /messages/* ${into("filter", "in")}`, priority: 2 },
  }, async (h) => {
    await h.router.accept(msg("m", { x: "1" }));
    await h.router.accept(msg("n"));
    await h.router.setRoutes(RouteTable.compile({ up: "FROM /messages/* INTO $upstream" }));
    assert.deepEqual(Object.keys(h.router.stats()), ["$upstream@2000000000"]);
    assert.equal(h.log.checkpoint(consumerName(input("filter", "in"), 1)), undefined);
    assert.equal(h.log.checkpoint(consumerName(input("filter", "in"), 2)), undefined);
    assert.deepEqual(await drain(h.router.inputsFeed(DEVICE, "filter"), "filter"), []);
  }));

Deno.test("the deployment's store-and-forward TTL expires undelivered messages", () =>
  withHub({ r: `FROM /messages/modules/sensor/* ${into("filter", "in")}` }, async (h) => {
    h.router.setDefaultTtl(1);
    await h.router.accept(msg("old"));
    await new Promise((r) => setTimeout(r, 1100));
    await h.router.accept(msg("fresh"));
    const got = await drain(h.router.inputsFeed(DEVICE, "filter"), "filter");
    assert.deepEqual(bodies(got), ["fresh"]);
    assert.equal(h.router.stats()[consumerName(input("filter", "in"), 2000000000)]?.expired, 1);
  }));
