/**
 * ledge inside a 128 MiB memory cgroup (no swap) under 2,000 msg/s of routed QoS 1 telemetry
 * (4 publisher modules → route → consumer module input) with 200 idle SAS-authenticated
 * clients connected: it must stay alive (no OOM kill in the cgroup) and deliver every message
 * it PUBACKed, in order per publisher. ledge runs as a release binary does: the bundle, built
 * fresh (so its first start, which writes V8's code cache, is inside the limit too), with the
 * release V8 flags (packaging/v8-flags; LEDGE_MEM_V8_FLAGS overrides them). Needs a writable cgroup (v2 memory controller
 * or the v1 memory hierarchy, as root): without one it fails under CI=true and skips loudly
 * otherwise.
 *
 * @module
 */
import assert from "node:assert/strict";
import process from "node:process";
import { buildBundle, RELEASE_V8_FLAGS, startBenchLedge } from "../../bench/memory_ledge.ts";
import { procMemory } from "../../bench/memory_proc.ts";
import {
  loadSpec,
  ROUTE_TO_CONSUMER,
  routedClients,
  runLoad,
} from "../../bench/memory_scenarios.ts";
import { createMemoryCgroup } from "./cgroup.ts";

const LIMIT = 128 * 1024 * 1024;
const LOAD_MS = 25_000;
const RATE = 2000;
/** What release binaries carry; LEDGE_MEM_V8_FLAGS overrides. */
const V8_FLAGS = process.env.LEDGE_MEM_V8_FLAGS === undefined
  ? RELEASE_V8_FLAGS
  : process.env.LEDGE_MEM_V8_FLAGS.split(",").filter(Boolean);

Deno.test({
  name: "ledge in a 128 MiB cgroup under 2,000 msg/s routed QoS 1: alive, no acked loss",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cg = createMemoryCgroup(`ledge-memtest-${process.pid}`, LIMIT);
    if (typeof cg === "string") {
      const why = `cannot create a memory cgroup: ${cg}`;
      if (process.env.CI === "true") assert.fail(why);
      console.warn(`\n*** SKIPPED: ${why} ***\n`);
      await t.step({ name: "SKIPPED (no writable cgroup)", ignore: true, fn: () => {} });
      return;
    }
    buildBundle();
    const ledge = await startBenchLedge({
      config: { routes: { telemetry: ROUTE_TO_CONSUMER } },
      v8Flags: V8_FLAGS,
      entry: "bundle",
      wrap: cg.wrap,
    });
    try {
      assert.ok(cg.contains(ledge.pid), `ledge (pid ${ledge.pid}) is not in ${cg.path}`);
      const clients = await routedClients(ledge, { publishers: 4, idle: 200 });
      let maxRss = 0;
      const sampler = setInterval(() => {
        maxRss = Math.max(maxRss, procMemory(ledge.pid)?.rss ?? 0);
      }, 500);
      const r = await runLoad(
        loadSpec(ledge.mqttPort, clients, { idleHoldMs: 1000, durationMs: LOAD_MS, rate: RATE }),
      );
      clearInterval(sampler);
      const peak = cg.peakBytes();
      console.log(
        `cgroup v${cg.version} ${cg.path}: limit 128 MiB, peak charged ${
          peak === null ? "?" : (peak / 2 ** 20).toFixed(1)
        } MiB, ledge max RSS ${maxRss.toFixed(1)} MiB, oom_kill ${cg.oomKills()}, v8 flags ${
          V8_FLAGS.join(" ")
        }\nload: ${JSON.stringify(r)}`,
      );
      assert.equal(cg.oomKills(), 0, "an OOM kill happened in the cgroup");
      assert.equal(ledge.proc.exitCode, null, `ledge exited: ${ledge.log().slice(-2000)}`);
      assert.equal(ledge.proc.signalCode, null, `ledge was killed: ${ledge.log().slice(-2000)}`);
      if ("fatal" in r) assert.fail(`load generator: ${r.fatal} ${r.errors.join("; ")}`);
      assert.deepEqual(r.errors, []);
      assert.equal(r.lostAcked, 0, "acknowledged messages never reached the consumer");
      assert.equal(r.outOfOrder, 0, "messages of one publisher arrived out of order");
      assert.equal(r.acked, r.sent, "messages still unacknowledged after the drain");
      assert.ok(
        r.acked >= RATE * (LOAD_MS / 1000) * 0.9,
        `only ${r.acked} of ${RATE * LOAD_MS / 1000} messages were acknowledged`,
      );
    } finally {
      await ledge.cleanup();
      await cg.remove();
    }
  },
});
