/**
 * Deployment manifest parsing (deployment-manifest.md): JSON or YAML text, or an object, in
 * any of the accepted envelopes → a typed DeploymentConfig, or a failure carrying the IoT Edge
 * status code (400 format, 412 schema version, 417 empty) and a description naming the field
 * and the reason. Parsing never throws and never has side effects.
 */
import yaml from "js-yaml";
import * as z from "zod";
import { FieldError, normalizeImage, readCreateOptions } from "./create_options.ts";
import type { DeploymentConfig, EdgeHubDesired, ModuleSpec, RestartPolicy } from "./types.ts";

/** Outcome of validateManifest. */
export type ManifestResult =
  | { ok: true; config: DeploymentConfig }
  | { ok: false; code: 400 | 412 | 417; description: string };

const FORMAT = "Agent configuration format is invalid";
const EMPTY =
  "This device has an empty configuration for the edge agent. Please set a deployment manifest.";

/** Lower-case a string before matching an enum (Newtonsoft enum reading is case-insensitive). */
const lcEnum = <T extends string>(values: readonly [T, ...T[]]) =>
  z.preprocess((v) => (typeof v === "string" ? v.toLowerCase() : v), z.enum(values));

const envSchema = z.record(
  z.string(),
  z.object({ value: z.union([z.string(), z.number(), z.boolean()]).nullish() }),
);

const moduleSchema = z.object({
  type: z.literal("docker", { error: "type must be exactly 'docker'" }),
  version: z.string().optional(),
  status: lcEnum(["running", "stopped"]).optional(),
  restartPolicy: lcEnum(["never", "on-failure", "on-unhealthy", "always"]).optional(),
  imagePullPolicy: lcEnum(["on-create", "never"]).optional(),
  startupOrder: z.number().int().min(0).max(4294967295).optional(),
  settings: z.looseObject({ image: z.string(), digest: z.string().optional() }),
  env: envSchema.nullish(),
});
type RawModule = z.infer<typeof moduleSchema>;

const credentialSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  address: z.string().min(1),
});

const agentSchema = z.object({
  schemaVersion: z.string(),
  runtime: z.object({
    type: z.literal("docker", { error: "runtime.type must be exactly 'docker'" }),
    settings: z.object({
      minDockerVersion: z.string().optional(),
      loggingOptions: z.string().optional(),
      registryCredentials: z.record(z.string(), credentialSchema).nullish(),
    }).optional(),
  }),
  systemModules: z.object({ edgeAgent: moduleSchema, edgeHub: moduleSchema }),
  modules: z.record(z.string(), moduleSchema).nullish(),
  $version: z.number().int().optional(),
});

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Parse a deployment manifest (text or object).
 * @example validateManifest('{"modulesContent":{...}}') // {ok:true, config} | {ok:false, code, description}
 */
export function validateManifest(input: string | unknown): ManifestResult {
  let doc: unknown = input;
  if (typeof input === "string") {
    if (input.trim() === "") return { ok: false, code: 417, description: EMPTY };
    try {
      doc = yaml.load(input);
    } catch (e) {
      return fail(400, "manifest", `not valid JSON or YAML (${(e as Error).message})`);
    }
  }
  if (!isObject(doc)) return fail(400, "manifest", "must be a JSON/YAML object");
  const located = locate(doc);
  if (located.agent === undefined || Object.keys(located.agent).length === 0) {
    return { ok: false, code: 417, description: EMPTY };
  }
  const desired = located.agent;
  if (Object.keys(desired).every((k) => k.startsWith("$"))) {
    return { ok: false, code: 417, description: EMPTY };
  }
  const sv = desired.schemaVersion;
  const svProblem = checkAgentSchemaVersion(sv);
  if (svProblem) return { ok: false, code: 412, description: svProblem };

  const parsed = agentSchema.safeParse(desired);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(400, issue.path.map(String).join(".") || "$edgeAgent", issue.message);
  }
  try {
    return { ok: true, config: build(parsed.data, located) };
  } catch (e) {
    if (e instanceof FieldError) return fail(400, e.field, e.reason);
    throw e;
  }
}

interface Located {
  agent?: Record<string, unknown>;
  hub?: Record<string, unknown>;
  twins: Record<string, Record<string, unknown>>;
}

/** Find `$edgeAgent` desired properties in the accepted envelopes. */
function locate(doc: Record<string, unknown>): Located {
  const content = doc.modulesContent ?? doc.moduleContent;
  const mc = isObject(content) ? content : isObject(doc.$edgeAgent) ? doc : undefined;
  if (!mc) {
    // A bare `$edgeAgent` desired-properties document.
    return { agent: Object.keys(doc).length ? doc : undefined, twins: {} };
  }
  const desiredOf = (v: unknown) => {
    if (!isObject(v)) return undefined;
    const d = v["properties.desired"];
    return isObject(d) ? d : undefined;
  };
  const twins: Record<string, Record<string, unknown>> = {};
  for (const [name, v] of Object.entries(mc)) {
    const d = desiredOf(v);
    if (d && name !== "$edgeAgent" && name !== "$edgeHub") twins[name] = d;
  }
  return { agent: desiredOf(mc.$edgeAgent), hub: desiredOf(mc.$edgeHub), twins };
}

function build(raw: z.infer<typeof agentSchema>, located: Located): DeploymentConfig {
  const modules: Record<string, ModuleSpec> = {};
  for (const [name, m] of Object.entries(raw.modules ?? {})) {
    const field = `modules.${name}`;
    if (name === "edgeAgent" || name === "edgeHub") {
      throw new FieldError(field, "name is reserved for systemModules");
    }
    if (!DOCKER_NAME.test(name) || name.length > 128) {
      throw new FieldError(field, "module name must match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (≤128 chars)");
    }
    if (m.status === undefined) throw new FieldError(`${field}.status`, "required");
    modules[name] = toSpec(name, m, field, "on-unhealthy");
  }
  const hubRaw = raw.systemModules.edgeHub;
  if (hubRaw.status === undefined) {
    throw new FieldError("systemModules.edgeHub.status", "required");
  }
  return {
    schemaVersion: raw.schemaVersion,
    version: raw.$version ?? 0,
    runtime: {
      type: "docker",
      minDockerVersion: raw.runtime.settings?.minDockerVersion,
      loggingOptions: raw.runtime.settings?.loggingOptions,
      registryCredentials: raw.runtime.settings?.registryCredentials ?? {},
    },
    systemModules: {
      edgeAgent: {
        ...toSpec("edgeAgent", raw.systemModules.edgeAgent, "systemModules.edgeAgent", "always"),
        status: "running",
        restartPolicy: "always",
        startupOrder: 0,
      },
      edgeHub: toSpec("edgeHub", hubRaw, "systemModules.edgeHub", "always"),
    },
    modules,
    edgeHub: located.hub ? parseEdgeHub(located.hub) : undefined,
    moduleTwins: located.twins,
  };
}

function toSpec(name: string, m: RawModule, field: string, policy: RestartPolicy): ModuleSpec {
  const settings = m.settings as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.env ?? {})) env[k] = v.value == null ? "" : String(v.value);
  return {
    name,
    type: "docker",
    version: m.version ?? "",
    status: m.status ?? "running",
    restartPolicy: m.restartPolicy ?? policy,
    imagePullPolicy: m.imagePullPolicy ?? "on-create",
    startupOrder: m.startupOrder ?? 4294967295,
    image: normalizeImage(m.settings.image, `${field}.settings.image`),
    imageAsWritten: m.settings.image.trim(),
    createOptions: readCreateOptions(settings, `${field}.settings`),
    digest: m.settings.digest,
    env,
  };
}

function parseEdgeHub(d: Record<string, unknown>): EdgeHubDesired {
  const sv = d.schemaVersion;
  const v = typeof sv === "string" ? parseVersion(sv) : undefined;
  if (!v || v[0] !== 1 || v[1] > 3) {
    throw new FieldError(
      "$edgeHub.schemaVersion",
      `'${String(sv)}' is not supported (expected 1.0 to 1.3)`,
    );
  }
  return { schemaVersion: sv as string, properties: d };
}

/** Returns a 412 description, or undefined when the version is accepted (≤ 1.1.0, major 1). */
export function checkAgentSchemaVersion(sv: unknown): string | undefined {
  const v = typeof sv === "string" ? parseVersion(sv) : undefined;
  const shown = typeof sv === "string" ? sv : String(sv);
  if (!v) return `The desired properties schema version '${shown}' is missing or invalid`;
  const max = [1, 1, 0, -1];
  const cmp = compareVersions(v, max);
  if (v[0] !== 1 || cmp > 0) {
    return `The desired properties schema version ${shown} is not compatible with the expected version 1.1.0`;
  }
  return undefined;
}

/** .NET Version parse: 2–4 non-negative integer components; missing ones are -1. */
function parseVersion(s: string): number[] | undefined {
  if (!/^\d+\.\d+(\.\d+(\.\d+)?)?$/.test(s.trim())) return undefined;
  const parts = s.trim().split(".").map(Number);
  while (parts.length < 4) parts.push(-1);
  return parts;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

function fail(code: 400, field: string, reason: string): ManifestResult {
  return { ok: false, code, description: `${FORMAT}: ${field}: ${reason}` };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
