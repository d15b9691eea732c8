/**
 * Pure retention planning: given the segments, the clock, the TTL, the lowest consumer
 * checkpoint and the disk budget, decide which sealed segments to delete and why. I/O-free;
 * the log carries out the plan.
 *
 * Rules, oldest segment first:
 * - `consumed`: every record is at or below the minimum checkpoint of all consumers (only when
 *   at least one consumer is registered), or the segment is empty.
 * - `ttl`: its newest record is expired (timestamps never decrease, so all of it is).
 * - `budget`: segment files together exceed `maxDiskBytes`; the oldest go first.
 * The active segment is never deleted; when it is wholly expired (or alone over budget) the
 * plan asks to roll it so it can be deleted next time.
 *
 * @module
 */

/** The fields of a segment retention looks at. */
export interface RetentionSegment {
  baseSeq: number;
  firstSeq: number;
  lastSeq: number;
  records: number;
  lastTimestamp: number;
  size: number;
}

/** Inputs of {@link planRetention}. */
export interface RetentionInput {
  /** Sealed segments, ascending. */
  sealed: readonly RetentionSegment[];
  active: RetentionSegment;
  now: number;
  /** Time-to-live in ms; < 0 = records never expire. */
  ttlMs: number;
  /** Lowest committed seq over all consumers; null when there are no consumers. */
  minCheckpoint: number | null;
  /** 0 = no budget. */
  maxDiskBytes: number;
}

/** Why a segment is deleted. */
export type DeleteReason = "consumed" | "ttl" | "budget";

/** One deletion of a plan; `unconsumed` counts records no consumer had committed yet. */
export interface SegmentDeletion {
  baseSeq: number;
  reason: DeleteReason;
  unconsumed: number;
}

/** What retention should do now. */
export interface RetentionPlan {
  deletions: SegmentDeletion[];
  rollActive: boolean;
}

/** Records of `s` above the checkpoint (all of them when there are no consumers). */
export function unconsumedRecords(s: RetentionSegment, minCheckpoint: number | null): number {
  if (s.records === 0) return 0;
  if (minCheckpoint === null || s.firstSeq > minCheckpoint) return s.records;
  if (s.lastSeq <= minCheckpoint) return 0;
  return Math.min(s.records, s.lastSeq - minCheckpoint);
}

function expired(s: RetentionSegment, input: RetentionInput): boolean {
  return input.ttlMs >= 0 && s.records > 0 && s.lastTimestamp + input.ttlMs <= input.now;
}

/** Plans deletions; see the module doc for the rules. */
export function planRetention(input: RetentionInput): RetentionPlan {
  const { sealed, active, minCheckpoint } = input;
  const deletions: SegmentDeletion[] = [];
  let i = 0;
  for (; i < sealed.length; i++) {
    const s = sealed[i];
    const consumed = s.records === 0 || (minCheckpoint !== null && s.lastSeq <= minCheckpoint);
    if (consumed) deletions.push({ baseSeq: s.baseSeq, reason: "consumed", unconsumed: 0 });
    else if (expired(s, input)) {
      deletions.push({
        baseSeq: s.baseSeq,
        reason: "ttl",
        unconsumed: unconsumedRecords(s, minCheckpoint),
      });
    } else break;
  }
  let rollActive = expired(active, input);
  if (input.maxDiskBytes > 0) {
    let total = active.size;
    for (let j = i; j < sealed.length; j++) total += sealed[j].size;
    for (; i < sealed.length && total > input.maxDiskBytes; i++) {
      const s = sealed[i];
      deletions.push({
        baseSeq: s.baseSeq,
        reason: "budget",
        unconsumed: unconsumedRecords(s, minCheckpoint),
      });
      total -= s.size;
    }
    if (total > input.maxDiskBytes && active.records > 0) rollActive = true;
  }
  return { deletions, rollActive };
}
