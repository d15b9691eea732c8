/**
 * Gathers records for one `read()` call from framed bytes (a disk chunk or a tail-cache
 * chunk): skips seqs below the start, skips and counts expired records, stops at the record,
 * byte and visibility limits. Payloads are zero-copy views into the source bytes.
 *
 * @module
 */
import {
  checkRecord,
  describeCheck,
  HEADER_BYTES,
  RecordCheck,
  recordLength,
  recordSeq,
  recordTimestamp,
} from "./record_format.ts";

/** One record as read from the log. */
export interface LogRecord {
  seq: number;
  /** Enqueue time, ms since epoch. */
  timestamp: number;
  /** View into a read buffer; copy it if you keep it long while reading a lot more. */
  payload: Uint8Array;
}

/** Outcome of collecting from one buffer. */
export const Collect = {
  /** Consumed everything offered; more may come from the next buffer. */
  more: 0,
  /** A limit (records, bytes, visible end) was reached. */
  done: 1,
  /** The next record is cut at the end of the buffer: read again from `stopOffset`. */
  partial: 2,
  /** A corrupt record: stop; `corruption` says why. */
  corrupt: 3,
} as const;
export type Collect = typeof Collect[keyof typeof Collect];

/** Accumulates the result of one read across buffers. */
export class ReadCollector {
  readonly records: LogRecord[] = [];
  bytes = 0;
  expired = 0;
  /** Seq the next read should start from. */
  nextSeq: number;
  /** Offset in the last buffer where collection stopped. */
  stopOffset = 0;
  corruption = "";
  /** Seq of the last record seen (valid), for the monotonic check. */
  lastSeen = 0;

  constructor(
    fromSeq: number,
    readonly maxRecords: number,
    readonly maxBytes: number,
    /** Highest seq visible to readers (durable). */
    readonly endSeq: number,
    /** Records with timestamp < this are expired (-Infinity = no TTL). */
    readonly expireBefore: number,
    readonly maxRecordBytes: number,
  ) {
    this.nextSeq = fromSeq;
  }

  get full(): boolean {
    return this.records.length >= this.maxRecords || this.nextSeq > this.endSeq;
  }

  /** Collects records from `buf[off, end)`; see {@link Collect}. */
  take(buf: Uint8Array, view: DataView, off: number, end: number, verifyCrc: boolean): Collect {
    while (off < end) {
      const c = checkRecord(buf, view, off, end, this.maxRecordBytes, 0, verifyCrc);
      if (c === RecordCheck.truncated) {
        this.stopOffset = off;
        return Collect.partial;
      }
      if (c !== RecordCheck.ok) {
        this.stopOffset = off;
        this.corruption = describeCheck(c);
        return Collect.corrupt;
      }
      const seq = recordSeq(view, off);
      const len = recordLength(view, off);
      if (seq <= this.lastSeen) {
        this.stopOffset = off;
        this.corruption = describeCheck(RecordCheck.badSeq);
        return Collect.corrupt;
      }
      this.lastSeen = seq;
      if (seq >= this.nextSeq) {
        if (seq > this.endSeq || this.records.length >= this.maxRecords) {
          this.stopOffset = off;
          return Collect.done;
        }
        const ts = recordTimestamp(view, off);
        if (ts < this.expireBefore) {
          this.expired++;
        } else {
          if (this.records.length > 0 && this.bytes + len > this.maxBytes) {
            this.stopOffset = off;
            return Collect.done;
          }
          const p = off + HEADER_BYTES;
          this.records.push({ seq, timestamp: ts, payload: buf.subarray(p, p + len) });
          this.bytes += len;
        }
        this.nextSeq = seq + 1;
      }
      off += HEADER_BYTES + len;
    }
    this.stopOffset = off;
    return this.full ? Collect.done : Collect.more;
  }
}
