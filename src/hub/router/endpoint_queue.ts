/**
 * One endpoint's durable queue at one priority: a consumer position (checkpoint) over the
 * shared segment log, reading only the records routed to it. Delivery is at-least-once: the
 * checkpoint advances past a record only when it and everything before it was acknowledged,
 * and a new reader (a reconnecting module) starts again from the checkpoint.
 *
 * @module
 */
import { decodeMessage, type LogRecord, type SegmentLog } from "../store/mod.ts";
import type { HubMessage } from "../message.ts";
import { matchTarget, targetKey } from "./routed_record.ts";

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
  /** The endpoint key as UTF-8, compared against each stored record's targets. */
  private readonly key: Uint8Array;
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
  /** Records of the last log read at and after `cursor`, not examined yet (read-ahead). */
  private ahead: LogRecord[] = [];
  private aheadAt = 0;
  /** Where the log said that read ended (`nextSeq`). */
  private aheadNext = 0;
  /** Bumped by rewind(), so a read that was in flight across it is discarded. */
  private generation = 0;

  constructor(
    private readonly log: SegmentLog,
    readonly endpointKey: string,
    readonly priority: number,
    checkpoint: number,
    /** The store-and-forward TTL for routes without their own; a deployment may change it. */
    public defaultTtlSecs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.consumer = consumerName(endpointKey, priority);
    this.key = targetKey(endpointKey);
    this.committed = checkpoint;
    this.scanned = checkpoint;
    this.cursor = checkpoint + 1;
  }

  /** Restarts delivery from the oldest unacknowledged message (a new reader attached). */
  rewind(): void {
    this.generation++;
    this.ahead = [];
    this.aheadAt = 0;
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
    while (out.length < max) {
      if (this.aheadAt >= this.ahead.length) {
        if (this.log.lastSeq < this.cursor) break;
        const generation = this.generation;
        // TTLs are per target (route); the queue applies and counts them, not the log.
        const r = await this.log.read(this.cursor, { maxRecords: SCAN_BATCH, timeToLiveSecs: -1 });
        if (generation !== this.generation) continue; // rewound meanwhile: read again
        if (r.records.length === 0 && r.nextSeq <= this.cursor) break;
        this.ahead = r.records;
        this.aheadAt = 0;
        this.aheadNext = r.nextSeq;
        if (r.records.length === 0) this.passAhead();
        continue;
      }
      // One read serves many small takes (the pump asks for as many as acks freed).
      const rec = this.ahead[this.aheadAt++];
      const t = matchTarget(rec.payload, this.key, this.priority);
      if (t) {
        const ttl = t.timeToLiveSecs > 0 ? t.timeToLiveSecs : this.defaultTtlSecs;
        // Expired once now - timestamp >= TTL (routing.md §5.2).
        if (ttl >= 0 && this.now() - rec.timestamp >= ttl * 1000) {
          this.expired++;
        } else {
          this.unacked.add(rec.seq);
          out.push({ seq: rec.seq, message: decodeMessage(rec.payload.slice(t.messageOffset)) });
        }
      }
      this.scanned = rec.seq;
      this.cursor = rec.seq + 1;
      if (this.aheadAt >= this.ahead.length) this.passAhead();
    }
    if (out.length === 0) this.scheduleCommit();
    return out;
  }

  /** All of the read-ahead was examined: continue where that read ended. */
  private passAhead(): void {
    this.cursor = Math.max(this.cursor, this.aheadNext);
    this.scanned = Math.max(this.scanned, this.aheadNext - 1);
    this.ahead = [];
    this.aheadAt = 0;
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
