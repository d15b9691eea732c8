/**
 * Loading the configuration: from a YAML file, or the embedded default when none is given.
 * Every error names the key, the bad value and what was expected, and loading fails before
 * anything opens a port.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import process from "node:process";
import yaml from "js-yaml";
import type * as z from "zod";
import { type Config, configSchema } from "./schema.ts";

/** The configuration a first run uses; `ledge config default` prints it. */
export const DEFAULT_CONFIG_YAML = `# ledge configuration (defaults shown)
hostname: localhost            # name clients dial; on the hub's TLS certificate
device_id: ledge-device        # this edge device's id
data_dir: ./ledge-data         # database, message log, certificates
listen:
  mqtts: 127.0.0.1:8883        # MQTT over TLS (what the Azure IoT SDKs dial)
  mqtt: null                   # plain MQTT, e.g. 127.0.0.1:1883 (off by default)
  mgmt_socket: mgmt.sock       # management API socket, relative to data_dir
store:
  fsync: always                # always | interval | never
  time_to_live_secs: 7200
  max_bytes: 1073741824
moby:
  socket: unix:///var/run/docker.sock
  network: azure-iot-edge
routes: {}
`;

/** Where `scripts/install.sh` puts the config on a device; used when nothing else is named. */
export const SYSTEM_CONFIG = "/etc/ledge/config.yaml";

/** A configuration error that names every offending key. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Formats zod issues as `key: reason (got VALUE)` lines. */
export function describeIssues(issues: z.core.$ZodIssue[], input: unknown): string {
  return issues.map((issue) => {
    const key = issue.path.length ? issue.path.join(".") : "(top level)";
    const got = issue.code === "unrecognized_keys" ? undefined : valueAt(input, issue.path);
    const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
    return `${key}: ${issue.message}${shown}`;
  }).join("\n");
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Parses YAML text into a Config; `source` names the file in errors. */
export function parseConfig(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = yaml.load(text) ?? {};
  } catch (e) {
    throw new ConfigError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${source}:\n${describeIssues(result.error.issues, raw)}`);
  }
  return result.data;
}

/** A loaded configuration with its paths made absolute. */
export interface LoadedConfig extends Config {
  /** Where the configuration came from: a file path or `(embedded default)`. */
  source: string;
  /** data_dir, absolute. */
  dataDir: string;
  /** Management socket path, absolute. */
  mgmtSocketPath: string;
  /** iothub_hostname or hostname. */
  iothubHostname: string;
  /** GatewayHostName clients dial: `hostname`, plus `:port` when MQTTS is not on 8883. */
  gatewayHostname: string;
}

function gatewayHostnameOf(config: Config): string {
  const mqtts = config.listen.mqtts;
  const port = mqtts ? Number(mqtts.slice(mqtts.lastIndexOf(":") + 1)) : 8883;
  return port === 8883 ? config.hostname : `${config.hostname}:${port}`;
}

/**
 * Loads the config from `path`, else `$LEDGE_CONFIG`, else /etc/ledge/config.yaml if it exists,
 * else the embedded default. Relative
 * paths inside are resolved against the working directory.
 */
export function loadConfig(path?: string): LoadedConfig {
  const file = path ?? process.env.LEDGE_CONFIG ??
    (existsSync(SYSTEM_CONFIG) ? SYSTEM_CONFIG : undefined);
  let config: Config;
  let source: string;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new ConfigError(`${file}: cannot read: ${(e as Error).message}`);
    }
    config = parseConfig(text, file);
    source = file;
  } else {
    config = parseConfig(DEFAULT_CONFIG_YAML, "(embedded default)");
    source = "(embedded default)";
  }
  const dataDir = resolve(config.data_dir);
  const sock = config.listen.mgmt_socket;
  return {
    ...config,
    source,
    dataDir,
    mgmtSocketPath: isAbsolute(sock) ? sock : resolve(dataDir, sock),
    iothubHostname: config.iothub_hostname ?? config.hostname,
    gatewayHostname: gatewayHostnameOf(config),
  };
}
