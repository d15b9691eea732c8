/**
 * Durable per-consumer positions ("endpoint X has processed everything up to seq N"). One
 * small file per consumer under `<log dir>/checkpoints/`, replaced atomically (write, fsync,
 * rename, fsync dir). Concurrent commits of one consumer coalesce: while a write is in flight
 * only the newest requested seq is kept, and every waiter resolves when a seq >= its own is
 * durable.
 *
 * @module
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { StoreConfigError } from "./errors.ts";
import type { StoreLogger } from "./config.ts";
import { writeFileAtomic } from "./segment_files.ts";

const EXT = ".ckpt";

interface Pending {
  seq: number;
  waiters: Array<{ seq: number; resolve(): void; reject(e: unknown): void }>;
}

/** Parses a checkpoint file's text; throws naming the field on bad input. */
export function parseCheckpoint(text: string): { consumer: string; seq: number } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new StoreConfigError(`checkpoint: not JSON (${(e as Error).message})`);
  }
  const o = v as { consumer?: unknown; seq?: unknown } | null;
  if (typeof o !== "object" || o === null) throw new StoreConfigError("checkpoint: not an object");
  if (typeof o.consumer !== "string" || o.consumer === "") {
    throw new StoreConfigError("checkpoint.consumer: expected a non-empty string");
  }
  if (typeof o.seq !== "number" || !Number.isSafeInteger(o.seq) || o.seq < 0) {
    throw new StoreConfigError("checkpoint.seq: expected a non-negative safe integer");
  }
  return { consumer: o.consumer, seq: o.seq };
}

/** File name for a consumer id (URI-encoded; ids are limited to 200 characters). */
export function checkpointFileName(consumer: string): string {
  if (consumer === "" || consumer.length > 200) {
    throw new StoreConfigError("consumer: expected 1..200 characters");
  }
  return encodeURIComponent(consumer) + EXT;
}

/** Per-consumer committed positions. */
export class CheckpointStore {
  readonly #positions = new Map<string, number>();
  readonly #inflight = new Map<string, Pending>();

  private constructor(readonly dir: string) {}

  /** Opens (creating) the store in `dir`, loading every valid checkpoint file. */
  static async open(dir: string, logger: StoreLogger): Promise<CheckpointStore> {
    await fsp.mkdir(dir, { recursive: true });
    const store = new CheckpointStore(dir);
    for (const name of await fsp.readdir(dir)) {
      if (name.endsWith(".tmp")) {
        await fsp.rm(path.join(dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(EXT)) continue;
      try {
        const c = parseCheckpoint(await fsp.readFile(path.join(dir, name), "utf8"));
        store.#positions.set(c.consumer, c.seq);
      } catch (e) {
        logger.warn(`ignoring checkpoint file ${name}: ${(e as Error).message}`);
      }
    }
    return store;
  }

  /** Committed seq of `consumer`, or undefined if it never committed. */
  get(consumer: string): number | undefined {
    return this.#positions.get(consumer);
  }

  /** All consumers and their positions. */
  entries(): Array<[string, number]> {
    return [...this.#positions];
  }

  /** Lowest committed seq over all consumers, or null when there are none. */
  min(): number | null {
    let m: number | null = null;
    for (const v of this.#positions.values()) if (m === null || v < m) m = v;
    return m;
  }

  /** Makes `consumer`'s position `seq` durable (positions may also move back, to replay). */
  commit(consumer: string, seq: number): Promise<void> {
    const file = checkpointFileName(consumer);
    if (!Number.isSafeInteger(seq) || seq < 0) {
      return Promise.reject(new StoreConfigError("seq: expected a non-negative safe integer"));
    }
    this.#positions.set(consumer, seq);
    return new Promise((resolve, reject) => {
      const p = this.#inflight.get(consumer);
      if (p) {
        p.seq = seq;
        p.waiters.push({ seq, resolve, reject });
        return;
      }
      const pending: Pending = { seq, waiters: [{ seq, resolve, reject }] };
      this.#inflight.set(consumer, pending);
      void this.#writeLoop(consumer, file, pending);
    });
  }

  async #writeLoop(consumer: string, file: string, p: Pending): Promise<void> {
    while (p.waiters.length > 0) {
      const waiters = p.waiters.splice(0);
      const seq = p.seq;
      try {
        const text = JSON.stringify({ consumer, seq }) + "\n";
        await writeFileAtomic(path.join(this.dir, file), new TextEncoder().encode(text));
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.#inflight.delete(consumer);
  }

  /** Forgets a consumer (its endpoint was removed) and deletes its file. */
  async remove(consumer: string): Promise<void> {
    this.#positions.delete(consumer);
    await fsp.rm(path.join(this.dir, checkpointFileName(consumer)), { force: true });
  }
}
