/**
 * Pure construction of the Docker ContainerCreate body for a module (edge-agent.md §7,
 * workload-api.md §5.2): the user's createOptions merged with what ledge adds — IOTEDGE_* env,
 * owner/module/config-hash labels, a bind of the module's workload socket directory, and the
 * network. Also the config hash that decides "recreate or keep": it covers every part of the
 * module spec except its desired status, plus what ledge injects (so a new generation id or
 * a changed device setting also recreates).
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "./create_options.ts";
import type { ModuleSpec } from "./types.ts";

/** Label names on containers created by ledge. */
export const LABELS = {
  owner: "net.azure-devices.edge.owner",
  originalImage: "net.azure-devices.edge.original-image",
  version: "net.azure-devices.edge.version",
  restartPolicy: "net.azure-devices.edge.restartPolicy",
  module: "io.ledge.module",
  configHash: "io.ledge.config-hash",
} as const;

/** Default label value marking containers owned by ledge. */
export const DEFAULT_OWNER = "ledge";
/** Path of the workload socket inside each module container (workload-api.md §1.1). */
export const WORKLOAD_MOUNT_DIR = "/var/run/iotedge";
export const WORKLOAD_URI = `unix://${WORKLOAD_MOUNT_DIR}/workload.sock`;
/** Default moby network (edge-agent.md §6). */
export const DEFAULT_NETWORK = "azure-iot-edge";

/** Device-wide values ledge injects into every module. */
export interface DeviceEnv {
  deviceId: string;
  iothubHostname: string;
  /** This device's hostname (edgeHub's address for modules: IOTEDGE_GATEWAYHOSTNAME). */
  gatewayHostname: string;
  /** Nested edge only: the parent's hostname (IOTEDGE_PARENTHOSTNAME). */
  parentHostname?: string;
  runtimeLogLevel?: string;
  upstreamProtocol?: string;
  apiVersion?: string;
}

/** Everything besides the module spec that goes into the container. */
export interface ContainerContext {
  owner: string;
  device: DeviceEnv;
  generationId: string;
  /** Host directory bound at /var/run/iotedge (holds the module's workload.sock). */
  workloadSocketDir: string;
  /** moby network name, or "host". */
  network: string;
}

/** A module ready to be created: its spec, create body and config hash. */
export interface DesiredContainer {
  spec: ModuleSpec;
  body: Record<string, unknown>;
  configHash: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Env IoT Edge gives a user module (workload-api.md §5.2), before manifest/createOptions env. */
export function moduleEnv(spec: ModuleSpec, ctx: ContainerContext): Record<string, string> {
  const d = ctx.device;
  const env: Record<string, string> = { ...spec.env };
  env.IOTEDGE_WORKLOADURI = WORKLOAD_URI;
  env.IOTEDGE_AUTHSCHEME = "sasToken";
  env.IOTEDGE_MODULEGENERATIONID = ctx.generationId;
  env.IOTEDGE_IOTHUBHOSTNAME = d.iothubHostname;
  env.IOTEDGE_GATEWAYHOSTNAME = d.gatewayHostname;
  if (d.parentHostname) env.IOTEDGE_PARENTHOSTNAME = d.parentHostname;
  env.IOTEDGE_DEVICEID = d.deviceId;
  env.IOTEDGE_MODULEID = spec.name;
  env.IOTEDGE_APIVERSION = d.apiVersion ?? "2022-08-03";
  if (!("RuntimeLogLevel" in spec.env)) env.RuntimeLogLevel = d.runtimeLogLevel ?? "info";
  if (d.upstreamProtocol && !("UpstreamProtocol" in spec.env)) {
    env.UpstreamProtocol = d.upstreamProtocol;
  }
  return env;
}

/**
 * Build the create body and config hash. Throws a plain Error naming the field when
 * createOptions has the wrong shape for a merge (e.g. `Env` not an array of strings).
 */
export function desiredContainer(spec: ModuleSpec, ctx: ContainerContext): DesiredContainer {
  const opts = structuredClone(spec.createOptions);
  const env = moduleEnv(spec, ctx);
  if (opts.Env !== undefined) {
    if (!Array.isArray(opts.Env) || opts.Env.some((e) => typeof e !== "string")) {
      throw new Error(`createOptions.Env must be an array of "KEY=VALUE" strings`);
    }
    for (const kv of opts.Env as string[]) {
      const i = kv.indexOf("=");
      env[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? "" : kv.slice(i + 1);
    }
  }
  const labels = opts.Labels ?? {};
  if (!isObj(labels)) throw new Error("createOptions.Labels must be an object");
  const host = opts.HostConfig ?? {};
  if (!isObj(host)) throw new Error("createOptions.HostConfig must be an object");
  const binds = host.Binds ?? [];
  if (!Array.isArray(binds)) throw new Error("createOptions.HostConfig.Binds must be an array");
  const netCfg = opts.NetworkingConfig ?? {};
  if (!isObj(netCfg)) throw new Error("createOptions.NetworkingConfig must be an object");

  const body: Obj = {
    ...opts,
    Image: spec.image,
    Env: Object.keys(env).sort().map((k) => `${k}=${env[k]}`),
    Labels: {
      ...labels,
      [LABELS.owner]: ctx.owner,
      [LABELS.originalImage]: spec.imageAsWritten,
      [LABELS.version]: spec.version,
      [LABELS.restartPolicy]: spec.restartPolicy,
      [LABELS.module]: spec.name,
    },
    HostConfig: {
      ...host,
      Binds: [...binds, `${ctx.workloadSocketDir}:${WORKLOAD_MOUNT_DIR}`],
      NetworkMode: host.NetworkMode ?? ctx.network,
    },
  };
  const mode = (body.HostConfig as Obj).NetworkMode;
  if (mode !== "host" && netCfg.EndpointsConfig === undefined) {
    body.NetworkingConfig = { ...netCfg, EndpointsConfig: { [String(mode)]: {} } };
  }
  const configHash = hashOf({
    body,
    imagePullPolicy: spec.imagePullPolicy,
    startupOrder: spec.startupOrder,
    digest: spec.digest ?? null,
  });
  (body.Labels as Obj)[LABELS.configHash] = configHash;
  return { spec, body, configHash };
}

function hashOf(v: unknown): string {
  return createHash("sha256").update(canonicalJson(v)).digest("hex").slice(0, 32);
}
