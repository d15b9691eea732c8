/**
 * Opening a log directory after a clean shutdown or a crash: load each sealed segment's
 * summary (from its `.idx`, or by scanning), scan the last segment and truncate a torn tail,
 * and work out the next sequence number. Creates the first segment of a new log.
 *
 * @module
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { SegmentLogConfig } from "./config.ts";
import { openFd } from "./_fd.ts";
import {
  listSegments,
  loadSealedSegment,
  scanSegment,
  segmentFileName,
  syncDir,
} from "./segment_files.ts";
import type { SegmentInfo } from "./sparse_index.ts";

/** What recovery found: sealed segments, the active one (open for writing) and the next seq. */
export interface RecoveredLog {
  sealed: SegmentInfo[];
  active: SegmentInfo;
  /** fd of the active segment, opened read-write. */
  fd: number;
  nextSeq: number;
}

/** Recovers the segments in `dir` (see the module doc). */
export async function recoverSegments(dir: string, cfg: SegmentLogConfig): Promise<RecoveredLog> {
  const bases = await listSegments(dir);
  const sealed: SegmentInfo[] = [];
  let prev = 0;
  for (let i = 0; i < bases.length - 1; i++) {
    const info = await loadSealedSegment(dir, bases[i], prev, cfg, cfg.logger);
    sealed.push(info);
    prev = Math.max(prev, info.lastSeq);
  }
  let activeBase = bases.at(-1) ?? cfg.firstSeq;
  if (bases.length === 0) {
    await fsp.writeFile(path.join(dir, segmentFileName(activeBase)), new Uint8Array(0));
    await syncDir(dir);
  }
  let active = await scanSegment(dir, activeBase, prev, cfg, cfg.logger);
  if (active.records === 0 && activeBase <= prev) {
    // An empty last segment whose name overlaps the previous one: replace it.
    await fsp.rm(path.join(dir, segmentFileName(activeBase)));
    activeBase = prev + 1;
    await fsp.writeFile(path.join(dir, segmentFileName(activeBase)), new Uint8Array(0));
    await syncDir(dir);
    active = await scanSegment(dir, activeBase, prev, cfg, cfg.logger);
  }
  const nextSeq = Math.max(active.lastSeq + 1, active.baseSeq, prev + 1);
  const fd = await openFd(path.join(dir, segmentFileName(activeBase)), "r+");
  return { sealed, active, fd, nextSeq };
}
