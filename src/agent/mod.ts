/**
 * ledge's edge agent: runs the modules of an Azure IoT Edge deployment manifest as Docker
 * containers (dockerode), in-process. The surface: `Agent` (deploy/list/logs/restart/start/
 * stop), `validateManifest`, the pure `plan`, `formatModuleList` for `ledge list`, and the
 * interfaces the daemon implements (identities, state, logger, clock, engine).
 */
export { Agent, type AgentOptions, type AgentState } from "./agent.ts";
export { type ManifestResult, validateManifest } from "./manifest.ts";
export { plan, type PlanInput, type Step } from "./planner.ts";
export { type BackoffSettings, coolOffMs, DEFAULT_BACKOFF } from "./backoff.ts";
export { computeStatus, rawStatus, restartDecision } from "./restart_policy.ts";
export { formatModuleList, humanize, listDescription } from "./module_list.ts";
export { type ModuleStatus, moduleStatuses } from "./status.ts";
export { buildReport, type DesiredStatusReport, type ReportedDoc } from "./reporter.ts";
export { type Clock, systemClock } from "./clock.ts";
export {
  DEFAULT_NETWORK,
  DEFAULT_OWNER,
  desiredContainer,
  type DeviceEnv,
  LABELS,
  WORKLOAD_MOUNT_DIR,
  WORKLOAD_URI,
} from "./container_spec.ts";
export { type Engine, EngineError, type EngineEvent, type LogOptions } from "./engine.ts";
export { DockerEngine } from "./docker_engine.ts";
export { LogDemuxer } from "./log_stream.ts";
export type { Identities, Logger } from "./reconciler.ts";
export type {
  DeploymentConfig,
  ModuleRuntimeStatus,
  ModuleSpec,
  RegistryCredential,
  RestartPolicy,
} from "./types.ts";
