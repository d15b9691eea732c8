/**
 * Injectable time for the agent's loops: `now()` and an abortable `sleep()`. Production uses
 * `systemClock`; tests can drive a fake. Also `Wakeup`, a one-slot signal that lets events and
 * deployments cut a reconciler's wait short without queueing (kicks coalesce).
 */

/** Time source and abortable sleep. `sleep` resolves (never rejects) when aborted. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time with setTimeout-based sleeps. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** Coalescing wake-up: `kick()` ends the current or next `wait()`. */
export class Wakeup {
  #pending = false;
  #ctl?: AbortController;

  /** Wake the waiter now (or make its next wait return at once). */
  kick(): void {
    this.#pending = true;
    this.#ctl?.abort();
  }

  /** Wait up to `ms`, until kicked, or until `signal` aborts. Returns true if kicked. */
  async wait(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.#pending) {
      this.#pending = false;
      return true;
    }
    const ctl = new AbortController();
    this.#ctl = ctl;
    const onAbort = () => ctl.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await clock.sleep(ms, ctl.signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.#ctl = undefined;
    }
    const kicked = this.#pending;
    this.#pending = false;
    return kicked;
  }
}
