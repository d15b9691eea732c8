/**
 * The pure planner (edge-agent.md §3): `plan(input) → Step[]`, plans as data. It compares the
 * desired containers with the owned containers the engine reports and returns typed steps
 * grouped by startupOrder (ascending; removals of unknown modules first). It does no I/O and
 * reads no clock: `now` is an input. The executor maps each step kind to one engine call.
 *
 * Invariants:
 * - A module is recreated only when its config hash changed (image, createOptions, env,
 *   version, policies, startupOrder, injected env); a desired-status change never recreates.
 * - Steps for one module appear in execution order (pull → create/recreate → start).
 * - Restart-policy actions only touch modules whose container is up to date.
 */
import type { BackoffSettings } from "./backoff.ts";
import type { DesiredContainer } from "./container_spec.ts";
import { rawStatus, restartDecision, shouldClearStats } from "./restart_policy.ts";
import type { ActualContainer, DesiredStatus, RestartStats } from "./types.ts";

/**
 * One action the executor performs. `module` is the module (= container) name; `order` is the
 * startupOrder group (-1 for removals of modules no longer deployed). Groups run in ascending
 * order; steps of different modules within one group may run concurrently.
 */
export type Step = StepAction & { order: number };

/** The action part of a step. */
export type StepAction =
  | { kind: "pull"; module: string; image: string }
  | { kind: "create"; module: string; desired: DesiredContainer }
  | { kind: "recreate"; module: string; id: string; desired: DesiredContainer }
  | { kind: "start"; module: string }
  | { kind: "stop"; module: string; id: string }
  | { kind: "remove"; module: string; id: string }
  | { kind: "restart"; module: string; id: string; running: boolean; restartCount: number }
  | { kind: "resetStats"; module: string };

/** Everything the planner looks at. */
export interface PlanInput {
  desired: DesiredContainer[];
  actual: ActualContainer[];
  stats: Record<string, RestartStats>;
  /** Desired status of each module in the previously applied deployment. */
  previousStatus: Record<string, DesiredStatus>;
  /** Epoch ms. */
  now: number;
  backoff: BackoffSettings;
}

/**
 * Compute the steps that move `actual` towards `desired`.
 * @example plan({desired: [], actual: [c], ...}) // [{kind:"stop"...},{kind:"remove"...},...]
 */
export function plan(input: PlanInput): Step[] {
  const actualByName = new Map(input.actual.map((c) => [c.name, c]));
  const desiredNames = new Set(input.desired.map((d) => d.spec.name));
  const groups = new Map<number, Step[]>();
  const add = (order: number, ...steps: StepAction[]) => {
    const g = groups.get(order) ?? [];
    g.push(...steps.map((s) => ({ ...s, order })));
    groups.set(order, g);
  };

  // Owned containers not in the deployment are removed first (IoT Edge gives them order 0).
  for (const c of input.actual) {
    if (desiredNames.has(c.name)) continue;
    const steps: StepAction[] = [];
    if (isUp(c)) steps.push({ kind: "stop", module: c.name, id: c.id });
    steps.push({ kind: "remove", module: c.name, id: c.id });
    if (input.stats[c.name]) steps.push({ kind: "resetStats", module: c.name });
    add(-1, ...steps);
  }

  for (const d of input.desired) {
    const name = d.spec.name;
    const order = d.spec.startupOrder;
    const run = d.spec.status === "running";
    const pull: StepAction[] = d.spec.imagePullPolicy === "on-create"
      ? [{ kind: "pull", module: name, image: d.spec.image }]
      : [];
    const c = actualByName.get(name);
    if (!c) {
      add(order, ...pull, { kind: "create", module: name, desired: d });
      if (input.stats[name]) add(order, { kind: "resetStats", module: name });
      if (run) add(order, { kind: "start", module: name });
      continue;
    }
    if (c.configHash !== d.configHash) {
      add(order, ...pull, { kind: "recreate", module: name, id: c.id, desired: d });
      if (input.stats[name]) add(order, { kind: "resetStats", module: name });
      if (run) add(order, { kind: "start", module: name });
      continue;
    }
    add(order, ...stateSteps(d, c, input));
  }

  return [...groups.keys()].sort((a, b) => a - b).flatMap((k) => groups.get(k) ?? []);
}

/** Steps for an up-to-date container: desired status and restart policy. */
function stateSteps(d: DesiredContainer, c: ActualContainer, input: PlanInput): StepAction[] {
  const name = d.spec.name;
  const stats = input.stats[name];
  if (d.spec.status === "stopped") {
    return isUp(c) ? [{ kind: "stop", module: name, id: c.id }] : [];
  }
  const raw = rawStatus(c);
  // Desired status flipped stopped → running: start fresh, forget old restarts.
  if (input.previousStatus[name] === "stopped" && raw !== "running" && raw !== "unhealthy") {
    const steps: StepAction[] = stats ? [{ kind: "resetStats", module: name }] : [];
    return [...steps, { kind: "start", module: name }];
  }
  switch (restartDecision(d.spec.restartPolicy, c, stats, input.now, input.backoff)) {
    case "start":
      return [{ kind: "start", module: name }];
    case "restart":
      return [{
        kind: "restart",
        module: name,
        id: c.id,
        running: isUp(c),
        restartCount: (stats?.restartCount ?? 0) + 1,
      }];
    case "none":
      return shouldClearStats(c, stats, input.now, input.backoff)
        ? [{ kind: "resetStats", module: name }]
        : [];
  }
}

function isUp(c: ActualContainer): boolean {
  return c.state === "running" || c.state === "restarting" || c.state === "paused";
}

/** Stable identity of a step for retry bookkeeping (same step, same id across reconciles). */
export function stepId(s: StepAction): string {
  switch (s.kind) {
    case "create":
    case "recreate":
      return `${s.kind}:${s.module}:${s.desired.configHash}`;
    case "pull":
      return `pull:${s.module}:${s.image}`;
    default:
      return `${s.kind}:${s.module}`;
  }
}
