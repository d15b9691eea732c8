/**
 * `ledge run` with counters, for finding where the routed benchmark's time goes: wraps a few
 * prototype methods of the hub (segment writes and syncs, log reads, queue takes, router
 * accepts, MQTT sends) to count calls and time their awaits, and measures event-loop lag
 * with a 5 ms timer. Writes the cumulative counters as JSON to `$ROUTED_PROBE_OUT` every
 * 200 ms; bench/routed_throughput.ts (`--probe`) diffs them over the measured window.
 * Nothing in src/ changes; this file only wraps.
 *
 * Usage: deno run -A bench/routed_probe.ts --config FILE   (env ROUTED_PROBE_OUT=FILE)
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { ActiveSegment } from "../src/hub/store/active_segment.ts";
import { SegmentLog } from "../src/hub/store/mod.ts";
import { EndpointQueue, MessageRouter } from "../src/hub/router/mod.ts";
import { Connection } from "../src/hub/mqtt/connection.ts";
import { runCommand } from "../src/cli/run.ts";
import { stdio } from "../src/cli/io.ts";

interface Counter {
  calls: number;
  ms: number;
  maxMs: number;
  items: number;
}
const counters: Record<string, Counter> = {};
function counter(name: string): Counter {
  return counters[name] ??= { calls: 0, ms: 0, maxMs: 0, items: 0 };
}

type AnyFn = (...args: unknown[]) => unknown;

/** Wraps `proto[method]`: counts calls, and times the returned promise (if any). */
function wrap(
  proto: object,
  method: string,
  name: string,
  items?: (result: unknown, args: unknown[]) => number,
): void {
  const p = proto as Record<string, AnyFn>;
  const orig = p[method];
  if (typeof orig !== "function") throw new Error(`no method ${name}`);
  const c = counter(name);
  p[method] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    c.calls++;
    const r = orig.apply(this, args);
    const done = (v: unknown) => {
      const ms = performance.now() - t0;
      c.ms += ms;
      if (ms > c.maxMs) c.maxMs = ms;
      if (items) c.items += items(v, args);
      return v;
    };
    return r instanceof Promise ? r.then(done) : done(r);
  };
}

wrap(ActiveSegment.prototype, "write", "store.write");
wrap(ActiveSegment.prototype, "sync", "store.fdatasync");
wrap(
  SegmentLog.prototype,
  "read",
  "log.read",
  (r) => (r as { records: unknown[] }).records.length,
);
wrap(EndpointQueue.prototype, "take", "queue.take", (r) => (r as unknown[]).length);
wrap(MessageRouter.prototype, "accept", "router.accept (call → durable)");
wrap(Connection.prototype, "acknowledged", "mqtt.consumer PUBACK in");
wrap(Connection.prototype, "pump", "mqtt.pump");
wrap(Connection.prototype, "send", "mqtt.send (socket.write)");

// Event-loop lag: how late a 5 ms timer fires.
const LAG_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, Infinity];
const lag = { ticks: 0, lateMs: 0, maxMs: 0, hist: LAG_BUCKETS.map(() => 0) };
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = Math.max(0, now - last - 5);
  last = now;
  lag.ticks++;
  lag.lateMs += late;
  if (late > lag.maxMs) lag.maxMs = late;
  lag.hist[LAG_BUCKETS.findIndex((b) => late <= b)]++;
}, 5);

const out = process.env.ROUTED_PROBE_OUT;
if (out) {
  setInterval(() => {
    const mem = process.memoryUsage();
    writeFileSync(
      out,
      JSON.stringify({
        at: performance.now(),
        counters,
        lag,
        lagBuckets: LAG_BUCKETS.map(String),
        heapUsedMb: mem.heapUsed / 2 ** 20,
        rssMb: mem.rss / 2 ** 20,
      }),
    );
  }, 200);
}

process.exit(await runCommand(process.argv.slice(2), stdio));
