/**
 * The writer's disk-full state machine. States: `ok` → (ENOSPC) → `full` → (probe succeeded)
 * → `ok`. While full, appends fail fast; a probe (a batch-sized write + fsync of a scratch
 * file, then unlink) runs every `intervalMs` on the injected clock, and also when an append
 * arrives after the interval passed. Nothing here touches the log's own files.
 *
 * @module
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { StoreClock, StoreLogger } from "./config.ts";
import { closeFd, fdatasync, openFd, writeAll } from "./_fd.ts";
import { isNoSpaceError } from "./errors.ts";

/** Name of the scratch file a probe writes in the log directory. */
export const PROBE_FILE = ".space-probe";

/** Writes `bytes` to a scratch file in `dir`, syncs and removes it; throws ENOSPC if no room. */
export async function probeSpace(dir: string, bytes: Uint8Array): Promise<void> {
  const file = path.join(dir, PROBE_FILE);
  const fd = await openFd(file, "w");
  try {
    await writeAll(fd, bytes, bytes.length, 0);
    await fdatasync(fd);
  } finally {
    await closeFd(fd);
    await fsp.rm(file, { force: true });
  }
}

/** Tracks whether the disk is full and probes until it is not. */
export class FullDiskMonitor {
  #full = false;
  #probing = false;
  #lastProbeAt = 0;
  #timer: unknown = null;
  #stopped = false;
  #waiters: Array<() => void> = [];

  constructor(
    readonly clock: StoreClock,
    readonly logger: StoreLogger,
    readonly intervalMs: number,
    /** Resolves when there is room again; rejects (ENOSPC) when not. */
    readonly probe: () => Promise<void>,
    /** Called once the state went back to ok. */
    readonly onRecovered: () => void,
  ) {}

  get isFull(): boolean {
    return this.#full;
  }

  /** Enters the full state (no-op if already full) and starts probing. */
  enter(): void {
    if (this.#full || this.#stopped) return;
    this.#full = true;
    this.#lastProbeAt = this.clock.now();
    this.logger.error("store is full: rejecting appends until disk space returns");
    this.#schedule();
  }

  /** An append arrived while full: probe now if the interval has passed. */
  poke(): void {
    if (this.#full && this.clock.now() - this.#lastProbeAt >= this.intervalMs) this.#probe();
  }

  /** Resolves when not full (immediately if not full now, or once stopped). */
  whenWritable(): Promise<void> {
    if (!this.#full || this.#stopped) return Promise.resolve();
    return new Promise((res) => this.#waiters.push(res));
  }

  /** Stops probing for good (log closed); releases waiters. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.clock.clearTimer(this.#timer);
    this.#timer = null;
    for (const r of this.#waiters.splice(0)) r();
  }

  #schedule(): void {
    if (this.#timer !== null || !this.#full || this.#stopped) return;
    this.#timer = this.clock.setTimer(() => {
      this.#timer = null;
      this.#probe();
    }, this.intervalMs);
  }

  #probe(): void {
    if (this.#probing || !this.#full || this.#stopped) return;
    this.#probing = true;
    this.#lastProbeAt = this.clock.now();
    this.probe().then(() => {
      this.#probing = false;
      if (!this.#full || this.#stopped) return;
      this.#full = false;
      this.logger.info("disk space available again: accepting appends");
      this.onRecovered();
      for (const r of this.#waiters.splice(0)) r();
    }, (e) => {
      this.#probing = false;
      if (!isNoSpaceError(e)) this.logger.warn(`space probe failed: ${e}`);
      this.#schedule();
    });
  }
}
