/**
 * The segment currently written to: its fd, its summary (size, records, last seq, sparse
 * index) and the summary as of the last successful sync. Writes extend the file at its end and
 * update the summary only after they succeed; a failed write is truncated away; a failed sync
 * rolls the file back to the last synced state; rolling seals it and starts the next one.
 *
 * @module
 */
import type { SegmentLogConfig } from "./config.ts";
import { closeFd, fdatasync, ftruncate, writeAll } from "./_fd.ts";
import { HEADER_BYTES, recordLength, recordSeq } from "./record_format.ts";
import { createSegmentFile } from "./segment_files.ts";
import { type SegmentInfo, SparseIndex } from "./sparse_index.ts";

/** A fresh, empty segment summary. */
export function emptySegment(baseSeq: number): SegmentInfo {
  return {
    baseSeq,
    firstSeq: 0,
    lastSeq: baseSeq - 1,
    records: 0,
    lastTimestamp: 0,
    size: 0,
    index: new SparseIndex(),
  };
}

/** The active segment file and its summary. */
export class ActiveSegment {
  info: SegmentInfo;
  #fd: number;
  #synced: SegmentInfo;

  constructor(readonly dir: string, readonly cfg: SegmentLogConfig, info: SegmentInfo, fd: number) {
    this.info = info;
    this.#fd = fd;
    this.#synced = { ...info };
  }

  /** Whether a record of `bytes` (framed) must go to a new segment. */
  needsRoll(bytes: number): boolean {
    return this.info.records > 0 && this.info.size + bytes > this.cfg.segmentBytes;
  }

  /** Bytes left before the segment reaches `segmentBytes`. */
  get room(): number {
    return this.cfg.segmentBytes - this.info.size;
  }

  /**
   * Appends the framed records `buf[from, to)` (timestamps up to `lastTs`); returns the seq of
   * the last one. On failure the file is cut back to its previous size and the error rethrown.
   */
  async write(buf: Uint8Array, view: DataView, from: number, to: number, lastTs: number) {
    const a = this.info;
    try {
      await writeAll(this.#fd, buf.subarray(from), to - from, a.size);
    } catch (e) {
      await ftruncate(this.#fd, a.size).catch(() => {});
      throw e;
    }
    const base = a.size - from;
    let off = from, seq = 0, n = 0;
    while (off < to) {
      seq = recordSeq(view, off);
      if (a.records + n === 0) a.firstSeq = seq;
      a.index.maybeAdd(seq, base + off, this.cfg.indexIntervalBytes);
      off += HEADER_BYTES + recordLength(view, off);
      n++;
    }
    a.records += n;
    a.lastSeq = seq;
    a.lastTimestamp = lastTs;
    a.size += to - from;
    return seq;
  }

  /** `fdatasync`; on success the current state becomes the rollback target. */
  async sync(): Promise<void> {
    const snap = { ...this.info };
    await fdatasync(this.#fd);
    this.#synced = snap;
  }

  /** Cuts the file back to the last synced state; returns the last seq that remains. */
  async rollbackToSynced(): Promise<number> {
    const s = this.#synced;
    await ftruncate(this.#fd, s.size).catch(() => {});
    Object.assign(this.info, s);
    this.info.index.truncate(s.size);
    return s.lastSeq;
  }

  /**
   * Syncs and closes this segment and continues in a new one named `newBase`; returns the
   * sealed summary. The new file is created first: if that fails, nothing changed.
   */
  async roll(newBase: number): Promise<SegmentInfo> {
    const fd = await createSegmentFile(this.dir, newBase);
    try {
      await fdatasync(this.#fd);
    } catch (e) {
      await closeFd(fd);
      throw e;
    }
    await closeFd(this.#fd);
    const sealed = this.info;
    this.#fd = fd;
    this.info = emptySegment(newBase);
    this.#synced = { ...this.info };
    return sealed;
  }

  /** Syncs (throwing on failure) and closes the fd. */
  async close(): Promise<void> {
    try {
      await this.sync();
    } finally {
      await closeFd(this.#fd);
    }
  }
}
