/**
 * The segment files on disk: their names, listing them, recovering one by scanning (and
 * truncating a torn tail), loading or rebuilding its summary/index, and writing small files
 * atomically (write + fsync + rename + fsync of the directory).
 *
 * @module
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { SegmentLogConfig, StoreLogger } from "./config.ts";
import { closeFd, openFd } from "./_fd.ts";
import {
  checkRecord,
  describeCheck,
  HEADER_BYTES,
  RecordCheck,
  recordLength,
  recordSeq,
  recordTimestamp,
} from "./record_format.ts";
import { decodeIndexFile, encodeIndexFile, type SegmentInfo, SparseIndex } from "./sparse_index.ts";

const SEG_RE = /^(\d{20})\.seg$/;

/** File name of the segment whose first possible seq is `baseSeq`. */
export function segmentFileName(baseSeq: number): string {
  return `${String(baseSeq).padStart(20, "0")}.seg`;
}

/** File name of the `.idx` companion of a segment. */
export function indexFileName(baseSeq: number): string {
  return `${String(baseSeq).padStart(20, "0")}.idx`;
}

/** Base seqs of the segment files in `dir`, ascending. Ignores other files. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await fsp.readdir(dir);
  const bases: number[] = [];
  for (const n of names) {
    const m = SEG_RE.exec(n);
    if (m) {
      const b = Number(m[1]);
      if (Number.isSafeInteger(b) && b > 0) bases.push(b);
    }
  }
  return bases.sort((a, b) => a - b);
}

/** Fsyncs a directory so a create/rename/unlink in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `bytes` to `file` atomically: temp file, fsync, rename over, fsync the directory. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const h = await fsp.open(tmp, "w");
  try {
    await h.writeFile(bytes);
    await h.datasync();
  } finally {
    await h.close();
  }
  await fsp.rename(tmp, file);
  await syncDir(path.dirname(file));
}

/**
 * Scans a segment from the start, verifying every record, and builds its summary and index.
 * The first invalid record ends the valid part: the file is truncated there (a torn tail from
 * a crash) and a warning is logged. Never returns data past a bad record.
 */
export async function scanSegment(
  dir: string,
  baseSeq: number,
  prevSeq: number,
  cfg: SegmentLogConfig,
  logger: StoreLogger,
): Promise<SegmentInfo> {
  const file = path.join(dir, segmentFileName(baseSeq));
  const h = await fsp.open(file, "r+");
  try {
    const fileSize = (await h.stat()).size;
    const info: SegmentInfo = {
      baseSeq,
      firstSeq: 0,
      lastSeq: baseSeq - 1,
      records: 0,
      lastTimestamp: 0,
      size: 0,
      index: new SparseIndex(),
    };
    let last = Math.max(prevSeq, baseSeq - 1);
    let buf = new Uint8Array(Math.max(cfg.readChunkBytes, cfg.maxRecordBytes + HEADER_BYTES));
    let view = new DataView(buf.buffer);
    let filePos = 0; // file offset of buf[0]
    let bad: RecordCheck = RecordCheck.ok;
    while (filePos < fileSize) {
      const want = Math.min(buf.length, fileSize - filePos);
      const { bytesRead } = await h.read(buf, 0, want, filePos);
      let off = 0;
      while (off < bytesRead) {
        const c = checkRecord(buf, view, off, bytesRead, cfg.maxRecordBytes, last);
        if (c === RecordCheck.truncated && filePos + bytesRead < fileSize) break; // read more
        if (c !== RecordCheck.ok) {
          bad = c;
          break;
        }
        const seq = recordSeq(view, off);
        info.index.maybeAdd(seq, filePos + off, cfg.indexIntervalBytes);
        if (info.records === 0) info.firstSeq = seq;
        info.records++;
        info.lastSeq = last = seq;
        info.lastTimestamp = recordTimestamp(view, off);
        off += HEADER_BYTES + recordLength(view, off);
      }
      filePos += off;
      if (bad !== RecordCheck.ok) break;
      if (off === 0) {
        // A record longer than the buffer can only be bad (buffer >= max record); grow anyway.
        buf = new Uint8Array(buf.length * 2);
        view = new DataView(buf.buffer);
      }
    }
    info.size = filePos;
    if (filePos < fileSize) {
      logger.warn(
        `recovery: truncating ${segmentFileName(baseSeq)} at byte ${filePos} ` +
          `(${describeCheck(bad)}), discarding ${fileSize - filePos} bytes`,
      );
      await h.truncate(filePos);
      await h.datasync();
    }
    return info;
  } finally {
    await h.close();
  }
}

/**
 * Summary of a sealed segment: from its `.idx` file when that matches the segment's size,
 * else by scanning it (which also truncates a damaged tail) and rewriting the `.idx`.
 */
export async function loadSealedSegment(
  dir: string,
  baseSeq: number,
  prevSeq: number,
  cfg: SegmentLogConfig,
  logger: StoreLogger,
): Promise<SegmentInfo> {
  const segFile = path.join(dir, segmentFileName(baseSeq));
  const idxFile = path.join(dir, indexFileName(baseSeq));
  let reason = "no index file";
  try {
    const [bytes, st] = await Promise.all([fsp.readFile(idxFile), fsp.stat(segFile)]);
    const info = decodeIndexFile(bytes, baseSeq);
    if (typeof info === "string") reason = info;
    else if (info.size !== st.size) reason = `index says ${info.size} bytes, file has ${st.size}`;
    else if (info.records > 0 && info.firstSeq <= prevSeq) reason = "index seqs overlap previous";
    else return info;
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") reason = `index unreadable: ${e}`;
  }
  logger.info(`recovery: rebuilding index of ${segmentFileName(baseSeq)} (${reason})`);
  const info = await scanSegment(dir, baseSeq, prevSeq, cfg, logger);
  await writeIndexFile(dir, info, logger);
  return info;
}

/** Persists a sealed segment's `.idx`; failures are logged, not thrown (it is rebuildable). */
export async function writeIndexFile(
  dir: string,
  info: SegmentInfo,
  logger: StoreLogger,
): Promise<void> {
  try {
    await writeFileAtomic(path.join(dir, indexFileName(info.baseSeq)), encodeIndexFile(info));
  } catch (e) {
    logger.warn(`could not write index of ${segmentFileName(info.baseSeq)}: ${e}`);
    await fsp.rm(path.join(dir, indexFileName(info.baseSeq)) + ".tmp", { force: true })
      .catch(() => {});
  }
}

/** Creates (or empties) the segment file for `baseSeq`, makes its name durable, returns an fd. */
export async function createSegmentFile(dir: string, baseSeq: number): Promise<number> {
  const file = path.join(dir, segmentFileName(baseSeq));
  const fd = await openFd(file, "w");
  try {
    await syncDir(dir);
  } catch (e) {
    await closeFd(fd);
    await fsp.rm(file, { force: true }).catch(() => {});
    throw e;
  }
  return fd;
}

/** Deletes a segment and its index (missing files are fine). */
export async function deleteSegmentFiles(dir: string, baseSeq: number): Promise<void> {
  await fsp.rm(path.join(dir, indexFileName(baseSeq)), { force: true });
  await fsp.rm(path.join(dir, segmentFileName(baseSeq)), { force: true });
}
