/**
 * Bookkeeping of which sequence numbers are durable, which wait for a sync, and which were
 * rejected: the written-but-unsynced tickets resolve together at the next successful sync
 * (or are rejected together when it fails). Pure bookkeeping, no I/O.
 *
 * @module
 */
import { RESOLVED, Ticket } from "./_batch.ts";

/** Tracks durability of written records. */
export class DurabilityTracker {
  /** Highest seq written to the file. */
  writtenSeq: number;
  /** Highest seq durable under the policy. */
  durableSeq: number;
  #pending: Ticket[] = [];
  #failed: { from: number; to: number; error: Error } | null = null;

  constructor(lastSeq: number) {
    this.writtenSeq = this.durableSeq = lastSeq;
  }

  /** Whether written records are waiting for a sync. */
  get syncPending(): boolean {
    return this.writtenSeq > this.durableSeq;
  }

  /** Adds a ticket (from a written batch) that resolves when `ticket.seq` is durable. */
  add(ticket: Ticket): void {
    this.#pending.push(ticket);
  }

  /** A promise for written seq `seq` (<= writtenSeq) to become durable. */
  waitSynced(seq: number): Promise<void> {
    if (seq <= this.durableSeq) return RESOLVED;
    const t = new Ticket(seq);
    this.#pending.push(t);
    return t.promise;
  }

  /** Everything up to `upTo` is durable: resolves the tickets it covers. */
  markDurable(upTo: number): void {
    this.durableSeq = upTo;
    if (this.#pending.length === 0) return;
    const keep: Ticket[] = [];
    for (const t of this.#pending) t.seq <= upTo ? t.resolve() : keep.push(t);
    this.#pending = keep;
  }

  /** Rejects every waiting ticket (their records are gone). */
  rejectPending(err: Error): void {
    for (const t of this.#pending.splice(0)) t.reject(err);
  }

  /** Remembers that seqs `from..to` were rejected with `error` (merging adjacent ranges). */
  markFailed(from: number, to: number, error: Error): void {
    const f = this.#failed;
    this.#failed = f && f.to + 1 >= from ? { from: f.from, to, error } : { from, to, error };
  }

  /** The error `seq` was rejected with, if it is in the last rejected range. */
  failure(seq: number): Error | null {
    const f = this.#failed;
    return f && seq >= f.from && seq <= f.to ? f.error : null;
  }
}
