/**
 * Private helpers of the writer: a group-commit batch (a preallocated buffer records are
 * framed into) and the ticket (one promise) that every append of a batch shares.
 *
 * @module
 */

/** An already-resolved promise, shared to avoid allocating one per durable record. */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One promise for a group of appends; `seq` is the highest seq it covers. Appends that had to
 * wait for room are attached as `waiters` and settled directly (no promise chain per record).
 */
export class Ticket {
  #promise: Promise<void> | null = null;
  #resolve: (() => void) | null = null;
  #reject: ((e: unknown) => void) | null = null;
  #settled: { error: unknown } | null = null;
  #waiters: WaitingAppend[] | null = null;

  constructor(public seq: number) {}

  /** The shared promise (created on first use). */
  get promise(): Promise<void> {
    if (this.#promise) return this.#promise;
    if (this.#settled) {
      return this.#settled.error === undefined ? RESOLVED : Promise.reject(this.#settled.error);
    }
    return this.#promise = new Promise<void>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
  }

  /** Settles `w` with `seq` (or the error) together with this ticket. */
  attach(w: WaitingAppend, seq: number): void {
    w.seq = seq;
    (this.#waiters ??= []).push(w);
  }

  resolve(): void {
    if (this.#settled) return;
    this.#settled = { error: undefined };
    this.#resolve?.();
    if (this.#waiters) { for (const w of this.#waiters) w.resolve(w.seq); }
  }

  reject(e: unknown): void {
    if (this.#settled) return;
    this.#settled = { error: e };
    this.#reject?.(e);
    if (this.#waiters) { for (const w of this.#waiters) w.reject(e); }
  }
}

/** A batch buffer being filled with framed records. */
export class Batch {
  readonly buf: Uint8Array;
  readonly view: DataView;
  len = 0;
  count = 0;
  firstSeq = 0;
  lastSeq = 0;
  #ticket: Ticket | null = null;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Whether a record with a payload of `payloadLen` bytes still fits. */
  fits(payloadLen: number): boolean {
    return this.len + 24 + payloadLen <= this.buf.length;
  }

  /** The batch's shared ticket, created on first use. */
  ticket(): Ticket {
    return this.#ticket ??= new Ticket(this.lastSeq);
  }

  get ticketOrNull(): Ticket | null {
    return this.#ticket;
  }

  /** Detaches the ticket (it outlives the buffer, which is reused) with its covered seq. */
  takeTicket(seq: number): Ticket {
    const t = this.#ticket!;
    t.seq = seq;
    this.#ticket = null;
    return t;
  }

  /** Empties the batch for reuse. */
  reset(): void {
    this.len =
      this.count =
      this.firstSeq =
      this.lastSeq =
        0;
    this.#ticket = null;
  }
}

/** An append waiting for batch-buffer room. */
export interface WaitingAppend {
  payload: Uint8Array;
  /** Assigned when it is framed. */
  seq: number;
  resolve(seq: number): void;
  reject(e: unknown): void;
}

/** FIFO of appends waiting for room (back-pressure); O(1) at both ends. */
export class AppendQueue {
  #items: WaitingAppend[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(w: WaitingAppend): void {
    this.#items.push(w);
  }

  /** The oldest waiting append, or undefined. */
  peek(): WaitingAppend | undefined {
    return this.#items[this.#head];
  }

  /** Removes the oldest waiting append. */
  shift(): void {
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Rejects and removes every waiting append. */
  rejectAll(err: Error): void {
    for (let i = this.#head; i < this.#items.length; i++) this.#items[i].reject(err);
    this.#items = [];
    this.#head = 0;
  }
}
