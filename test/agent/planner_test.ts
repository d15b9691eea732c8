/** Table-driven tests for the pure planner. */
import assert from "node:assert/strict";
import { DEFAULT_BACKOFF } from "../../src/agent/backoff.ts";
import { plan, type PlanInput, stepId } from "../../src/agent/planner.ts";
import { container, desired } from "./fixtures.ts";

const base = (over: Partial<PlanInput>): PlanInput => ({
  desired: [],
  actual: [],
  stats: {},
  previousStatus: {},
  now: 1_000_000,
  backoff: { ...DEFAULT_BACKOFF, unitMs: 1000 },
  ...over,
});
const brief = (input: PlanInput) => plan(input).map((s) => `${s.kind}:${s.module}`);

const cases: [string, PlanInput, string[]][] = [
  ["nothing to do", base({}), []],
  [
    "fresh deploy honours startupOrder",
    base({
      desired: [
        desired("c", "h", { startupOrder: 2 }),
        desired("a", "h", { startupOrder: 0 }),
        desired("b", "h", { startupOrder: 1, imagePullPolicy: "never" }),
      ],
    }),
    ["pull:a", "create:a", "start:a", "create:b", "start:b", "pull:c", "create:c", "start:c"],
  ],
  [
    "stopped module is created but not started",
    base({ desired: [desired("a", "h", { status: "stopped" })] }),
    ["pull:a", "create:a"],
  ],
  [
    "unchanged running module: no steps",
    base({ desired: [desired("a", "h")], actual: [container("a")] }),
    [],
  ],
  [
    "changed hash → recreate only that module",
    base({
      desired: [desired("a", "h"), desired("b", "h2")],
      actual: [container("a"), container("b")],
    }),
    ["pull:b", "recreate:b", "start:b"],
  ],
  [
    "removed module is stopped and removed first",
    base({
      desired: [desired("a", "h", { startupOrder: 0 })],
      actual: [container("a"), container("gone")],
      stats: { gone: { restartCount: 2 } },
    }),
    ["stop:gone", "remove:gone", "resetStats:gone"],
  ],
  [
    "exited removed module is only removed",
    base({ actual: [container("gone", { state: "exited" })] }),
    ["remove:gone"],
  ],
  [
    "desired stopped + running → stop (no recreate)",
    base({ desired: [desired("a", "h", { status: "stopped" })], actual: [container("a")] }),
    ["stop:a"],
  ],
  [
    "desired stopped + exited → nothing",
    base({
      desired: [desired("a", "h", { status: "stopped" })],
      actual: [container("a", { state: "exited", exitCode: 137 })],
    }),
    [],
  ],
  [
    "status flipped to running → start and reset stats",
    base({
      desired: [desired("a", "h")],
      actual: [container("a", { state: "exited", exitCode: 137, finishedAt: new Date(999_999) })],
      stats: { a: { restartCount: 3 } },
      previousStatus: { a: "stopped" },
    }),
    ["resetStats:a", "start:a"],
  ],
  [
    "failed module past cool-off → restart",
    base({
      desired: [desired("a", "h", { restartPolicy: "on-failure" })],
      actual: [container("a", { state: "exited", exitCode: 1, finishedAt: new Date(990_000) })],
      stats: { a: { restartCount: 1 } },
    }),
    ["restart:a"],
  ],
  [
    "failed module in cool-off → nothing",
    base({
      desired: [desired("a", "h", { restartPolicy: "on-failure" })],
      actual: [container("a", { state: "exited", exitCode: 1, finishedAt: new Date(999_500) })],
    }),
    [],
  ],
  [
    "never policy leaves a failed module down",
    base({
      desired: [desired("a", "h", { restartPolicy: "never" })],
      actual: [container("a", { state: "exited", exitCode: 1, finishedAt: new Date(0) })],
    }),
    [],
  ],
  [
    "healthy long run clears stats",
    base({
      desired: [desired("a", "h")],
      actual: [container("a", { startedAt: new Date(0) })],
      stats: { a: { restartCount: 3 } },
      backoff: { ...DEFAULT_BACKOFF, intensiveCareMs: 1000 },
    }),
    ["resetStats:a"],
  ],
  [
    "recreate clears stats of the module",
    base({
      desired: [desired("a", "new", { status: "stopped" })],
      actual: [container("a")],
      stats: { a: { restartCount: 3 } },
    }),
    ["pull:a", "recreate:a", "resetStats:a"],
  ],
];

for (const [name, input, want] of cases) {
  Deno.test(`plan: ${name}`, () => assert.deepEqual(brief(input), want));
}

Deno.test("restart step carries the next restart count and running flag", () => {
  const steps = plan(base({
    desired: [desired("a", "h", { restartPolicy: "on-unhealthy" })],
    actual: [container("a", { health: "unhealthy", startedAt: new Date(0) })],
    stats: { a: { restartCount: 2 } },
  }));
  assert.deepEqual(steps, [{
    kind: "restart",
    module: "a",
    id: "id-a",
    running: true,
    restartCount: 3,
    order: 4294967295,
  }]);
});

Deno.test("stepId is stable per module and hash", () => {
  const d = desired("a", "h1");
  assert.equal(stepId({ kind: "create", module: "a", desired: d }), "create:a:h1");
  assert.equal(stepId({ kind: "start", module: "a" }), "start:a");
  assert.equal(stepId({ kind: "pull", module: "a", image: "x:1" }), "pull:a:x:1");
});
