/**
 * An in-memory Engine for unit tests of the executor, reconciler and Agent: containers are
 * records, calls are logged, and failures/unreachability can be switched on.
 */
import { type Engine, EngineError, type EngineEvent } from "../../src/agent/engine.ts";
import { LABELS } from "../../src/agent/container_spec.ts";
import type { ActualContainer } from "../../src/agent/types.ts";

/** In-memory engine. */
export class FakeEngine implements Engine {
  containers = new Map<string, ActualContainer & { labels: Record<string, string> }>();
  calls: string[] = [];
  down = false;
  failPull = new Map<string, string>();
  #seq = 0;
  constructor(private now: () => number = () => Date.now()) {}

  #check() {
    if (this.down) throw new EngineError("connect ENOENT /fake.sock");
  }
  #get(nameOrId: string) {
    for (const c of this.containers.values()) {
      if (c.id === nameOrId || c.name === nameOrId) return c;
    }
    throw new EngineError(`No such container: ${nameOrId}`, 404);
  }
  ping() {
    this.#check();
    return Promise.resolve();
  }
  listOwned(label: string, owner: string) {
    this.#check();
    return Promise.resolve(
      [...this.containers.values()].filter((c) => c.labels[label] === owner).map((c) => ({ ...c })),
    );
  }
  pull(image: string) {
    this.#check();
    this.calls.push(`pull ${image}`);
    const err = this.failPull.get(image);
    return err ? Promise.reject(new EngineError(err, 500)) : Promise.resolve();
  }
  create(name: string, body: Record<string, unknown>) {
    this.#check();
    this.calls.push(`create ${name}`);
    if ([...this.containers.values()].some((c) => c.name === name)) {
      return Promise.reject(new EngineError(`Conflict: ${name}`, 409));
    }
    const labels = body.Labels as Record<string, string>;
    const id = `c${++this.#seq}`;
    this.containers.set(id, {
      id,
      name,
      labels,
      configHash: labels[LABELS.configHash],
      image: String(body.Image),
      imageId: "sha256:fake",
      state: "created",
      exitCode: 0,
      health: "none",
    });
    return Promise.resolve(id);
  }
  start(nameOrId: string) {
    this.#check();
    const c = this.#get(nameOrId);
    this.calls.push(`start ${c.name}`);
    Object.assign(c, { state: "running", startedAt: new Date(this.now()), exitCode: 0 });
    return Promise.resolve();
  }
  stop(nameOrId: string) {
    this.#check();
    const c = this.#get(nameOrId);
    this.calls.push(`stop ${c.name}`);
    if (c.state === "running") {
      Object.assign(c, { state: "exited", exitCode: 137, finishedAt: new Date(this.now()) });
    }
    return Promise.resolve();
  }
  remove(nameOrId: string) {
    this.#check();
    const c = this.#get(nameOrId);
    this.calls.push(`remove ${c.name}`);
    this.containers.delete(c.id);
    return Promise.resolve();
  }
  ensureNetwork(name: string) {
    this.calls.push(`network ${name}`);
    return Promise.resolve();
  }
  /** Make a running container exit with `code` now. */
  exit(name: string, code: number) {
    Object.assign(this.#get(name), {
      state: "exited",
      exitCode: code,
      finishedAt: new Date(this.now()),
    });
  }
  async *logs(): AsyncIterable<Uint8Array> {}
  // deno-lint-ignore require-yield -- a quiet engine: no events until aborted
  async *events(signal: AbortSignal): AsyncIterable<EngineEvent> {
    await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
  }
}

/** A manual clock: `sleep` resolves when `advance` passes its deadline (or on abort). */
export class FakeClock {
  t = 1_000_000;
  #sleepers: { at: number; resolve: () => void }[] = [];
  now = () => this.t;
  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const s = { at: this.t + ms, resolve };
      this.#sleepers.push(s);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  /** Move time forward and wake due sleepers. */
  advance(ms: number) {
    this.t += ms;
    const due = this.#sleepers.filter((s) => s.at <= this.t);
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
  }
}
