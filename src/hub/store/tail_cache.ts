/**
 * A bounded in-memory copy of the most recently written batches, so consumers that keep up
 * with the producers are served without touching the disk. It is one preallocated ring
 * buffer of `limitBytes` (allocated on first use): batches are copied in back to back, the
 * oldest are overwritten, and nothing is allocated per batch. Records handed to readers are
 * copied out (one allocation per read, not per record), since the ring is reused.
 *
 * @module
 */
import type { Collect, ReadCollector } from "./read_collector.ts";

interface CacheChunk {
  firstSeq: number;
  lastSeq: number;
  start: number;
  len: number;
}

/** Recent framed batches in a fixed-size ring. */
export class TailCache {
  #ring: Uint8Array | null = null;
  #view: DataView | null = null;
  #chunks: CacheChunk[] = [];
  #head = 0;
  #writePos = 0;
  #bytes = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes of records currently held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Lowest seq that can be served from memory (Infinity when empty). */
  get firstSeq(): number {
    return this.#head < this.#chunks.length ? this.#chunks[this.#head].firstSeq : Infinity;
  }

  /** Copies `framed` (records `firstSeq..lastSeq`) in, overwriting the oldest batches. */
  add(framed: Uint8Array, firstSeq: number, lastSeq: number): void {
    const len = framed.length;
    if (len > this.limitBytes) return this.clear();
    const last = this.#head < this.#chunks.length ? this.#chunks[this.#chunks.length - 1] : null;
    if (last && last.lastSeq >= firstSeq) this.clear(); // not increasing: start over
    if (!this.#ring) {
      this.#ring = new Uint8Array(this.limitBytes);
      this.#view = new DataView(this.#ring.buffer);
    }
    if (this.#writePos + len > this.limitBytes) {
      // Wrap: the oldest chunks sit between the write position and the end; drop them first.
      while (this.#head < this.#chunks.length && this.#chunks[this.#head].start >= this.#writePos) {
        this.#bytes -= this.#chunks[this.#head++].len;
      }
      this.#writePos = 0;
    }
    const from = this.#writePos, to = from + len;
    while (this.#head < this.#chunks.length) { // evict what the new batch overwrites
      const c = this.#chunks[this.#head];
      if (c.start >= to || c.start + c.len <= from) break;
      this.#bytes -= c.len;
      this.#head++;
    }
    this.#ring.set(framed, from);
    this.#chunks.push({ firstSeq, lastSeq, start: from, len });
    this.#bytes += len;
    this.#writePos = to;
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops everything (e.g. after a write failure); keeps the ring allocated. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#writePos = 0;
    this.#bytes = 0;
  }

  /**
   * Feeds records from `collector.nextSeq` on into the collector. Returns null when that seq
   * is below the cache (read from disk instead), else the collector's last outcome.
   */
  collect(collector: ReadCollector): Collect | null {
    const from = collector.nextSeq;
    if (from < this.firstSeq) return null;
    let lo = this.#head, hi = this.#chunks.length - 1, idx = -1;
    while (lo <= hi) { // first chunk with lastSeq >= from
      const mid = (lo + hi) >> 1;
      if (this.#chunks[mid].lastSeq >= from) {
        idx = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (idx < 0) return 1; // Collect.done: nothing at or after `from` yet
    const ring = this.#ring!, view = this.#view!;
    let r: Collect = 0;
    for (let i = idx; i < this.#chunks.length; i++) {
      const c = this.#chunks[i];
      const before = collector.records.length;
      r = collector.take(ring, view, c.start, c.start + c.len, false);
      copyOut(ring, collector.records, before);
      if (r !== 0) break;
    }
    return r;
  }
}

/** Moves payload views `recs[from..]` (into `ring`, one chunk) into one private copy. */
function copyOut(ring: Uint8Array, recs: ReadCollector["records"], from: number): void {
  if (recs.length <= from) return;
  const lo = recs[from].payload.byteOffset;
  const last = recs[recs.length - 1].payload;
  const copy = ring.slice(lo, last.byteOffset + last.length);
  for (let i = from; i < recs.length; i++) {
    const p = recs[i].payload;
    recs[i].payload = copy.subarray(p.byteOffset - lo, p.byteOffset - lo + p.length);
  }
}
