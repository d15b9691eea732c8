/**
 * Integration: restart policies against the real engine with short injected back-off
 * (unit 400 ms, cap 3 s, maxCount 3): on-failure backs off with growing delays then reports
 * failed; never stays down; on-unhealthy restarts a container whose healthcheck fails.
 */
import assert from "node:assert/strict";
import type { ReportedDoc } from "../../src/agent/mod.ts";
import { busybox, deployment, dockerTest, row, waitFor } from "./integration_helpers.ts";

interface ModuleReport {
  runtimeStatus: string;
  restartCount: number;
  lastRestartTimeUtc: string;
  exitCode: number;
}
const modulesOf = (d: ReportedDoc) => d.modules as Record<string, ModuleReport>;

dockerTest(
  "agent: on-failure backs off with growing delays, then failed; never stays down",
  async (t) => {
    const agent = t.agent();
    await agent.start();
    const r = await agent.deploy(deployment({
      "it3-crash": busybox(["sh", "-c", "exit 1"], { restartPolicy: "on-failure" }),
      "it3-never": busybox(["sh", "-c", "exit 1"], { restartPolicy: "never" }),
      "it3-done": busybox(["true"], { restartPolicy: "on-failure", status: "stopped" }),
    }));
    assert.equal(r.code, 200);
    await waitFor("backoff seen", () => row(agent, "it3-crash")?.status === "backoff", 10_000);
    await waitFor(
      "failed after 3 restarts",
      () => row(agent, "it3-crash")?.status === "failed",
      20_000,
    );
    assert.equal(row(agent, "it3-crash")?.restartCount, 3);
    await waitFor("failed reported", () => {
      const last = t.reports.at(-1);
      return last && modulesOf(last)["it3-crash"]?.runtimeStatus === "failed";
    });
    assert.equal(row(agent, "it3-crash")?.exitCode, 1);

    // Restart times from the reports: the gaps grow (cool-off 400, 800, 1600 ms).
    const times = [
      ...new Set(
        t.reports.map((d) => modulesOf(d)["it3-crash"]?.lastRestartTimeUtc).filter((x) =>
          x && !x.startsWith("0001")
        ),
      ),
    ].map((s) => Date.parse(`${s}Z`));
    assert.equal(times.length, 3, `restart times ${times}`);
    const gaps = [times[1] - times[0], times[2] - times[1]];
    assert.ok(gaps[0] >= 800 && gaps[1] >= 1600, `gaps ${gaps}`);
    assert.ok(gaps[1] > gaps[0], `gaps grow ${gaps}`);
    const seen = new Set(t.reports.map((d) => modulesOf(d)["it3-crash"]?.runtimeStatus));
    assert.ok(seen.has("backoff") && seen.has("failed"), `statuses ${[...seen]}`);

    // never: exited once, never restarted.
    assert.equal(row(agent, "it3-never")?.status, "failed");
    assert.equal(row(agent, "it3-never")?.restartCount, 0);
    const info = await t.docker.getContainer("it3-never").inspect();
    assert.equal(info.RestartCount, 0);
    // stopped: created, never started.
    assert.equal(row(agent, "it3-done")?.status, "stopped");
    assert.equal(row(agent, "it3-done")?.startedAt, undefined);
  },
);

dockerTest("agent: on-unhealthy restarts a container with a failing healthcheck", async (t) => {
  const agent = t.agent();
  await agent.start();
  const ms = 1_000_000;
  const health = {
    Healthcheck: { Test: ["CMD", "false"], Interval: 200 * ms, Timeout: 1000 * ms, Retries: 1 },
  };
  const r = await agent.deploy(deployment({
    "it4-sick": busybox(["sleep", "3600"], { restartPolicy: "on-unhealthy" }, health),
    "it4-tolerated": busybox(["sleep", "3600"], { restartPolicy: "on-failure" }, health),
  }));
  assert.equal(r.code, 200);
  const first = await waitFor("sick running", () => row(agent, "it4-sick")?.startedAt);
  await waitFor("sick restarted", () => (row(agent, "it4-sick")?.restartCount ?? 0) >= 1, 15_000);
  await waitFor(
    "new start time",
    () => row(agent, "it4-sick")!.startedAt!.getTime() > first.getTime(),
  );
  // on-failure does not restart for health: it just reports unhealthy.
  await waitFor("tolerated unhealthy", () => row(agent, "it4-tolerated")?.status === "unhealthy");
  assert.equal(row(agent, "it4-tolerated")?.restartCount, 0);
});
