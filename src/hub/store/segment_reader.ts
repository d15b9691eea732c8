/**
 * The disk side of reading: feed records of one segment, from the sparse-index position at or
 * before the wanted seq, into a {@link ReadCollector} with large sequential positioned reads.
 * Each chunk is a fresh buffer, so returned payloads can be zero-copy views into it.
 *
 * @module
 */
import * as path from "node:path";
import type { SegmentLogConfig } from "./config.ts";
import { closeFd, openFd, readAt } from "./_fd.ts";
import { Collect, type ReadCollector } from "./read_collector.ts";
import { HEADER_BYTES, recordLength } from "./record_format.ts";
import { segmentFileName } from "./segment_files.ts";
import type { SegmentInfo } from "./sparse_index.ts";

/**
 * Reads records of `seg` into `c`, starting at `c.nextSeq`. Resolves to the collector's
 * outcome (`more` = segment exhausted), or null when the segment file is gone (deleted by
 * retention meanwhile).
 */
export async function collectFromSegment(
  dir: string,
  cfg: SegmentLogConfig,
  seg: SegmentInfo,
  c: ReadCollector,
): Promise<Collect | null> {
  let fd: number;
  try {
    fd = await openFd(path.join(dir, segmentFileName(seg.baseSeq)), "r");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
  try {
    const avg = seg.records > 0 ? Math.ceil(seg.size / seg.records) : 256;
    const wanted = Math.min(c.maxBytes, c.maxRecords * avg);
    let chunk = Math.min(cfg.readChunkBytes, cfg.indexIntervalBytes + wanted + 4096);
    let pos = seg.index.lookup(c.nextSeq);
    const end = seg.size; // valid bytes (the writer only grows it after successful writes)
    while (pos < end) {
      const buf = new Uint8Array(Math.min(chunk, end - pos));
      const view = new DataView(buf.buffer);
      const n = await readAt(fd, buf, 0, buf.length, pos);
      if (n === 0) return Collect.more; // file shorter than we thought: treat as exhausted
      const r = c.take(buf, view, 0, n, true);
      if (r === Collect.partial) {
        if (n < buf.length || (c.stopOffset === 0 && pos + n >= end)) {
          // End of file, or of the valid bytes, inside a record: the summary was wrong.
          c.corruption = "segment file shorter than its valid size";
          return Collect.corrupt;
        }
        if (c.stopOffset === 0) {
          // One record larger than the chunk: read exactly that record next time.
          chunk = n >= HEADER_BYTES ? HEADER_BYTES + recordLength(view, 0) : HEADER_BYTES;
        }
        pos += c.stopOffset;
        continue;
      }
      if (r !== Collect.more) return r;
      pos += n;
    }
    return Collect.more;
  } finally {
    await closeFd(fd);
  }
}
