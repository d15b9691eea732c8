/**
 * Typed values the agent works with after parsing: the deployment (desired state), what the
 * engine reports about containers (actual state), restart statistics, and computed module
 * statuses. Everything here is plain data; parsing lives in manifest.ts, logic elsewhere.
 */

/** Restart policy, ordered by how much it restarts (never < on-failure < on-unhealthy < always). */
export type RestartPolicy = "never" | "on-failure" | "on-unhealthy" | "always";
/** Whether the agent pulls before create/recreate. */
export type ImagePullPolicy = "on-create" | "never";
/** Desired status of a module. */
export type DesiredStatus = "running" | "stopped";

/** One module of a deployment, normalized (image has a tag, createOptions parsed, env flat). */
export interface ModuleSpec {
  name: string;
  type: "docker";
  version: string;
  status: DesiredStatus;
  restartPolicy: RestartPolicy;
  imagePullPolicy: ImagePullPolicy;
  startupOrder: number;
  /** Image with `:latest` appended when no tag was given. */
  image: string;
  /** Image exactly as written in the manifest (for the original-image label). */
  imageAsWritten: string;
  /** Parsed Docker ContainerCreate body from (chunked) settings.createOptions; `{}` if none. */
  createOptions: Record<string, unknown>;
  digest?: string;
  /** Deployment env, NAME → value. */
  env: Record<string, string>;
}

/** A registry credential from runtime.settings.registryCredentials. */
export interface RegistryCredential {
  username: string;
  password: string;
  address: string;
}

/** The `$edgeHub` desired properties, checked for schema version only (the hub parses routes). */
export interface EdgeHubDesired {
  schemaVersion: string;
  properties: Record<string, unknown>;
}

/** A validated deployment: what the agent should make true. */
export interface DeploymentConfig {
  schemaVersion: string;
  /** Desired `$version` (0 when the manifest came from a file without one). */
  version: number;
  runtime: {
    type: "docker";
    minDockerVersion?: string;
    loggingOptions?: string;
    registryCredentials: Record<string, RegistryCredential>;
  };
  /** Validated but never run by the agent (ledge's hub and agent are in-process). */
  systemModules: { edgeAgent: ModuleSpec; edgeHub: ModuleSpec };
  /** User modules by name. */
  modules: Record<string, ModuleSpec>;
  edgeHub?: EdgeHubDesired;
  /** Desired properties of other module twins in the envelope, by module name. */
  moduleTwins: Record<string, Record<string, unknown>>;
}

/** Docker container state strings (engine API). */
export type ContainerState =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "removing"
  | "exited"
  | "dead"
  | string;

/** What the engine says about one container owned by this agent. */
export interface ActualContainer {
  id: string;
  /** Module name (container name without the leading `/`). */
  name: string;
  /** Config hash label the container was created with ("" if missing). */
  configHash: string;
  /** Image as the module specified it (original-image label), else the container's image. */
  image: string;
  imageId: string;
  state: ContainerState;
  exitCode: number;
  startedAt?: Date;
  finishedAt?: Date;
  /** Docker health status, "none" when the container has no healthcheck. */
  health: "starting" | "healthy" | "unhealthy" | "none";
  /** Engine error text for the last start, if any. */
  error?: string;
}

/** Raw status derived from the container alone (management-and-cli.md §1.3, plus unhealthy). */
export type RawStatus = "running" | "stopped" | "failed" | "dead" | "unknown" | "unhealthy";

/** Status shown to users and reported to the twin. */
export type ModuleRuntimeStatus = RawStatus | "backoff" | "downloading";

/** Persisted per-module restart statistics (edge-agent.md §4.3). */
export interface RestartStats {
  restartCount: number;
  /** Epoch ms of the last restart by the restart policy. */
  lastRestartTime?: number;
}
