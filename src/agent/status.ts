/**
 * Pure computation of each module's status for `ledge list` and the twin report: joins the
 * desired modules, the owned containers, restart stats, in-flight pulls and per-module errors
 * into one ModuleStatus per module, using the restart policy's computed status (§4.2).
 */
import type { BackoffSettings } from "./backoff.ts";
import { computeStatus, rawStatus } from "./restart_policy.ts";
import type {
  ActualContainer,
  DeploymentConfig,
  ModuleRuntimeStatus,
  ModuleSpec,
  RestartStats,
} from "./types.ts";

/** One row of `ledge list` / one module of the report. */
export interface ModuleStatus {
  name: string;
  status: ModuleRuntimeStatus;
  /** Human-readable reason: engine error, pull failure, or the docker state. */
  description: string;
  /** Image (desired if in the deployment, else the container's). */
  image: string;
  exitCode: number;
  startedAt?: Date;
  finishedAt?: Date;
  restartCount: number;
  lastRestartTime?: Date;
  containerId?: string;
  /** Desired spec, when the module is in the deployment. */
  spec?: ModuleSpec;
}

/** Inputs of moduleStatuses. */
export interface StatusInput {
  config?: DeploymentConfig;
  actual: ActualContainer[];
  stats: Record<string, RestartStats>;
  pulling: ReadonlySet<string>;
  errors: ReadonlyMap<string, string>;
  backoff: Pick<BackoffSettings, "maxCount">;
}

/** Statuses sorted by module name. */
export function moduleStatuses(input: StatusInput): ModuleStatus[] {
  const out: ModuleStatus[] = [];
  const byName = new Map(input.actual.map((c) => [c.name, c]));
  const names = new Set([...Object.keys(input.config?.modules ?? {}), ...byName.keys()]);
  for (const name of names) {
    const spec = input.config?.modules[name];
    const c = byName.get(name);
    const stats = input.stats[name];
    const err = input.errors.get(name);
    let status: ModuleRuntimeStatus;
    let description: string;
    if (input.pulling.has(name)) {
      status = "downloading";
      description = `Downloading ${spec?.image ?? "image"}`;
    } else if (!c) {
      status = err ? "failed" : "unknown";
      description = err ?? "Not created yet";
    } else {
      const raw = rawStatus(c);
      status = spec
        ? computeStatus(spec.status, spec.restartPolicy, raw, stats, input.backoff)
        : raw;
      description = err ?? c.error ?? describe(raw, c);
    }
    out.push({
      name,
      status,
      description,
      image: spec?.image ?? c?.image ?? "",
      exitCode: c?.exitCode ?? 0,
      startedAt: c?.startedAt,
      finishedAt: c?.finishedAt,
      restartCount: stats?.restartCount ?? 0,
      lastRestartTime: stats?.lastRestartTime ? new Date(stats.lastRestartTime) : undefined,
      containerId: c?.id,
      spec,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describe(raw: string, c: ActualContainer): string {
  if (raw === "failed") return `exited with code ${c.exitCode}`;
  if (raw === "unhealthy") return "running, healthcheck failing";
  return raw;
}
