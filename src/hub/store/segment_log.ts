/**
 * `SegmentLog`: the hub's durable append-only message log. Appends are group-committed into
 * segment files (see `segment_writer.ts`); readers address records by sequence number, served
 * from an in-memory tail when hot and from disk in large sequential reads when lagging;
 * consumers commit their positions durably; retention deletes whole segments that are
 * consumed, expired (TTL) or over the disk budget.
 *
 * Durability depends on the fsync policy; see {@link FsyncPolicy}. Readers only see records
 * that are durable under the policy.
 *
 * @example
 * ```ts
 * const log = await SegmentLog.open("/var/lib/ledge/store", { fsync: "always" });
 * const seq = await log.append(new Uint8Array([1, 2, 3]));
 * const { records, nextSeq } = await log.read(1, { maxRecords: 100 });
 * await log.commit("upstream", seq);
 * await log.close();
 * ```
 *
 * @module
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { CheckpointStore } from "./checkpoint_store.ts";
import { type FsyncPolicy, parseLogOptions, type SegmentLogConfig } from "./config.ts";
import type { SegmentLogOptions } from "./config.ts";
import { StoreClosedError } from "./errors.ts";
import { Collect, type LogRecord, ReadCollector } from "./read_collector.ts";
import { planRetention } from "./retention.ts";
import { deleteSegmentFiles, segmentFileName, writeIndexFile } from "./segment_files.ts";
import { collectFromSegment } from "./segment_reader.ts";
import { SegmentWriter, type WriterState } from "./segment_writer.ts";
import type { SegmentInfo } from "./sparse_index.ts";
import { TailCache } from "./tail_cache.ts";
import { recoverSegments } from "./recovery.ts";
import type { ReadOptions, ReadResult, StoreStats } from "./types.ts";

export type { FsyncPolicy, ReadOptions, ReadResult, StoreStats };

/** Durable append-only segment log; create with {@link SegmentLog.open}. */
export class SegmentLog {
  readonly #sealed: SegmentInfo[];
  readonly #cache: TailCache;
  readonly #writer: SegmentWriter;
  #dataWaiters: Array<{ seq: number; resolve(): void }> = [];
  #retaining: Promise<void> | null = null;
  #retainAgain: Promise<void> | null = null;
  #retentionTimer: unknown = null;
  #background = new Set<Promise<unknown>>();
  #closed = false;
  readonly #counters = {
    appended: 0,
    dropped_ttl: 0,
    dropped_budget: 0,
    expired_skipped: 0,
    corrupt_skipped: 0,
    disk_reads: 0,
  };

  private constructor(
    readonly dir: string,
    readonly config: SegmentLogConfig,
    sealed: SegmentInfo[],
    active: SegmentInfo,
    fd: number,
    nextSeq: number,
    readonly checkpoints: CheckpointStore,
  ) {
    this.#sealed = sealed;
    this.#cache = new TailCache(config.tailCacheBytes);
    const lastTs = Math.max(active.lastTimestamp, sealed.at(-1)?.lastTimestamp ?? 0);
    this.#writer = new SegmentWriter(dir, config, active, fd, nextSeq, lastTs, {
      written: (bytes, first, last) => {
        this.#counters.appended += last - first + 1;
        this.#cache.add(bytes, first, last);
      },
      durable: (seq) => this.#wakeReaders(seq),
      rolledBack: () => this.#cache.clear(),
      sealed: (info) => {
        this.#sealed.push(info);
        this.#track(writeIndexFile(dir, info, config.logger));
        this.#track(this.runRetention());
      },
    });
  }

  /** Opens (creating if needed) the log in `dir`, recovering from a crash if there was one. */
  static async open(dir: string, options: SegmentLogOptions = {}): Promise<SegmentLog> {
    const cfg = parseLogOptions(options);
    await fsp.mkdir(dir, { recursive: true });
    for (const n of await fsp.readdir(dir)) {
      if (n.endsWith(".tmp") || n === ".space-probe") await fsp.rm(path.join(dir, n));
    }
    const { sealed, active, nextSeq, fd } = await recoverSegments(dir, cfg);
    const checkpoints = await CheckpointStore.open(path.join(dir, "checkpoints"), cfg.logger);
    const log = new SegmentLog(dir, cfg, sealed, active, fd, nextSeq, checkpoints);
    await log.runRetention();
    log.#armRetentionTimer();
    return log;
  }

  /** `open`, `full` (appends fail fast with StoreFullError) or `closed`. */
  get state(): WriterState {
    return this.#writer.state;
  }

  /** Lowest seq still stored (reads below it start here). */
  get firstSeq(): number {
    for (const s of this.#sealed) if (s.records > 0) return s.firstSeq;
    const a = this.#writer.active;
    return a.records > 0 ? a.firstSeq : this.#writer.nextSeq;
  }

  /** Highest seq visible to readers (durable under the policy). */
  get lastSeq(): number {
    return this.#writer.durableSeq;
  }

  /**
   * Appends one record; resolves with its seq once durable under the fsync policy. Waits
   * (back-pressure) when the batch buffers are full. Rejects with StoreFullError on a full
   * disk, RecordTooLargeError, StoreClosedError.
   */
  append(payload: Uint8Array): Promise<number> {
    return this.#writer.append(payload);
  }

  /**
   * Fast path without a promise per record: frames `payload` and returns its seq, or -1 when
   * the buffers are full (use {@link append}). Throws StoreFullError while full. Then call
   * {@link durable} with the seq in the same event-loop turn; appends of one batch share it.
   */
  offer(payload: Uint8Array): number {
    return this.#writer.offer(payload);
  }

  /** Promise shared by the batch holding `seq`; resolves once it is durable. */
  durable(seq: number): Promise<void> {
    return this.#writer.durable(seq);
  }

  /** Resolves once the log accepts appends again (immediately unless `full`). */
  whenWritable(): Promise<void> {
    return this.#writer.whenWritable();
  }

  /** Writes and syncs everything pending, whatever the policy. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Reads durable records with seq >= `fromSeq`, skipping expired ones. */
  async read(fromSeq: number, opts: ReadOptions = {}): Promise<ReadResult> {
    if (this.#closed) throw new StoreClosedError();
    const ttlSecs = opts.timeToLiveSecs ?? this.config.timeToLiveSecs;
    const expireBefore = ttlSecs < 0 ? -Infinity : this.config.clock.now() - ttlSecs * 1000 + 1;
    const c = new ReadCollector(
      Math.max(fromSeq, this.firstSeq),
      opts.maxRecords ?? 1000,
      opts.maxBytes ?? 4 * 1024 * 1024,
      this.#writer.durableSeq,
      expireBefore,
      this.config.maxRecordBytes,
    );
    while (!c.full) {
      if (this.#cache.collect(c) !== null) break;
      const seg = this.#segmentFor(c.nextSeq);
      if (!seg) break;
      this.#counters.disk_reads++;
      const r = await collectFromSegment(this.dir, this.config, seg, c);
      if (r === Collect.done) break;
      if (r === Collect.corrupt) {
        this.#counters.corrupt_skipped++;
        this.config.logger.error(
          `corrupt record in ${segmentFileName(seg.baseSeq)} (${c.corruption}) at seq >= ` +
            `${c.nextSeq}: skipping to seq ${seg.lastSeq + 1}`,
        );
      }
      c.nextSeq = Math.max(c.nextSeq, r === null ? this.firstSeq : seg.lastSeq + 1);
    }
    this.#counters.expired_skipped += c.expired;
    return { records: c.records, nextSeq: c.nextSeq, expired: c.expired };
  }

  /**
   * Iterates records from `fromSeq`. Ends when caught up, unless `follow` is set: then it waits
   * for new records until `signal` aborts. Reads one chunk ahead, so disk I/O overlaps the
   * consumer's work.
   */
  async *records(
    fromSeq: number,
    opts: ReadOptions & { follow?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<LogRecord> {
    const ro = { maxRecords: 4096, maxBytes: 4 * 1024 * 1024, ...opts };
    let ahead: Promise<ReadResult> | null = this.read(fromSeq, ro);
    try {
      while (!opts.signal?.aborted) {
        const r: ReadResult = await ahead!;
        ahead = null;
        const caughtUp = r.records.length === 0 && r.expired === 0;
        if (!caughtUp) ahead = this.read(r.nextSeq, ro);
        for (const rec of r.records) yield rec;
        if (caughtUp) {
          if (!opts.follow) return;
          await this.waitFor(r.nextSeq, opts.signal);
          ahead = this.read(r.nextSeq, ro);
        }
      }
    } finally {
      ahead?.catch(() => {}); // abandoned read-ahead: its outcome no longer matters
    }
  }

  /** Resolves when a record with seq >= `seq` is visible, or when `signal` aborts. */
  waitFor(seq: number, signal?: AbortSignal): Promise<void> {
    if (this.#writer.durableSeq >= seq || this.#closed || signal?.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const onAbort = () => {
        this.#dataWaiters = this.#dataWaiters.filter((x) => x !== w);
        resolve();
      };
      const w = {
        seq,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#dataWaiters.push(w);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Durably records that `consumer` processed everything up to `seq`; may free segments. */
  async commit(consumer: string, seq: number): Promise<void> {
    const before = this.checkpoints.min();
    await this.checkpoints.commit(consumer, seq);
    const after = this.checkpoints.min();
    const oldest = this.#sealed[0];
    if (oldest && after !== null && after !== before && oldest.lastSeq <= after) {
      this.#track(this.runRetention());
    }
  }

  /**
   * Registers `consumer` (if new) at position `seq` (default: before everything stored), so
   * retention keeps its records before it ever commits. Returns its position.
   */
  async addConsumer(consumer: string, seq = this.firstSeq - 1): Promise<number> {
    const have = this.checkpoints.get(consumer);
    if (have !== undefined) return have;
    await this.checkpoints.commit(consumer, seq);
    return seq;
  }

  /** Committed position of `consumer` (undefined if none). */
  checkpoint(consumer: string): number | undefined {
    return this.checkpoints.get(consumer);
  }

  /** Forgets a consumer (endpoint removed); its position no longer holds segments. */
  async removeConsumer(consumer: string): Promise<void> {
    await this.checkpoints.remove(consumer);
    this.#track(this.runRetention());
  }

  /** Applies retention now (also runs on a timer, after rolls and after commits). */
  runRetention(): Promise<void> {
    // One run at a time; a request during a run gets one fresh run after it (coalesced).
    if (this.#retaining) {
      return this.#retainAgain ??= this.#retaining.then(() => this.runRetention());
    }
    this.#retainAgain = null;
    this.#retaining = this.#retain().finally(() => (this.#retaining = null));
    return this.#retaining;
  }

  async #retain(): Promise<void> {
    for (let round = 0; round < 2 && !this.#closed; round++) {
      const cfg = this.config;
      const plan = planRetention({
        sealed: this.#sealed,
        active: this.#writer.active,
        now: cfg.clock.now(),
        ttlMs: cfg.timeToLiveSecs < 0 ? -1 : cfg.timeToLiveSecs * 1000,
        minCheckpoint: this.checkpoints.min(),
        maxDiskBytes: cfg.maxDiskBytes,
      });
      for (const d of plan.deletions) {
        const seg = this.#sealed.shift()!; // deletions are always the oldest, in order
        await deleteSegmentFiles(this.dir, seg.baseSeq);
        if (d.reason === "ttl") this.#counters.dropped_ttl += d.unconsumed;
        if (d.reason === "budget") this.#counters.dropped_budget += d.unconsumed;
        const what = `segment ${segmentFileName(seg.baseSeq)} (${seg.records} records)`;
        if (d.unconsumed > 0) {
          cfg.logger.warn(`dropped ${d.unconsumed} records (${d.reason}): deleted ${what}`);
        } else cfg.logger.info(`deleted ${what}: ${d.reason}`);
      }
      if (!plan.rollActive) break;
      await this.#writer.rollNow();
    }
  }

  /** Counters and gauges. */
  stats(): StoreStats {
    const w = this.#writer;
    let bytes = w.active.size, segments = 1;
    for (const s of this.#sealed) {
      bytes += s.size;
      segments++;
    }
    return {
      state: w.state,
      ...this.#counters,
      bytes_on_disk: bytes,
      segments,
      first_seq: this.firstSeq,
      last_seq: w.durableSeq,
      pending_bytes: w.pendingBytes,
      waiting_appends: w.waitingAppends,
      batch_writes: w.writes,
      batch_syncs: w.syncs,
    };
  }

  /** Flushes, syncs and closes; later calls fail with StoreClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#retentionTimer !== null) this.config.clock.clearTimer(this.#retentionTimer);
    await this.#writer.close();
    this.#closed = true;
    await Promise.allSettled([...this.#background]);
    this.#wakeReaders(Infinity);
  }

  #segmentFor(seq: number): SegmentInfo | undefined {
    // First segment whose last seq >= seq (segments ascend; empty ones have lastSeq = base-1).
    const all = this.#sealed;
    let lo = 0, hi = all.length - 1, ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid].lastSeq >= seq) {
        ans = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (ans >= 0) return all[ans];
    const a = this.#writer.active;
    return a.lastSeq >= seq ? a : undefined;
  }

  #wakeReaders(seq: number): void {
    if (this.#dataWaiters.length === 0) return;
    const keep = [];
    for (const w of this.#dataWaiters) w.seq <= seq ? w.resolve() : keep.push(w);
    this.#dataWaiters = keep;
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch((e) => this.config.logger.error(`background store task failed: ${e}`));
    this.#background.add(q);
    q.finally(() => this.#background.delete(q));
  }

  #armRetentionTimer(): void {
    const tick = () => {
      if (this.#closed) return;
      this.#track(this.runRetention());
      this.#retentionTimer = this.config.clock.setTimer(tick, this.config.retentionIntervalMs);
    };
    this.#retentionTimer = this.config.clock.setTimer(tick, this.config.retentionIntervalMs);
  }
}
