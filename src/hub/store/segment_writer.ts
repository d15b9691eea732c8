/**
 * The write side of the segment log: group commit into the active segment.
 *
 * Invariants:
 * - Records are framed straight into a preallocated batch buffer (two are kept: one filling,
 *   one being written). A batch goes out in ONE positioned `write()` (two when it straddles a
 *   segment roll) and, under `always`, one `fdatasync`; all appends of a batch share one
 *   promise (a {@link Ticket}).
 * - Only one flush runs at a time (`#run`); appends that arrive meanwhile fill the next batch,
 *   so batches grow with load. When both buffers are full, `append()` waits in a FIFO queue
 *   (back-pressure) instead of allocating more.
 * - Segment info (size, last seq, index) changes only after a successful write; a failed write
 *   is truncated away, so the file never keeps a half batch the log thinks is valid.
 * - ENOSPC puts the writer in the `full` state ({@link FullDiskMonitor}): pending appends are
 *   rejected with {@link StoreFullError}, new ones fail fast until a probe finds space.
 *
 * @module
 */
import type { SegmentLogConfig } from "./config.ts";
import {
  isNoSpaceError,
  RecordTooLargeError,
  StoreClosedError,
  StoreFullError,
  StoreIOError,
} from "./errors.ts";
import { frameRecord, HEADER_BYTES, recordLength, recordSeq } from "./record_format.ts";
import type { SegmentInfo } from "./sparse_index.ts";
import { ActiveSegment } from "./active_segment.ts";
import { AppendQueue, Batch, RESOLVED } from "./_batch.ts";
import { DurabilityTracker } from "./durability_tracker.ts";
import { FullDiskMonitor, probeSpace } from "./full_disk_monitor.ts";

/** What the writer tells the log about. */
export interface WriterEvents {
  /** A batch was written (not necessarily synced): records `first..last` framed in `bytes`. */
  written(bytes: Uint8Array, firstSeq: number, lastSeq: number): void;
  /** Records up to `seq` are durable under the policy (visible to readers). */
  durable(seq: number): void;
  /** Written records above `seq` were discarded after a failed sync. */
  rolledBack(seq: number): void;
  /** The active segment was sealed (synced, closed); a new one became active. */
  sealed(info: SegmentInfo): void;
}

/** Writer state. */
export type WriterState = "open" | "full" | "closed";

/** Group-commit writer over the active segment. */
export class SegmentWriter {
  /** Positioned write() calls made for batches (a batch split at a segment roll makes two). */
  writes = 0;
  /** fdatasync calls made for batches (not counting rolls and probes). */
  syncs = 0;
  nextSeq: number;
  readonly durability: DurabilityTracker;
  #closed = false;
  #lastTs: number;
  #seg: ActiveSegment;
  #fill: Batch;
  #spare: Batch | null;
  #inflight: Batch | null = null;
  #waiters = new AppendQueue();
  #running = false;
  #scheduled = false;
  #syncRequested = false;
  #syncTimer: unknown = null;
  #lastSyncAt = 0;
  #idle: Array<() => void> = [];
  readonly #capacity: number;
  readonly #full: FullDiskMonitor;

  constructor(
    readonly dir: string,
    readonly cfg: SegmentLogConfig,
    active: SegmentInfo,
    fd: number,
    nextSeq: number,
    lastTimestamp: number,
    readonly events: WriterEvents,
  ) {
    this.#seg = new ActiveSegment(dir, cfg, active, fd);
    this.nextSeq = nextSeq;
    this.durability = new DurabilityTracker(nextSeq - 1);
    this.#lastTs = lastTimestamp;
    this.#capacity = Math.max(cfg.maxBatchBytes, cfg.maxRecordBytes + HEADER_BYTES);
    this.#fill = new Batch(this.#capacity);
    this.#spare = new Batch(this.#capacity);
    this.#full = new FullDiskMonitor(
      cfg.clock,
      cfg.logger,
      cfg.fullProbeIntervalMs,
      () => probeSpace(dir, this.#fill.buf), // content is irrelevant, only its size
      () => {},
    );
  }

  /** Summary of the segment being written. */
  get active(): SegmentInfo {
    return this.#seg.info;
  }

  get state(): WriterState {
    return this.#closed ? "closed" : this.#full.isFull ? "full" : "open";
  }

  /** Highest seq durable under the policy. */
  get durableSeq(): number {
    return this.durability.durableSeq;
  }

  /** Bytes framed but not yet written (both buffers). */
  get pendingBytes(): number {
    return this.#fill.len + (this.#inflight?.len ?? 0);
  }

  /** Appends waiting for buffer room (back-pressure). */
  get waitingAppends(): number {
    return this.#waiters.size;
  }

  /**
   * Frames `payload` into the current batch and returns its seq, or -1 when there is no room
   * (call {@link append} then). Throws {@link StoreFullError} while full. Call
   * {@link durable} with the seq before yielding to the event loop.
   */
  offer(payload: Uint8Array): number {
    if (this.#closed) throw new StoreClosedError();
    if (payload.length > this.cfg.maxRecordBytes) {
      throw new RecordTooLargeError(payload.length, this.cfg.maxRecordBytes);
    }
    if (this.#full.isFull) {
      this.#full.poke();
      throw new StoreFullError("store is full: disk out of space, failing fast", "FULL_STATE");
    }
    if (this.#waiters.size > 0 || !this.#fill.fits(payload.length)) return -1;
    return this.#frame(payload);
  }

  /** Appends `payload`; resolves with its seq once durable under the policy. */
  append(payload: Uint8Array): Promise<number> {
    try {
      const seq = this.offer(payload);
      if (seq >= 0) return this.#fill.ticket().promise.then(() => seq);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) =>
      this.#waiters.push({ payload, seq: 0, resolve, reject })
    );
  }

  /** Promise shared by every record of the batch holding `seq`; resolves when it is durable. */
  durable(seq: number): Promise<void> {
    const failed = this.durability.failure(seq);
    if (failed) return Promise.reject(failed);
    if (seq <= this.durability.durableSeq) return RESOLVED;
    const fill = this.#fill;
    if (fill.count > 0 && seq >= fill.firstSeq) return fill.ticket().promise;
    if (seq <= this.durability.writtenSeq) return this.durability.waitSynced(seq);
    const inf = this.#inflight; // being written
    if (inf && seq >= inf.firstSeq) return inf.ticket().promise;
    return RESOLVED; // unknown seq (never offered): nothing to wait for
  }

  /** Resolves when the writer is (again) accepting appends. */
  whenWritable(): Promise<void> {
    return this.#full.whenWritable();
  }

  /** Flushes and syncs everything pending (whatever the policy). */
  async flush(): Promise<void> {
    this.#kick();
    await this.#whenIdle();
    if (this.durability.syncPending && !this.#closed) {
      this.#syncRequested = true;
      this.#kick();
      await this.#whenIdle();
    }
  }

  /** Flushes, syncs, closes the segment fd; waiting appends get {@link StoreClosedError}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.#full.isFull) await this.flush();
    this.#closed = true;
    this.#full.stop();
    if (this.#syncTimer !== null) this.cfg.clock.clearTimer(this.#syncTimer);
    await this.#whenIdle();
    const closed = new StoreClosedError();
    this.#waiters.rejectAll(closed);
    this.#rejectFill(closed); // appended during the final flush: never written
    try {
      await this.#seg.close();
      if (this.durability.syncPending) this.#markDurable(this.durability.writtenSeq);
    } catch (e) {
      this.durability.rejectPending(new StoreIOError(`fdatasync on close failed: ${e}`));
    }
  }

  /** Seals the active segment now if it has records (used by retention for expired tails). */
  async rollNow(): Promise<void> {
    if (this.state !== "open" || this.active.records === 0) return;
    await this.#whenIdle();
    this.#running = true;
    try {
      await this.#roll(this.nextSeq);
    } catch (e) {
      this.cfg.logger.warn(`segment roll failed: ${e}`);
    } finally {
      this.#running = false;
      this.#afterRun();
    }
  }

  #frame(payload: Uint8Array): number {
    const seq = this.nextSeq++;
    const now = this.cfg.clock.now();
    const ts = now > this.#lastTs ? (this.#lastTs = now) : this.#lastTs;
    const b = this.#fill;
    if (b.count++ === 0) b.firstSeq = seq;
    b.lastSeq = seq;
    b.len = frameRecord(b.buf, b.view, b.len, seq, ts, payload);
    if (!this.#running && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#kick);
    }
    return seq;
  }

  #kick = (): void => {
    this.#scheduled = false;
    if (!this.#running) void this.#run();
  };

  #whenIdle(): Promise<void> {
    if (!this.#running && !this.#scheduled) return RESOLVED;
    return new Promise((res) => this.#idle.push(res));
  }

  #afterRun(): void {
    if ((this.#fill.count > 0 && !this.#closed) || this.#syncDue()) return this.#kick();
    for (const r of this.#idle.splice(0)) r();
  }

  #syncDue(): boolean {
    return this.durability.syncPending && !this.#closed &&
      (this.#syncRequested || this.cfg.fsync === "always");
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closed) {
        if (this.#fill.count > 0) {
          const b = this.#fill;
          this.#fill = this.#spare ?? new Batch(this.#capacity);
          this.#spare = null;
          this.#inflight = b;
          this.#drainWaiters();
          await this.#writeBatch(b);
          this.#inflight = null;
          b.reset();
          this.#spare = b;
        } else if (this.#syncDue()) {
          await this.#syncNow();
        } else break;
      }
    } finally {
      this.#running = false;
    }
    this.#afterRun();
  }

  #drainWaiters(): void {
    for (let w = this.#waiters.peek(); w && !this.#full.isFull; w = this.#waiters.peek()) {
      if (!this.#fill.fits(w.payload.length)) break;
      this.#waiters.shift();
      this.#fill.ticket().attach(w, this.#frame(w.payload));
    }
  }

  async #writeBatch(b: Batch): Promise<void> {
    // Split the batch at the record boundary where the active segment reaches segmentBytes.
    const seg = this.#seg;
    let off = 0;
    while (off < b.len) {
      let end = off;
      try {
        if (seg.needsRoll(HEADER_BYTES + recordLength(b.view, off))) {
          await this.#roll(recordSeq(b.view, off));
        }
        const room = seg.room;
        do end += HEADER_BYTES + recordLength(b.view, end); while (
          end < b.len && end + HEADER_BYTES + recordLength(b.view, end) - off <= room
        );
        this.writes++;
        const last = await seg.write(b.buf, b.view, off, end, this.#lastTs);
        this.durability.writtenSeq = last;
        this.events.written(b.buf.subarray(off, end), recordSeq(b.view, off), last);
      } catch (e) {
        this.#failBatch(b, off, e);
        return;
      }
      off = end;
    }
    if (b.ticketOrNull) this.durability.add(b.takeTicket(b.lastSeq));
    if (this.cfg.fsync === "never") return this.#markDurable(this.durability.writtenSeq);
    if (this.cfg.fsync === "always") return await this.#syncNow();
    const wait = this.#lastSyncAt + this.cfg.syncIntervalMs - this.cfg.clock.now();
    if (wait <= 0) return await this.#syncNow();
    if (this.#syncTimer === null) {
      this.#syncTimer = this.cfg.clock.setTimer(() => {
        this.#syncTimer = null;
        this.#syncRequested = true;
        this.#kick();
      }, wait);
    }
  }

  async #syncNow(): Promise<void> {
    this.#syncRequested = false;
    if (!this.durability.syncPending) return;
    const upTo = this.durability.writtenSeq;
    try {
      this.syncs++;
      await this.#seg.sync();
    } catch (e) {
      await this.#rollbackUnsynced(e);
      return;
    }
    this.#lastSyncAt = this.cfg.clock.now();
    this.#markDurable(upTo);
  }

  #markDurable(upTo: number): void {
    this.durability.markDurable(upTo);
    this.events.durable(upTo);
  }

  /** After a failed fsync the page cache may never reach disk: drop all unsynced records. */
  async #rollbackUnsynced(e: unknown): Promise<void> {
    this.cfg.logger.error(`fdatasync failed, discarding unsynced records: ${e}`);
    const err = toStoreError(e, "sync");
    const d = this.durability;
    const kept = await this.#seg.rollbackToSynced();
    d.markFailed(kept + 1, d.writtenSeq, err);
    d.writtenSeq = d.durableSeq;
    d.rejectPending(err);
    this.events.rolledBack(d.durableSeq);
    if (isNoSpaceError(e)) this.#enterFull();
  }

  /** Rejects batch `b`, whose records from byte `off` on were not written. */
  #failBatch(b: Batch, off: number, e: unknown): void {
    const err = toStoreError(e, `append of ${b.count} records`);
    this.cfg.logger.error(err.message);
    // Records before `off` were written (in a now sealed segment); they stay but are unacked.
    this.durability.markFailed(recordSeq(b.view, off), b.lastSeq, err);
    b.ticketOrNull?.reject(err);
    if (isNoSpaceError(e)) this.#enterFull();
  }

  #rejectFill(err: Error): void {
    const f = this.#fill;
    if (f.count === 0) return;
    this.durability.markFailed(f.firstSeq, f.lastSeq, err);
    f.ticketOrNull?.reject(err);
    f.reset();
  }

  #enterFull(): void {
    if (this.#full.isFull || this.#closed) return;
    this.#full.enter();
    // Everything not yet written is rejected now: fail fast rather than queue.
    const err = new StoreFullError("store is full: disk out of space", "FULL_STATE");
    this.#rejectFill(err);
    this.#waiters.rejectAll(err);
  }

  async #roll(newBase: number): Promise<void> {
    const sealed = await this.#seg.roll(newBase);
    if (this.durability.syncPending) this.#markDurable(this.durability.writtenSeq);
    this.events.sealed(sealed);
  }
}

/** Maps an errno error to StoreFullError (ENOSPC, EDQUOT) or StoreIOError. */
function toStoreError(e: unknown, what: string): Error {
  const code = String((e as { code?: string }).code ?? "EIO");
  return isNoSpaceError(e)
    ? new StoreFullError(`disk full: ${what} not stored (${code})`, code, { cause: e })
    : new StoreIOError(`${what} failed: ${e}`, { cause: e });
}
