/**
 * The reconcile loop as an explicit state machine (idle → reconciling → waiting ⇄ engineDown →
 * stopped), with an injectable clock. One pass: list owned containers, ensure module
 * identities, build desired containers, plan, execute, and hand the result to `onPass`.
 * Passes run after every engine event (getEvents), after `kick()` (new deployment), and every
 * `periodMs`. When the engine is unreachable the pass reports it and retries with back-off;
 * when the engine returns, the next pass re-adopts containers by their owner label.
 *
 * Invariants: one runner at a time (`run` throws if already running); everything it awaits
 * is abortable through the signal; per-module bookkeeping is bounded by the module count.
 */
import { type BackoffSettings, coolOffMs } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import { Wakeup } from "./clock.ts";
import {
  type ContainerContext,
  type DesiredContainer,
  desiredContainer,
  type DeviceEnv,
  LABELS,
} from "./container_spec.ts";
import { type Engine, EngineError } from "./engine.ts";
import { runPlan, type StatsStore, type StepFailure } from "./executor.ts";
import { plan } from "./planner.ts";
import type { ActualContainer, DeploymentConfig, DesiredStatus, RestartStats } from "./types.ts";

/** Module identities in the local registry (the owner plugs in the real one). */
export interface Identities {
  ensureModule(moduleId: string): Promise<{ generationId: string }>;
  removeModule(moduleId: string): Promise<void>;
}

/** Minimal logger. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Phases of the loop. */
export type ReconcilerPhase = "idle" | "reconciling" | "waiting" | "engineDown" | "stopped";

/** What one pass found and did. */
export interface PassResult {
  engineUp: boolean;
  actual: ActualContainer[];
  /** Deployment status after the pass; undefined = unchanged (steps waiting for back-off). */
  status?: { code: number; description: string };
}

/** Everything the reconciler needs. */
export interface ReconcilerDeps {
  engine: Engine;
  clock: Clock;
  logger: Logger;
  backoff: BackoffSettings;
  /** Back-off for reconnecting to an unreachable engine. */
  engineRetry: { unitMs: number; maxMs: number };
  periodMs: number;
  stopTimeoutSec: number;
  owner: string;
  network: string;
  device: DeviceEnv;
  identities: Identities;
  workloadSocketDir(moduleId: string): string;
  stats: StatsStore;
  /** Current desired deployment and the previous desired statuses. */
  desired(): { config?: DeploymentConfig; previousStatus: Record<string, DesiredStatus> };
  /** Identities created by earlier runs (persisted by the Agent). */
  knownIdentities: Set<string>;
  onPass(result: PassResult): Promise<void>;
}

/** Drives the engine towards the desired deployment. */
export class Reconciler {
  phase: ReconcilerPhase = "idle";
  /** Modules whose image is being pulled right now. */
  readonly pulling = new Set<string>();
  /** Last error per module (pull/create/identity/createOptions). */
  readonly errors = new Map<string, string>();
  /** Step failure records for retry back-off; cleared on a new deployment. */
  readonly failures = new Map<string, StepFailure>();
  #generation = new Map<string, string>();
  #wake = new Wakeup();
  #running = false;
  #engineFailures = 0;
  #networkReady = false;
  #passListeners: { after: number; resolve: () => void }[] = [];
  #passesStarted = 0;
  /** Modules under a manual operation (restart): passes leave them alone meanwhile. */
  readonly manual = new Set<string>();

  constructor(private readonly d: ReconcilerDeps) {}

  /** Ask for a pass as soon as possible (coalesces). */
  kick(): void {
    this.#wake.kick();
  }

  /** Resolves after a pass that starts after this call completes (or when the loop stops). */
  nextPass(): Promise<void> {
    const after = this.#passesStarted;
    return new Promise((resolve) => this.#passListeners.push({ after, resolve }));
  }

  /** Forget retry records (new deployment). */
  resetFailures(): void {
    this.failures.clear();
    this.errors.clear();
  }

  /** Run until `signal` aborts. Only one runner may be active. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#running) throw new Error("reconciler is already running");
    this.#running = true;
    const events = this.#watchEvents(signal);
    try {
      while (!signal.aborted) {
        this.phase = "reconciling";
        const seq = ++this.#passesStarted;
        let wait = this.d.periodMs;
        try {
          const result = await this.pass(signal);
          this.#engineFailures = 0;
          await this.d.onPass(result);
        } catch (e) {
          if (signal.aborted) break;
          if (!isUnreachable(e)) {
            this.d.logger.error(`agent: reconcile failed: ${(e as Error).message}`);
            await this.d.onPass({ engineUp: true, actual: [], status: status500(e) });
          } else {
            this.phase = "engineDown";
            this.#networkReady = false;
            wait = coolOffMs(this.#engineFailures++, this.d.engineRetry);
            this.d.logger.warn(`agent: container engine unreachable (${(e as Error).message})`);
            await this.d.onPass({ engineUp: false, actual: [], status: status500(e) });
          }
        }
        this.#notifyPass(seq);
        if (this.phase !== "engineDown") this.phase = "waiting";
        await this.#wake.wait(this.d.clock, wait, signal);
      }
    } finally {
      this.phase = "stopped";
      this.#running = false;
      this.#notifyPass(Infinity);
      await events;
    }
  }

  /** One reconcile pass. Throws EngineError (unreachable) when the engine is down. */
  async pass(signal?: AbortSignal): Promise<PassResult> {
    const d = this.d;
    let actual = await d.engine.listOwned(LABELS.owner, d.owner);
    const { config, previousStatus } = d.desired();
    if (!config) return { engineUp: true, actual, status: { code: 200, description: "" } };

    const desired: DesiredContainer[] = [];
    const held = new Set<string>(this.manual); // modules not planned this pass: left alone
    for (const spec of Object.values(config.modules)) {
      if (held.has(spec.name)) continue;
      try {
        let gen = this.#generation.get(spec.name);
        if (gen === undefined) {
          gen = (await d.identities.ensureModule(spec.name)).generationId;
          this.#generation.set(spec.name, gen);
          d.knownIdentities.add(spec.name);
        }
        desired.push(desiredContainer(spec, this.#context(spec.name, gen)));
      } catch (e) {
        held.add(spec.name);
        this.errors.set(spec.name, `${spec.name}: ${(e as Error).message}`);
      }
    }
    if (!this.#networkReady && desired.length > 0 && d.network !== "host") {
      await d.engine.ensureNetwork(d.network);
      this.#networkReady = true;
    }
    const steps = plan({
      desired,
      actual: actual.filter((c) => !held.has(c.name)),
      stats: this.#statsOf([...desired.map((x) => x.spec.name), ...actual.map((c) => c.name)]),
      previousStatus,
      now: d.clock.now(),
      backoff: d.backoff,
    });
    let status: PassResult["status"] = { code: 200, description: "" };
    if (steps.length > 0) {
      const outcome = await runPlan(
        steps,
        {
          engine: d.engine,
          stats: d.stats,
          credentials: config.runtime.registryCredentials,
          stopTimeoutSec: d.stopTimeoutSec,
          now: () => d.clock.now(),
          onPull: (m, active) => active ? this.pulling.add(m) : this.pulling.delete(m),
          signal,
        },
        this.failures,
        d.backoff,
        isUnreachable,
      );
      for (const s of steps) if (!outcome.failed.has(s.module)) this.errors.delete(s.module);
      for (const [m, msg] of outcome.failed) this.errors.set(m, msg);
      if (outcome.failed.size > 0) {
        status = { code: 500, description: [...outcome.failed.values()].join("; ") };
      } else if (outcome.skipped.size > 0) status = undefined;
      actual = await d.engine.listOwned(LABELS.owner, d.owner);
    }
    for (const m of held) {
      const err = this.errors.get(m);
      if (err && !this.manual.has(m)) status = { code: 500, description: err };
    }
    await this.#dropRemovedIdentities(config);
    return { engineUp: true, actual, status };
  }

  #statsOf(names: string[]): Record<string, RestartStats> {
    const out: Record<string, RestartStats> = {};
    for (const n of names) {
      const s = this.d.stats.get(n);
      if (s) out[n] = s;
    }
    return out;
  }

  #context(name: string, generationId: string): ContainerContext {
    return {
      owner: this.d.owner,
      device: this.d.device,
      generationId,
      workloadSocketDir: this.d.workloadSocketDir(name),
      network: this.d.network,
    };
  }

  async #dropRemovedIdentities(config: DeploymentConfig): Promise<void> {
    for (const name of [...this.d.knownIdentities]) {
      if (name in config.modules) continue;
      try {
        await this.d.identities.removeModule(name);
        this.d.knownIdentities.delete(name);
        this.#generation.delete(name);
        this.errors.delete(name);
      } catch (e) {
        this.d.logger.warn(`agent: removing identity ${name} failed: ${(e as Error).message}`);
      }
    }
  }

  /** Subscribe to engine events; re-subscribe after the stream ends (engine restart). */
  async #watchEvents(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const _ev of this.d.engine.events(signal)) {
          failures = 0;
          this.kick();
        }
      } catch {
        // unreachable engine: wait and retry below
      }
      if (signal.aborted) break;
      await this.d.clock.sleep(coolOffMs(failures++, this.d.engineRetry), signal);
      this.kick();
    }
  }

  /** Resolve listeners waiting for a pass that started after they asked. */
  #notifyPass(seq: number): void {
    const due = this.#passListeners.filter((l) => seq > l.after);
    this.#passListeners = this.#passListeners.filter((l) => seq <= l.after);
    for (const l of due) l.resolve();
  }
}

function isUnreachable(e: unknown): boolean {
  return e instanceof EngineError && e.unreachable;
}

function status500(e: unknown): { code: number; description: string } {
  return { code: 500, description: (e as Error).message ?? String(e) };
}
