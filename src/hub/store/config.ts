/**
 * Options of the segment log, their defaults and their parsing into a typed config, plus the
 * two things the log lets tests inject: a clock (time and timers) and a logger.
 *
 * @module
 */
import { StoreConfigError } from "./errors.ts";

/**
 * When an append's promise resolves, relative to the disk:
 * - `always`: after the batch holding it was written and `fdatasync`ed. Survives power loss.
 * - `interval`: after the first `fdatasync` that follows its write; syncs run at most every
 *   `syncIntervalMs`. Survives power loss once resolved; adds up to `syncIntervalMs` latency,
 *   gains throughput because writes continue between syncs.
 * - `never`: after `write()` returned (data is in the OS page cache). Survives a crash of this
 *   process, NOT a kernel crash or power loss.
 */
export type FsyncPolicy = "always" | "interval" | "never";

/** Time and timers; injectable so tests drive time instead of sleeping. */
export interface StoreClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Schedules `fn` after `ms`; the returned handle goes to {@link StoreClock.clearTimer}. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancels a timer from {@link StoreClock.setTimer}. */
  clearTimer(handle: unknown): void;
}

/** Where the log writes its log lines (recovery, drops, disk full). */
export interface StoreLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The real clock; timers are unref'd so an idle log never keeps a process alive. */
export const systemClock: StoreClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    (t as unknown as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Logger writing to stderr via `console`. */
export const consoleLogger: StoreLogger = {
  info: (m) => console.error(`[store] ${m}`),
  warn: (m) => console.error(`[store] WARN ${m}`),
  error: (m) => console.error(`[store] ERROR ${m}`),
};

/** Options accepted by `SegmentLog.open`; every field is optional. */
export interface SegmentLogOptions {
  fsync?: FsyncPolicy;
  /** `interval` policy: minimum time between two syncs. Default 10 ms. */
  syncIntervalMs?: number;
  /** Roll to a new segment once the active one reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Largest payload accepted. Default 1 MiB (IoT Hub messages are at most 256 KiB). */
  maxRecordBytes?: number;
  /** Capacity of one group-commit batch buffer (two are kept). Default 1 MiB. */
  maxBatchBytes?: number;
  /** One sparse index entry at least every this many bytes of segment. Default 64 KiB. */
  indexIntervalBytes?: number;
  /** Bytes of recent records kept in memory for hot readers. Default 8 MiB. */
  tailCacheBytes?: number;
  /** Bytes per disk read when replaying. Default 1 MiB. */
  readChunkBytes?: number;
  /** Records older than this are skipped on read and dropped by retention; < 0 = never. */
  timeToLiveSecs?: number;
  /** Disk budget for segment files; oldest segments are dropped beyond it. 0 = unlimited. */
  maxDiskBytes?: number;
  /** How often retention (TTL, budget, consumed segments) runs. Default 30 s. */
  retentionIntervalMs?: number;
  /** While full: how often to probe for free space. Default 1 s. */
  fullProbeIntervalMs?: number;
  /** Sequence number of the first record of an empty log. Default 1. */
  firstSeq?: number;
  clock?: StoreClock;
  logger?: StoreLogger;
}

/** Parsed options with every default filled in. */
export type SegmentLogConfig = Required<SegmentLogOptions>;

const MiB = 1024 * 1024;

/** Defaults used for absent options. */
export const DEFAULTS: Omit<SegmentLogConfig, "clock" | "logger"> = {
  fsync: "always",
  syncIntervalMs: 10,
  segmentBytes: 64 * MiB,
  maxRecordBytes: MiB,
  maxBatchBytes: MiB,
  indexIntervalBytes: 64 * 1024,
  tailCacheBytes: 2 * MiB,
  readChunkBytes: MiB,
  timeToLiveSecs: 7200,
  maxDiskBytes: 0,
  retentionIntervalMs: 30_000,
  fullProbeIntervalMs: 1000,
  firstSeq: 1,
};

function int(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new StoreConfigError(`option ${name}: expected an integer, got ${String(v)}`);
  }
  if (v < min || v > max) {
    throw new StoreConfigError(`option ${name}: ${v} is outside [${min}, ${max}]`);
  }
  return v;
}

/** Parses user options into a full config; throws {@link StoreConfigError} naming the field. */
export function parseLogOptions(o: SegmentLogOptions = {}): SegmentLogConfig {
  const d = DEFAULTS;
  const fsync = o.fsync ?? d.fsync;
  if (fsync !== "always" && fsync !== "interval" && fsync !== "never") {
    throw new StoreConfigError(`option fsync: expected always|interval|never, got ${fsync}`);
  }
  const maxRecordBytes = int("maxRecordBytes", o.maxRecordBytes ?? d.maxRecordBytes, 1, 256 * MiB);
  const cfg: SegmentLogConfig = {
    fsync,
    syncIntervalMs: int("syncIntervalMs", o.syncIntervalMs ?? d.syncIntervalMs, 0, 60_000),
    segmentBytes: int("segmentBytes", o.segmentBytes ?? d.segmentBytes, 4096, 2 ** 40),
    maxRecordBytes,
    maxBatchBytes: int("maxBatchBytes", o.maxBatchBytes ?? d.maxBatchBytes, 4096, 256 * MiB),
    indexIntervalBytes: int(
      "indexIntervalBytes",
      o.indexIntervalBytes ?? d.indexIntervalBytes,
      256,
    ),
    tailCacheBytes: int("tailCacheBytes", o.tailCacheBytes ?? d.tailCacheBytes, 0),
    readChunkBytes: int("readChunkBytes", o.readChunkBytes ?? d.readChunkBytes, 4096, 256 * MiB),
    timeToLiveSecs: int("timeToLiveSecs", o.timeToLiveSecs ?? d.timeToLiveSecs, -1, 2 ** 31),
    maxDiskBytes: int("maxDiskBytes", o.maxDiskBytes ?? d.maxDiskBytes, 0),
    retentionIntervalMs: int(
      "retentionIntervalMs",
      o.retentionIntervalMs ?? d.retentionIntervalMs,
      10,
    ),
    fullProbeIntervalMs: int(
      "fullProbeIntervalMs",
      o.fullProbeIntervalMs ?? d.fullProbeIntervalMs,
      1,
    ),
    firstSeq: int("firstSeq", o.firstSeq ?? d.firstSeq, 1),
    clock: o.clock ?? systemClock,
    logger: o.logger ?? consoleLogger,
  };
  if (cfg.maxDiskBytes > 0 && cfg.maxDiskBytes < 2 * cfg.segmentBytes) {
    throw new StoreConfigError(
      `option maxDiskBytes: ${cfg.maxDiskBytes} must be 0 or at least 2 × segmentBytes`,
    );
  }
  return cfg;
}
