/**
 * The daemon's configuration: a zod schema that turns the YAML a user writes into a typed
 * `Config`, with defaults for everything but the essentials. Keys are snake_case like the
 * user-facing files of IoT Edge (`/etc/aziot/config.toml`).
 *
 * @module
 */
import * as z from "zod";

const hostPortShape = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):(\d{1,5})$/;
const hostPort = z.string().refine(
  (s) => hostPortShape.test(s),
  "expected host:port (e.g. 127.0.0.1:8883 or [::1]:8883)",
).refine((s) => {
  const m = hostPortShape.exec(s);
  return !m || Number(m[2]) <= 65535; // a shape error is reported once, above
}, "port must be 0..65535");

/** Device and module ids: IoT Hub allows up to 128 chars of this set. */
export const identityIdPattern = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

const storeSchema = z.strictObject({
  /** Where the message log lives; default `<data_dir>/messages`. */
  dir: z.string().min(1).nullable().default(null),
  /** When an append counts as durable: `always` = fdatasync per group commit. */
  fsync: z.enum(["always", "interval", "never"]).default("always"),
  fsync_interval_ms: z.number().int().min(1).max(60_000).default(10),
  /** storeAndForwardConfiguration.timeToLiveSecs default (IoT Edge: 7200). */
  time_to_live_secs: z.number().int().min(0).default(7200),
  /** Disk budget for the message log; oldest segments are dropped beyond it. */
  max_bytes: z.number().int().min(1 << 20).default(1 << 30),
  segment_bytes: z.number().int().min(64 << 10).default(16 << 20),
  /**
   * Recent records kept in memory so consumers that keep up never read the disk. 2 MiB holds
   * ~2-3 s of a 2,000 msg/s stream of 256 B messages; a slower consumer reads back from the log.
   */
  tail_cache_bytes: z.number().int().min(0).max(256 << 20).default(2 << 20),
}).prefault({});

export const configSchema = z.strictObject({
  /** The name clients dial (GatewayHostName); also on the hub's server certificate. */
  hostname: z.string().min(1).default("localhost"),
  /** The edge device's own id. */
  device_id: z.string().regex(identityIdPattern, "expected a device id (1-128 chars)").default(
    "ledge-device",
  ),
  /** HostName written into connection strings and SAS audiences; defaults to `hostname`. */
  iothub_hostname: z.string().min(1).optional(),
  /** Where ledge keeps its database, message log and certificates. Relative to the cwd. */
  data_dir: z.string().min(1).default("./ledge-data"),
  listen: z.strictObject({
    /** Plain MQTT (no TLS); off unless given. */
    mqtt: hostPort.nullable().default(null),
    /** MQTT over TLS, what the SDKs dial (`mqtts://GatewayHostName`). */
    mqtts: hostPort.nullable().default("127.0.0.1:8883"),
    /** Management API socket (HTTP over a unix socket) used by the CLI. Relative to data_dir. */
    mgmt_socket: z.string().min(1).default("mgmt.sock"),
  }).prefault({}),
  mqtt: z.strictObject({
    /** IoT Hub's and edgeHub's limit on an inbound message (bytes). */
    max_message_bytes: z.number().int().min(1024).max(16 << 20).default(262_144),
    max_connections: z.number().int().min(1).default(10_000),
    /** QoS 1 messages from one client being stored before the hub stops reading it. */
    max_inflight: z.number().int().min(1).max(65_535).default(1000),
    /** ... or that many payload bytes (bounds memory whatever the message size). */
    max_inbound_bytes: z.number().int().min(1024).default(1 << 20),
    /** Unacknowledged QoS 1 messages the hub sends to one client before it waits. */
    max_outbound_inflight: z.number().int().min(1).max(65_535).default(1000),
    /** ... and their payload bytes (bounds memory whatever the message size). */
    max_outbound_bytes: z.number().int().min(1024).default(2 << 20),
    /** edgeHub caps keep-alive at 10 minutes. */
    max_keepalive_secs: z.number().int().min(1).default(600),
    /** Time a new connection has to send CONNECT. */
    connect_timeout_ms: z.number().int().min(100).default(10_000),
  }).prefault({}),
  store: storeSchema,
  /** Routes applied before any deployment, IoT Hub route syntax, by name. */
  routes: z.record(z.string(), z.string()).default({}),
  moby: z.strictObject({
    /** The container engine; `null` runs ledge without an agent (hub only). */
    socket: z.string().min(1).nullable().default("unix:///var/run/docker.sock"),
    network: z.string().default("azure-iot-edge"),
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(["error", "warn", "info", "debug"]).default("info"),
  }).prefault({}),
});

export type Config = z.infer<typeof configSchema>;
