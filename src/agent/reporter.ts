/**
 * Builds the `$edgeAgent` reported-properties document (edge-agent.md §8) from the current
 * deployment, module statuses and the last deployment outcome. Pure; the Agent sends it via
 * `onReported` only when it differs from the last one sent. Secrets (registry passwords) are
 * never echoed. When the engine is unreachable the module section is empty and the system
 * modules read `unknown` (§9).
 */
import { writeCreateOptions } from "./create_options.ts";
import type { ModuleStatus } from "./status.ts";
import type { DeploymentConfig, ModuleSpec } from "./types.ts";

/** `lastDesiredStatus` of the report. */
export interface DesiredStatusReport {
  code: number;
  description: string;
}

/** Inputs of buildReport. */
export interface ReportInput {
  config?: DeploymentConfig;
  lastDesiredStatus: DesiredStatusReport;
  lastDesiredVersion: number;
  modules: ModuleStatus[];
  engineUp: boolean;
  /** ledge version info. */
  version: { version: string; build?: string; commit?: string };
  platform: { os: string; architecture: string };
}

/** A JSON document (what onReported receives). */
export type ReportedDoc = Record<string, unknown>;

const NEVER = "0001-01-01T00:00:00";

/** ISO-8601 UTC without zone suffix, as IoT Edge reports times. */
export function reportTime(d?: Date): string {
  return d ? d.toISOString().replace(/Z$/, "") : NEVER;
}

/** Build the reported-properties document. */
export function buildReport(input: ReportInput): ReportedDoc {
  const cfg = input.config;
  const systemStatus = input.engineUp ? "running" : "unknown";
  const sys = (spec: ModuleSpec | undefined, hub: boolean) => ({
    type: "docker",
    ...(hub ? { status: "running", restartPolicy: spec?.restartPolicy ?? "always" } : {}),
    runtimeStatus: systemStatus,
    exitCode: 0,
    statusDescription: input.engineUp ? "running (in-process)" : "unknown",
    imagePullPolicy: spec?.imagePullPolicy ?? "on-create",
    startupOrder: 0,
    settings: { image: spec?.image ?? "", ...writeCreateOptions(spec?.createOptions ?? {}) },
    env: envReport(spec),
  });
  const modules: Record<string, unknown> = {};
  if (input.engineUp) {
    for (const m of input.modules) {
      if (!m.containerId && m.status !== "failed" && m.status !== "downloading") continue;
      modules[m.name] = moduleReport(m);
    }
  }
  return {
    schemaVersion: "1.0",
    version: input.version,
    lastDesiredVersion: input.lastDesiredVersion,
    lastDesiredStatus: input.lastDesiredStatus,
    runtime: {
      type: "docker",
      platform: { ...input.platform, version: input.version.version },
      settings: {
        minDockerVersion: cfg?.runtime.minDockerVersion ?? "",
        loggingOptions: cfg?.runtime.loggingOptions ?? "",
        registryCredentials: {},
      },
    },
    systemModules: {
      edgeAgent: sys(cfg?.systemModules.edgeAgent, false),
      edgeHub: sys(cfg?.systemModules.edgeHub, true),
    },
    modules,
  };
}

function moduleReport(m: ModuleStatus): Record<string, unknown> {
  const s = m.spec;
  return {
    ...(s ? { version: s.version, status: s.status, restartPolicy: s.restartPolicy } : {}),
    type: "docker",
    ...(s ? { imagePullPolicy: s.imagePullPolicy, startupOrder: s.startupOrder } : {}),
    runtimeStatus: m.status,
    exitCode: m.exitCode,
    statusDescription: m.description,
    lastStartTimeUtc: reportTime(m.startedAt),
    lastExitTimeUtc: reportTime(m.finishedAt),
    restartCount: m.restartCount,
    lastRestartTimeUtc: reportTime(m.lastRestartTime),
    settings: { image: m.image, ...writeCreateOptions(s?.createOptions ?? {}) },
    env: envReport(s),
  };
}

function envReport(s?: ModuleSpec): Record<string, { value: string }> {
  const out: Record<string, { value: string }> = {};
  for (const [k, v] of Object.entries(s?.env ?? {})) out[k] = { value: v };
  return out;
}
