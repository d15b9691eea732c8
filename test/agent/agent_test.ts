/**
 * Unit tests of the Agent + Reconciler state machine over a fake engine and a manual clock:
 * time is driven by the test, nothing sleeps for real.
 */
import assert from "node:assert/strict";
import { Agent } from "../../src/agent/mod.ts";
import { FakeClock, FakeEngine } from "./fake_engine.ts";
import { manifest, moduleJson } from "./fixtures.ts";

function setup() {
  const clock = new FakeClock();
  const engine = new FakeEngine(clock.now);
  const data = new Map<string, string>();
  const reports: Record<string, unknown>[] = [];
  const make = () =>
    new Agent({
      engine,
      clock,
      owner: "ledge",
      network: "azure-iot-edge",
      state: { get: (k) => data.get(k), set: (k, v) => void data.set(k, v) },
      identities: {
        ensureModule: (id) => Promise.resolve({ generationId: `g-${id}` }),
        removeModule: () => Promise.resolve(),
      },
      workloadSocketDir: (id) => `/run/ledge/mnt/${id}`,
      env: { deviceId: "d", iothubHostname: "h", gatewayHostname: "g" },
      onReported: (d) => void reports.push(d),
      backoff: { unitMs: 1000, maxMs: 8000, maxCount: 3, intensiveCareMs: 60_000 },
      periodMs: 5000,
      stopTimeoutSec: 1,
    });
  return { clock, engine, data, reports, make };
}

/** Let pending promise callbacks run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

Deno.test("agent: deploy applies plan in startupOrder and creates the network", async () => {
  const { engine, make } = setup();
  const agent = make();
  await agent.start();
  const r = await agent.deploy(manifest({
    zed: moduleJson({ startupOrder: 0, imagePullPolicy: "never" }),
    alpha: moduleJson({ startupOrder: 5, imagePullPolicy: "never" }),
  }));
  assert.deepEqual(r, { code: 200, description: "" });
  assert.deepEqual(engine.calls, [
    "network azure-iot-edge",
    "create zed",
    "start zed",
    "create alpha",
    "start alpha",
  ]);
  assert.deepEqual(agent.list().map((x) => [x.name, x.status]), [["alpha", "running"], [
    "zed",
    "running",
  ]]);
  await agent.stop();
});

Deno.test("agent: crash loop follows cool-off driven by the clock, then failed", async () => {
  const { clock, engine, make, reports } = setup();
  const agent = make();
  await agent.start();
  await agent.deploy(
    manifest({ m1: moduleJson({ restartPolicy: "on-failure", imagePullPolicy: "never" }) }),
  );
  const starts = () => engine.calls.filter((c) => c === "start m1").length;
  assert.equal(starts(), 1);
  const expectedGaps = [1000, 2000, 4000];
  for (const gap of expectedGaps) {
    engine.exit("m1", 1);
    const before = starts();
    await agent.reconcileNow();
    assert.equal(agent.list()[0].status, "backoff");
    clock.advance(gap - 1); // still cooling off
    await agent.reconcileNow();
    assert.equal(starts(), before, `no restart before ${gap} ms`);
    clock.advance(2);
    await agent.reconcileNow();
    assert.equal(starts(), before + 1, `restart after ${gap} ms`);
  }
  engine.exit("m1", 1);
  await agent.reconcileNow();
  assert.equal(agent.list()[0].status, "failed");
  assert.equal(agent.list()[0].restartCount, 3);
  clock.advance(100_000);
  await agent.reconcileNow();
  assert.equal(agent.list()[0].status, "failed", "given up");
  const last = reports.at(-1) as {
    modules: Record<string, { runtimeStatus: string; restartCount: number }>;
  };
  assert.deepEqual([last.modules.m1.runtimeStatus, last.modules.m1.restartCount], ["failed", 3]);
  await agent.stop();
});

Deno.test("agent: engine down → 500 and empty modules; retries with back-off; recovers", async () => {
  const { clock, engine, make, reports } = setup();
  const agent = make();
  await agent.start();
  await agent.deploy(manifest({ m1: moduleJson({ imagePullPolicy: "never" }) }));
  engine.down = true;
  await agent.reconcileNow();
  const down = reports.at(-1) as { lastDesiredStatus: { code: number }; modules: object };
  assert.equal(down.lastDesiredStatus.code, 500);
  assert.deepEqual(down.modules, {});
  assert.equal(agent.list()[0].status, "unknown");
  engine.down = false;
  clock.advance(1000); // engineRetry default unit
  await settle();
  await agent.reconcileNow();
  const up = reports.at(-1) as {
    lastDesiredStatus: { code: number };
    modules: Record<string, unknown>;
  };
  assert.equal(up.lastDesiredStatus.code, 200);
  assert.ok(up.modules.m1);
  await agent.stop();
});

Deno.test("agent: failing pull is retried only after cool-off and reported per module", async () => {
  const { clock, engine, make } = setup();
  const agent = make();
  await agent.start();
  engine.failPull.set("img:1", "unauthorized: authentication required");
  const r = await agent.deploy(manifest({
    m1: moduleJson({ settings: { image: "img:1" } }),
    m2: moduleJson({ imagePullPolicy: "never" }),
  }));
  assert.equal(r.code, 500);
  assert.match(r.description, /pull m1: unauthorized/);
  const m1 = agent.list().find((x) => x.name === "m1");
  assert.equal(m1?.status, "failed");
  assert.equal(agent.list().find((x) => x.name === "m2")?.status, "running");
  const pulls = () => engine.calls.filter((c) => c === "pull img:1").length;
  assert.equal(pulls(), 1);
  await agent.reconcileNow();
  assert.equal(pulls(), 1, "in cool-off");
  clock.advance(2001);
  engine.failPull.clear();
  assert.equal((await agent.reconcileNow()).code, 200);
  assert.equal(pulls(), 2);
  assert.equal(agent.list().find((x) => x.name === "m1")?.status, "running");
  await agent.stop();
});

Deno.test("agent: persisted state → a new agent adopts without recreating", async () => {
  const { engine, make } = setup();
  const a1 = make();
  await a1.start();
  await a1.deploy(manifest({ m1: moduleJson({ imagePullPolicy: "never" }) }));
  await a1.stop();
  engine.calls = [];
  const a2 = make();
  await a2.start();
  await a2.reconcileNow();
  assert.deepEqual(engine.calls, ["network azure-iot-edge"], "nothing recreated or restarted");
  assert.equal(a2.list()[0].status, "running");
  await a2.stop();
});

Deno.test("agent: only one runner; deploy before start is applied at start", async () => {
  const { engine, make } = setup();
  const a = make();
  const r = await a.deploy(manifest({ m1: moduleJson({ imagePullPolicy: "never" }) }));
  assert.equal(r.code, 200);
  assert.equal(engine.calls.length, 0);
  await a.start();
  await a.start(); // idempotent
  await a.reconcileNow();
  assert.ok(engine.calls.includes("start m1"));
  await a.stop();
});
