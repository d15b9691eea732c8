/**
 * Public types of the segment log's read side and its statistics.
 *
 * @module
 */
import type { WriterState } from "./segment_writer.ts";
import type { LogRecord } from "./read_collector.ts";

/** Limits of one {@link SegmentLog.read}. */
export interface ReadOptions {
  /** Default 1000. */
  maxRecords?: number;
  /** Payload bytes; at least one record is returned regardless. Default 4 MiB. */
  maxBytes?: number;
  /** TTL to apply instead of the log's (e.g. a route's `timeToLiveSecs`); < 0 = none. */
  timeToLiveSecs?: number;
}

/** Result of {@link SegmentLog.read}. */
export interface ReadResult {
  records: LogRecord[];
  /** Where to continue reading. */
  nextSeq: number;
  /** Records skipped because they were expired (count them as `ttl_expiry` drops). */
  expired: number;
}

/** Counters and gauges of the log. */
export interface StoreStats {
  state: WriterState;
  /** Records written since open. */
  appended: number;
  /** Unconsumed records deleted because they expired. */
  dropped_ttl: number;
  /** Unconsumed records deleted to stay within `maxDiskBytes`. */
  dropped_budget: number;
  /** Expired records skipped by reads (a record re-read while expired counts again). */
  expired_skipped: number;
  /** Corrupt records met by reads (rest of that segment skipped). */
  corrupt_skipped: number;
  /** Reads that had to go to a segment file (not served by the tail cache). */
  disk_reads: number;
  bytes_on_disk: number;
  segments: number;
  first_seq: number;
  /** Highest durable seq (0 when nothing was ever appended). */
  last_seq: number;
  pending_bytes: number;
  waiting_appends: number;
  /** Batch write() calls and batch fdatasync calls since open (group-commit efficiency). */
  batch_writes: number;
  batch_syncs: number;
}
