/**
 * On-disk framing of one log record, and the pure functions that write and check it.
 *
 * Layout (little-endian), 24-byte header then payload:
 * ```
 *  0  u32  crc32 of bytes [4, 24 + length)   (covers length, seq, timestamp, payload)
 *  4  u32  length of payload in bytes
 *  8  u64  sequence number (strictly increasing across the log, <= 2^53 - 1)
 * 16  u64  timestamp, ms since epoch (enqueue time, used for TTL; non-decreasing)
 * 24  ...  payload
 * ```
 * A segment file is just records back to back; a record is valid only if it fits the file,
 * its length is within the limit, its CRC matches and its seq is above the previous one.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";

/** Bytes of the record header. */
export const HEADER_BYTES = 24;
const TWO32 = 0x1_0000_0000;

/** Writes a framed record at `off` in `buf`; returns the offset after it. Caller checks room. */
export function frameRecord(
  buf: Uint8Array,
  view: DataView,
  off: number,
  seq: number,
  timestamp: number,
  payload: Uint8Array,
): number {
  const len = payload.length;
  view.setUint32(off + 4, len, true);
  view.setUint32(off + 8, seq % TWO32, true);
  view.setUint32(off + 12, Math.floor(seq / TWO32), true);
  view.setUint32(off + 16, timestamp % TWO32, true);
  view.setUint32(off + 20, Math.floor(timestamp / TWO32), true);
  buf.set(payload, off + HEADER_BYTES);
  const end = off + HEADER_BYTES + len;
  view.setUint32(off, crc32(buf.subarray(off + 4, end)), true);
  return end;
}

/** Outcome of {@link checkRecord}. */
export const RecordCheck = {
  ok: 0,
  /** Fewer bytes left than a header, or the payload runs past the end: torn write. */
  truncated: 1,
  /** Length field above the limit. */
  badLength: 2,
  /** CRC mismatch. */
  badCrc: 3,
  /** Sequence number not above the previous record's. */
  badSeq: 4,
} as const;
export type RecordCheck = typeof RecordCheck[keyof typeof RecordCheck];

/** Human-readable reason for a failed {@link RecordCheck}. */
export function describeCheck(c: RecordCheck): string {
  return ["ok", "truncated record", "bad length", "CRC mismatch", "non-increasing seq"][c];
}

/** Reads the payload length of the record at `off` (header must be in range). */
export function recordLength(view: DataView, off: number): number {
  return view.getUint32(off + 4, true);
}

/** Reads the sequence number of the record at `off`. */
export function recordSeq(view: DataView, off: number): number {
  return view.getUint32(off + 8, true) + view.getUint32(off + 12, true) * TWO32;
}

/** Reads the timestamp of the record at `off`. */
export function recordTimestamp(view: DataView, off: number): number {
  return view.getUint32(off + 16, true) + view.getUint32(off + 20, true) * TWO32;
}

/**
 * Checks the record at `off` within `buf[0, end)`: framing, CRC and seq > `prevSeq`.
 * `verifyCrc=false` skips the CRC (for records already verified, e.g. the in-memory tail).
 */
export function checkRecord(
  buf: Uint8Array,
  view: DataView,
  off: number,
  end: number,
  maxRecordBytes: number,
  prevSeq: number,
  verifyCrc = true,
): RecordCheck {
  if (end - off < HEADER_BYTES) return RecordCheck.truncated;
  const len = view.getUint32(off + 4, true);
  if (len > maxRecordBytes) return RecordCheck.badLength;
  const recEnd = off + HEADER_BYTES + len;
  if (recEnd > end) return RecordCheck.truncated;
  if (verifyCrc && crc32(buf.subarray(off + 4, recEnd)) !== view.getUint32(off, true)) {
    return RecordCheck.badCrc;
  }
  if (recordSeq(view, off) <= prevSeq) return RecordCheck.badSeq;
  return RecordCheck.ok;
}
