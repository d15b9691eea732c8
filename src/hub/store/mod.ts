/**
 * The hub's store: a durable append-only segment log with group commit, per-consumer
 * checkpoints and retention (TTL, disk budget), plus the binary codec for hub messages stored
 * in it. Store once, deliver by offset: each endpoint is a consumer with a committed seq.
 *
 * What an append's promise means, per fsync policy (`SegmentLogOptions.fsync`):
 * - `always` (default): the record's batch was written and `fdatasync`ed. Survives a process
 *   crash, a kernel crash and power loss. One sync per batch, not per record.
 * - `interval`: as `always`, but syncs run at most every `syncIntervalMs` (default 10 ms) while
 *   writes continue in between; the promise waits for the sync after its write. Same
 *   guarantee once resolved, more latency, more throughput.
 * - `never`: the batch was written (it is in the OS page cache). Survives a crash of this
 *   process; a kernel crash or power loss may lose recently acknowledged records.
 * Readers see a record only once it is durable under the policy.
 *
 * On disk (`dir`): `<base seq, 20 digits>.seg` segment files of framed records
 * (crc32, length, seq, timestamp, payload — see `record_format.ts`), `.idx` companions of sealed
 * segments (summary + sparse index, rebuildable), `checkpoints/<consumer>.ckpt`.
 * On open, the last segment is scanned and a torn or corrupt tail is truncated (logged).
 *
 * Full disk: an append that hits ENOSPC rejects with `StoreFullError`; the log then fails
 * fast (`state === "full"`) until a space probe succeeds — stop acknowledging meanwhile and
 * await `whenWritable()`. Memory: two batch buffers (`maxBatchBytes`) and the tail cache
 * (`tailCacheBytes`); appends beyond the buffers wait in FIFO order, so callers bound their
 * in-flight appends (e.g. MQTT receive maximum) to bound the waiting queue.
 *
 * @module
 */
export { type ReadOptions, type ReadResult, SegmentLog, type StoreStats } from "./segment_log.ts";
export type { LogRecord } from "./read_collector.ts";
export {
  type FsyncPolicy,
  type SegmentLogOptions,
  type StoreClock,
  type StoreLogger,
  systemClock,
} from "./config.ts";
export {
  RecordTooLargeError,
  StoreClosedError,
  StoreConfigError,
  StoreFullError,
  StoreIOError,
} from "./errors.ts";
export type { WriterState } from "./segment_writer.ts";
export { decodeMessage, encodeMessage, MessageCodecError } from "./message_codec.ts";
