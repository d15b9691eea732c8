/**
 * Restart policy as pure functions (edge-agent.md §4): the raw status of a container, the
 * computed status of a module (running, backoff, failed…), and whether the policy wants the
 * module restarted now. ledge differs from IoT Edge in one documented way: a running container
 * whose Docker healthcheck reports `unhealthy` has raw status `unhealthy`, which `on-unhealthy`
 * and `always` restart and `on-failure` leaves alone (the original never consults healthchecks).
 */
import { type BackoffSettings, coolOffElapsed } from "./backoff.ts";
import type {
  ActualContainer,
  ModuleRuntimeStatus,
  RawStatus,
  RestartPolicy,
  RestartStats,
} from "./types.ts";

const RANK: Record<RestartPolicy, number> = {
  "never": 0,
  "on-failure": 1,
  "on-unhealthy": 2,
  "always": 3,
};

/** Raw status from the Docker state (management-and-cli.md §1.3) plus healthcheck. */
export function rawStatus(c: Pick<ActualContainer, "state" | "exitCode" | "health">): RawStatus {
  switch (c.state) {
    case "running":
      return c.health === "unhealthy" ? "unhealthy" : "running";
    case "created":
    case "paused":
    case "restarting":
      return "stopped";
    case "exited":
    case "removing":
      return c.exitCode === 0 ? "stopped" : "failed";
    case "dead":
      return "dead";
    default:
      return "unknown";
  }
}

/** Does `policy` restart a module whose raw status is `raw`? */
export function policyCovers(policy: RestartPolicy, raw: RawStatus): boolean {
  switch (raw) {
    case "failed":
      return RANK[policy] >= RANK["on-failure"];
    case "unhealthy":
      return RANK[policy] >= RANK["on-unhealthy"];
    case "stopped":
      return policy === "always";
    default:
      return false;
  }
}

/**
 * Computed status of a module whose desired status is running (§4.2). Desired-stopped modules
 * report their raw status.
 */
export function computeStatus(
  desired: "running" | "stopped",
  policy: RestartPolicy,
  raw: RawStatus,
  stats: RestartStats | undefined,
  settings: Pick<BackoffSettings, "maxCount">,
): ModuleRuntimeStatus {
  if (desired !== "running" || raw === "dead") return raw;
  if (policyCovers(policy, raw)) {
    return (stats?.restartCount ?? 0) >= settings.maxCount ? "failed" : "backoff";
  }
  return raw;
}

/** What the restart policy wants done with a desired-running module right now. */
export type RestartDecision =
  /** Start without counting (stopped container under on-failure/on-unhealthy, or never started). */
  | "start"
  /** Stop (if running) and start, counting one restart. */
  | "restart"
  /** Leave it (running, waiting for cool-off, given up, or policy says no). */
  | "none";

/**
 * Decide a restart for a desired-running, unchanged module (§4.3).
 * `now` is epoch ms.
 */
export function restartDecision(
  policy: RestartPolicy,
  c: ActualContainer,
  stats: RestartStats | undefined,
  now: number,
  settings: BackoffSettings,
): RestartDecision {
  const raw = rawStatus(c);
  if (raw === "running" || raw === "dead" || raw === "unknown") return "none";
  const count = stats?.restartCount ?? 0;
  if (policyCovers(policy, raw)) {
    if (count >= settings.maxCount) return "none";
    // Cool-off counts from the exit (failed/stopped) or from the start of an unhealthy run.
    const since = raw === "unhealthy" ? c.startedAt?.getTime() : c.finishedAt?.getTime();
    return coolOffElapsed(count, since, now, settings) ? "restart" : "none";
  }
  if (raw === "stopped") {
    if (policy !== "never") return "start";
    return c.startedAt === undefined ? "start" : "none";
  }
  return "none";
}

/** Restart stats should be cleared after a healthy run longer than IntensiveCareTime. */
export function shouldClearStats(
  c: ActualContainer,
  stats: RestartStats | undefined,
  now: number,
  settings: Pick<BackoffSettings, "intensiveCareMs">,
): boolean {
  if (!stats || stats.restartCount === 0) return false;
  if (rawStatus(c) !== "running" || !c.startedAt) return false;
  return now - c.startedAt.getTime() > settings.intensiveCareMs;
}
