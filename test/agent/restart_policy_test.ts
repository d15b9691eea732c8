/** Table-driven tests for the back-off formula and the restart policy functions. */
import assert from "node:assert/strict";
import { coolOffElapsed, coolOffMs, DEFAULT_BACKOFF } from "../../src/agent/backoff.ts";
import {
  computeStatus,
  rawStatus,
  restartDecision,
  shouldClearStats,
} from "../../src/agent/restart_policy.ts";
import { container } from "./fixtures.ts";

Deno.test("coolOff: 10, 20, 40, 80, 160, 300, 300 s with defaults", () => {
  const expected = [10, 20, 40, 80, 160, 300, 300, 300];
  expected.forEach((s, n) => assert.equal(coolOffMs(n, DEFAULT_BACKOFF), s * 1000, `n=${n}`));
  assert.equal(coolOffMs(5000, DEFAULT_BACKOFF), 300_000);
  assert.equal(coolOffMs(-1, DEFAULT_BACKOFF), 0);
  const s = { unitMs: 100, maxMs: 1000 };
  assert.equal(coolOffElapsed(0, undefined, 0, s), true);
  assert.equal(coolOffElapsed(0, 1000, 1100, s), false);
  assert.equal(coolOffElapsed(0, 1000, 1101, s), true);
  assert.equal(coolOffElapsed(3, 1000, 1801, s), true);
  assert.equal(coolOffElapsed(3, 1000, 1800, s), false);
  assert.equal(coolOffElapsed(2, 5000, 1000, s), true, "lastExit in the future");
});

Deno.test("rawStatus maps docker state", () => {
  const cases: [string, number, string, string][] = [
    ["running", 0, "none", "running"],
    ["running", 0, "unhealthy", "unhealthy"],
    ["running", 0, "healthy", "running"],
    ["created", 0, "none", "stopped"],
    ["paused", 0, "none", "stopped"],
    ["restarting", 1, "none", "stopped"],
    ["exited", 0, "none", "stopped"],
    ["exited", 137, "none", "failed"],
    ["removing", 1, "none", "failed"],
    ["dead", 0, "none", "dead"],
    ["weird", 0, "none", "unknown"],
  ];
  for (const [state, exitCode, health, want] of cases) {
    assert.equal(rawStatus({ state, exitCode, health: health as "none" }), want, state);
  }
});

Deno.test("computeStatus per policy", () => {
  const s = { maxCount: 3 };
  const cases: [string, string, string, number, string][] = [
    ["running", "always", "running", 0, "running"],
    ["running", "always", "stopped", 0, "backoff"],
    ["running", "always", "failed", 3, "failed"],
    ["running", "on-failure", "failed", 1, "backoff"],
    ["running", "on-failure", "stopped", 0, "stopped"],
    ["running", "on-failure", "unhealthy", 0, "unhealthy"],
    ["running", "on-unhealthy", "unhealthy", 0, "backoff"],
    ["running", "never", "failed", 0, "failed"],
    ["running", "always", "dead", 0, "dead"],
    ["stopped", "always", "failed", 0, "failed"],
    ["stopped", "always", "stopped", 0, "stopped"],
  ];
  for (const [desired, policy, raw, count, want] of cases) {
    assert.equal(
      computeStatus(desired as "running", policy as "always", raw as "running", {
        restartCount: count,
      }, s),
      want,
      `${desired}/${policy}/${raw}/${count}`,
    );
  }
});

Deno.test("restartDecision honours policy and cool-off", () => {
  const b = { ...DEFAULT_BACKOFF, unitMs: 1000, maxMs: 8000, maxCount: 4 };
  const exited = (code: number, finishedMs: number, started = true) =>
    container("m", {
      state: "exited",
      exitCode: code,
      finishedAt: new Date(finishedMs),
      startedAt: started ? new Date(0) : undefined,
    });
  const cases: [string, string, ReturnType<typeof container>, number, number, string][] = [
    ["failed, cool-off not over", "on-failure", exited(1, 10_000), 0, 10_500, "none"],
    ["failed, cool-off over", "on-failure", exited(1, 10_000), 0, 11_001, "restart"],
    ["failed, 2nd cool-off", "on-failure", exited(1, 10_000), 2, 13_999, "none"],
    ["failed, 2nd cool-off over", "on-failure", exited(1, 10_000), 2, 14_001, "restart"],
    ["failed, capped", "always", exited(1, 10_000), 3, 18_001, "restart"],
    ["failed, given up", "always", exited(1, 10_000), 4, 99_000, "none"],
    ["failed, never", "never", exited(1, 10_000), 0, 99_000, "none"],
    ["exit 0, on-failure starts", "on-failure", exited(0, 10_000), 0, 10_001, "start"],
    ["exit 0, always backs off", "always", exited(0, 10_000), 0, 10_500, "none"],
    [
      "exit 0, never ran before",
      "never",
      container("m", { state: "created", startedAt: undefined }),
      0,
      1,
      "start",
    ],
    ["exit 0, never ran once", "never", exited(0, 10_000), 0, 99_000, "none"],
    ["running", "always", container("m"), 0, 99_000, "none"],
    [
      "unhealthy, on-unhealthy",
      "on-unhealthy",
      container("m", { health: "unhealthy", startedAt: new Date(1000) }),
      0,
      2001,
      "restart",
    ],
    [
      "unhealthy, on-failure",
      "on-failure",
      container("m", { health: "unhealthy" }),
      0,
      99_000,
      "none",
    ],
  ];
  for (const [name, policy, c, count, now, want] of cases) {
    assert.equal(
      restartDecision(policy as "always", c, { restartCount: count }, now, b),
      want,
      name,
    );
  }
});

Deno.test("restart stats cleared after intensive care time", () => {
  const b = { ...DEFAULT_BACKOFF, intensiveCareMs: 1000 };
  const c = container("m", { startedAt: new Date(5000) });
  assert.equal(shouldClearStats(c, { restartCount: 2 }, 6001, b), true);
  assert.equal(shouldClearStats(c, { restartCount: 2 }, 5999, b), false);
  assert.equal(shouldClearStats(c, { restartCount: 0 }, 99_999, b), false);
  assert.equal(shouldClearStats(c, undefined, 99_999, b), false);
});
