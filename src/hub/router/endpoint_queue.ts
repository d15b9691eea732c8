/**
 * One endpoint's durable queue at one priority: a consumer position (checkpoint) over the
 * shared segment log, reading only the records routed to it. Delivery is at-least-once: the
 * checkpoint advances past a record only when it and everything before it was acknowledged,
 * and a new reader (a reconnecting module) starts again from the checkpoint.
 *
 * @module
 */
import { decodeMessage, type SegmentLog } from "../store/mod.ts";
import type { HubMessage } from "../message.ts";
import { decodeRoutedRecord } from "./routed_record.ts";

/** A message taken from a queue, waiting for its acknowledgement. */
export interface QueuedMessage {
  seq: number;
  message: HubMessage;
}

/** How long acknowledgements gather before the checkpoint is written (one fsync per batch). */
const COMMIT_DELAY_MS = 50;
/** Records examined per log read while looking for this endpoint's messages. */
const SCAN_BATCH = 1024;

/** Consumer name of an endpoint at a priority (also its checkpoint file name). */
export function consumerName(endpointKey: string, priority: number): string {
  return `${endpointKey}@${priority}`;
}

export class EndpointQueue {
  readonly consumer: string;
  /** Next seq to examine. */
  private cursor: number;
  /** Delivered, not yet acknowledged, in delivery (= seq) order. */
  private readonly unacked = new Set<number>();
  /** Highest seq examined. */
  private scanned: number;
  private committed: number;
  private commitTimer?: ReturnType<typeof setTimeout>;
  private committing: Promise<void> = Promise.resolve();
  /** Messages dropped because their route's TTL passed before delivery. */
  expired = 0;

  constructor(
    private readonly log: SegmentLog,
    readonly endpointKey: string,
    readonly priority: number,
    checkpoint: number,
    private readonly defaultTtlSecs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.consumer = consumerName(endpointKey, priority);
    this.committed = checkpoint;
    this.scanned = checkpoint;
    this.cursor = checkpoint + 1;
  }

  /** Restarts delivery from the oldest unacknowledged message (a new reader attached). */
  rewind(): void {
    this.cursor = this.position() + 1;
    this.scanned = this.cursor - 1;
    this.unacked.clear();
  }

  /** The position everything up to which is acknowledged or not ours. */
  private position(): number {
    for (const seq of this.unacked) return seq - 1; // Set keeps insertion (= seq) order
    return this.scanned;
  }

  /** Whether records past what this queue examined exist. */
  get hasMore(): boolean {
    return this.log.lastSeq >= this.cursor;
  }

  /** Takes up to `max` messages for this endpoint, in order. */
  async take(max: number): Promise<QueuedMessage[]> {
    const out: QueuedMessage[] = [];
    while (out.length < max && this.log.lastSeq >= this.cursor) {
      const r = await this.log.read(this.cursor, { maxRecords: SCAN_BATCH });
      if (r.records.length === 0 && r.nextSeq <= this.cursor) break;
      let stop = r.nextSeq;
      for (const rec of r.records) {
        const { targets, message } = decodeRoutedRecord(rec.payload);
        const t = targets.find((x) =>
          x.endpointKey === this.endpointKey && x.priority === this.priority
        );
        if (t) {
          const ttl = t.timeToLiveSecs > 0 ? t.timeToLiveSecs : this.defaultTtlSecs;
          if (ttl >= 0 && rec.timestamp + ttl * 1000 < this.now()) {
            this.expired++;
          } else {
            if (out.length >= max) {
              stop = rec.seq;
              break;
            }
            this.unacked.add(rec.seq);
            out.push({ seq: rec.seq, message: decodeMessage(message.slice()) });
          }
        }
        this.scanned = rec.seq;
      }
      this.cursor = stop;
      if (stop === r.nextSeq) this.scanned = Math.max(this.scanned, r.nextSeq - 1);
    }
    if (out.length === 0) this.scheduleCommit();
    return out;
  }

  /** Marks a delivered message done; the checkpoint follows shortly. */
  ack(seq: number): void {
    if (this.unacked.delete(seq)) this.scheduleCommit();
  }

  private scheduleCommit(): void {
    if (this.commitTimer || this.position() <= this.committed) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.commit();
    }, COMMIT_DELAY_MS);
  }

  /** Writes the checkpoint now. */
  commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const pos = this.position();
      if (pos <= this.committed) return;
      await this.log.commit(this.consumer, pos);
      this.committed = pos;
    }).catch(() => {/* retried on the next ack */});
    return this.committing;
  }

  async close(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.commit();
  }
}
