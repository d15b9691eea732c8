/**
 * Per-segment summary and sparse index (seq → file position, one entry every N bytes), and
 * the `.idx` file that persists both when a segment is sealed. The index is only a shortcut:
 * a missing or stale `.idx` is rebuilt by scanning the segment.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";

/** Sparse seq → byte-position index of one segment; entries are in increasing order. */
export class SparseIndex {
  readonly seqs: number[] = [];
  readonly positions: number[] = [];
  /** Position of the last entry (or -Infinity when empty). */
  lastPosition = -Infinity;

  /** Adds an entry if `pos` is at least `interval` bytes past the last one (or it is the first). */
  maybeAdd(seq: number, pos: number, interval: number): void {
    if (pos - this.lastPosition >= interval) this.add(seq, pos);
  }

  /** Adds an entry unconditionally (seq and pos must increase). */
  add(seq: number, pos: number): void {
    this.seqs.push(seq);
    this.positions.push(pos);
    this.lastPosition = pos;
  }

  /** Drops entries at or beyond `pos` (after a tail truncation). */
  truncate(pos: number): void {
    while (this.positions.length > 0 && this.positions[this.positions.length - 1] >= pos) {
      this.positions.pop();
      this.seqs.pop();
    }
    this.lastPosition = this.positions.length
      ? this.positions[this.positions.length - 1]
      : -Infinity;
  }

  /** Byte position from which to scan to find `seq`: the last entry with entry.seq <= seq. */
  lookup(seq: number): number {
    let lo = 0, hi = this.seqs.length - 1, ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.seqs[mid] <= seq) {
        ans = this.positions[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  get size(): number {
    return this.seqs.length;
  }
}

/** What the log knows about one segment file. */
export interface SegmentInfo {
  /** From the file name: every record in it has seq >= baseSeq. */
  baseSeq: number;
  /** Seq of the first record, 0 when empty. */
  firstSeq: number;
  /** Seq of the last record, `baseSeq - 1` when empty. */
  lastSeq: number;
  records: number;
  /** Timestamp of the last (newest) record; 0 when empty. */
  lastTimestamp: number;
  /** Bytes of valid records (the file size after recovery). */
  size: number;
  index: SparseIndex;
}

const MAGIC = 0x5844494c; // "LIDX"
const VERSION = 1;
const FIXED = 4 * 2 + 8 * 5 + 4; // magic, version, 5 × u64, entry count
const TWO32 = 0x1_0000_0000;

function putU64(v: DataView, off: number, n: number): void {
  v.setUint32(off, n % TWO32, true);
  v.setUint32(off + 4, Math.floor(n / TWO32), true);
}
function getU64(v: DataView, off: number): number {
  return v.getUint32(off, true) + v.getUint32(off + 4, true) * TWO32;
}

/** Encodes a segment's summary and index as the bytes of its `.idx` file. */
export function encodeIndexFile(s: SegmentInfo): Uint8Array {
  const n = s.index.size;
  const buf = new Uint8Array(FIXED + n * 16 + 4);
  const v = new DataView(buf.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, VERSION, true);
  putU64(v, 8, s.size);
  putU64(v, 16, s.records);
  putU64(v, 24, s.firstSeq);
  putU64(v, 32, s.lastSeq);
  putU64(v, 40, s.lastTimestamp);
  v.setUint32(48, n, true);
  for (let i = 0; i < n; i++) {
    putU64(v, FIXED + i * 16, s.index.seqs[i]);
    putU64(v, FIXED + i * 16 + 8, s.index.positions[i]);
  }
  v.setUint32(buf.length - 4, crc32(buf.subarray(0, buf.length - 4)), true);
  return buf;
}

/**
 * Decodes an `.idx` file for the segment `baseSeq`. Returns a reason string instead of a
 * summary when the file is damaged or from another version (the caller then rescans).
 */
export function decodeIndexFile(bytes: Uint8Array, baseSeq: number): SegmentInfo | string {
  if (bytes.length < FIXED + 4) return "index file too short";
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return "index file: bad magic";
  if (v.getUint32(4, true) !== VERSION) {
    return `index file: unknown version ${v.getUint32(4, true)}`;
  }
  const n = v.getUint32(48, true);
  if (bytes.length !== FIXED + n * 16 + 4) return "index file: entry count does not match size";
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== v.getUint32(bytes.length - 4, true)) {
    return "index file: CRC mismatch";
  }
  const index = new SparseIndex();
  for (let i = 0; i < n; i++) index.add(getU64(v, FIXED + i * 16), getU64(v, FIXED + i * 16 + 8));
  return {
    baseSeq,
    size: getU64(v, 8),
    records: getU64(v, 16),
    firstSeq: getU64(v, 24),
    lastSeq: getU64(v, 32),
    lastTimestamp: getU64(v, 40),
    index,
  };
}
