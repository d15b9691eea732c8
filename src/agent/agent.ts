/**
 * `Agent`: ledge's in-process edge agent. It owns the desired deployment, persists it (with
 * restart stats and known identities) through an injected key-value `state`, runs the
 * Reconciler against a container engine, keeps a snapshot of module statuses for `list()`,
 * and sends the `$edgeAgent` reported document to `onReported` whenever it changes.
 * The daemon wires in real identities, workload socket paths, state and logger.
 */
import { arch } from "node:os";
import { type BackoffSettings, DEFAULT_BACKOFF } from "./backoff.ts";
import { type Clock, systemClock } from "./clock.ts";
import { DEFAULT_NETWORK, DEFAULT_OWNER, type DeviceEnv, LABELS } from "./container_spec.ts";
import { DockerEngine } from "./docker_engine.ts";
import type { Engine, LogOptions } from "./engine.ts";
import type { StatsStore } from "./executor.ts";
import { validateManifest } from "./manifest.ts";
import { type Identities, type Logger, type PassResult, Reconciler } from "./reconciler.ts";
import { buildReport, type DesiredStatusReport, type ReportedDoc } from "./reporter.ts";
import { type ModuleStatus, moduleStatuses } from "./status.ts";
import type { ActualContainer, DeploymentConfig, DesiredStatus, RestartStats } from "./types.ts";

/** Small persistent key-value store (the owner backs it with SQLite). */
export interface AgentState {
  get(key: string): Promise<string | undefined> | string | undefined;
  set(key: string, value: string): Promise<void> | void;
}

/** Construction options; only identities, workloadSocketDir, env and state are required. */
export interface AgentOptions {
  identities: Identities;
  /** Host directory bound at /var/run/iotedge in the module's container. */
  workloadSocketDir(moduleId: string): string;
  env: DeviceEnv;
  state: AgentState;
  onReported?(doc: ReportedDoc): void | Promise<void>;
  /** Engine to use; default DockerEngine at `dockerSocket`. */
  engine?: Engine;
  dockerSocket?: string;
  logger?: Logger;
  clock?: Clock;
  /** Value of the owner label (default "ledge"); tests use a unique one. */
  owner?: string;
  /** moby network (default azure-iot-edge) or "host". */
  network?: string;
  backoff?: Partial<BackoffSettings>;
  engineRetry?: { unitMs: number; maxMs: number };
  /** Reconcile period (default 5 s). */
  periodMs?: number;
  /** Grace period of `docker stop` (default 10 s). */
  stopTimeoutSec?: number;
  /** ledge version for the report. */
  version?: string;
}

const KEY = {
  deployment: "agent.deployment",
  stats: "agent.restartStats",
  previous: "agent.previousStatus",
  identities: "agent.identities",
} as const;

const silent: Logger = { info() {}, warn() {}, error() {} };

/** The edge agent. */
export class Agent {
  readonly #o: AgentOptions;
  readonly #engine: Engine;
  readonly #clock: Clock;
  readonly #backoff: BackoffSettings;
  readonly #reconciler: Reconciler;
  #config?: DeploymentConfig;
  #previous: Record<string, DesiredStatus> = {};
  #stats = new Map<string, RestartStats>();
  #identities = new Set<string>();
  #actual: ActualContainer[] = [];
  #engineUp = false;
  #status: DesiredStatusReport = { code: 406, description: "Agent is not running" };
  #desiredVersion = 0;
  #lastReport = "";
  #ctl?: AbortController;
  #loop?: Promise<void>;
  #loaded = false;

  constructor(opts: AgentOptions) {
    this.#o = opts;
    this.#engine = opts.engine ?? new DockerEngine(opts.dockerSocket);
    this.#clock = opts.clock ?? systemClock;
    this.#backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    const stats: StatsStore = {
      get: (m) => this.#stats.get(m),
      set: (m, s) => void this.#stats.set(m, s),
      delete: (m) => void this.#stats.delete(m),
    };
    this.#reconciler = new Reconciler({
      engine: this.#engine,
      clock: this.#clock,
      logger: opts.logger ?? silent,
      backoff: this.#backoff,
      engineRetry: opts.engineRetry ?? { unitMs: 1000, maxMs: 30_000 },
      periodMs: opts.periodMs ?? 5000,
      stopTimeoutSec: opts.stopTimeoutSec ?? 10,
      owner: opts.owner ?? DEFAULT_OWNER,
      network: opts.network ?? DEFAULT_NETWORK,
      device: opts.env,
      identities: opts.identities,
      workloadSocketDir: (m) => opts.workloadSocketDir(m),
      stats,
      desired: () => ({ config: this.#config, previousStatus: this.#previous }),
      knownIdentities: this.#identities,
      onPass: (r) => this.#afterPass(r),
    });
  }

  /** Load persisted state and start reconciling. Idempotent. */
  async start(): Promise<void> {
    if (this.#loop) return;
    await this.#load();
    this.#ctl = new AbortController();
    this.#loop = this.#reconciler.run(this.#ctl.signal);
  }

  /** Stop reconciling (containers keep running) and report the agent as not running. */
  async stop(): Promise<void> {
    if (!this.#loop) return;
    this.#ctl?.abort();
    await this.#loop;
    this.#loop = undefined;
    this.#engineUp = false;
    this.#status = { code: 406, description: "Agent is not running" };
    await this.#report();
  }

  /**
   * Validate and apply a deployment manifest. An invalid manifest changes nothing and returns
   * its 400/412/417 code. A valid one is persisted; when the agent runs, this resolves after
   * the next reconcile pass with its outcome (200, or 500 with the failures).
   */
  async deploy(manifest: string | unknown): Promise<DesiredStatusReport> {
    await this.#load();
    const r = validateManifest(manifest);
    if (!r.ok) {
      this.#status = { code: r.code, description: r.description };
      await this.#report();
      return { ...this.#status };
    }
    const text = typeof manifest === "string" ? manifest : JSON.stringify(manifest);
    await this.#o.state.set(KEY.deployment, text);
    if (this.#config) this.#previous = statusesOf(this.#config);
    await this.#o.state.set(KEY.previous, JSON.stringify(this.#previous));
    this.#config = r.config;
    this.#desiredVersion = r.config.version || this.#desiredVersion;
    this.#reconciler.resetFailures();
    if (!this.#loop) return { code: 200, description: "" };
    const done = this.#reconciler.nextPass();
    this.#reconciler.kick();
    await done;
    return { ...this.#status };
  }

  /** The current deployment, if any. */
  get config(): DeploymentConfig | undefined {
    return this.#config;
  }

  /** Module statuses from the latest pass (for `ledge list` and the management API). */
  list(): ModuleStatus[] {
    const rows = moduleStatuses({
      config: this.#config,
      actual: this.#actual,
      stats: Object.fromEntries(this.#stats),
      pulling: this.#reconciler.pulling,
      errors: this.#reconciler.errors,
      backoff: this.#backoff,
    });
    if (this.#engineUp) return rows;
    return rows.map((r) => ({
      ...r,
      status: "unknown",
      description: "container engine unreachable",
    }));
  }

  /** Demultiplexed logs of a module's container. */
  async *logs(name: string, opts: LogOptions = {}): AsyncIterable<Uint8Array> {
    const c = await this.#owned(name);
    yield* this.#engine.logs(c.id, opts);
  }

  /** Restart a module's container (not counted by the restart policy). */
  async restart(name: string): Promise<void> {
    const c = await this.#owned(name);
    this.#reconciler.manual.add(name);
    try {
      await this.#engine.stop(c.id, this.#o.stopTimeoutSec ?? 10);
      await this.#engine.start(c.id);
    } finally {
      this.#reconciler.manual.delete(name);
      this.#reconciler.kick();
    }
  }

  /** Run one reconcile pass now and wait for it (useful for tests and `ledge deploy`). */
  async reconcileNow(): Promise<DesiredStatusReport> {
    if (!this.#loop) throw new Error("agent is not started");
    const done = this.#reconciler.nextPass();
    this.#reconciler.kick();
    await done;
    return { ...this.#status };
  }

  async #owned(name: string): Promise<ActualContainer> {
    const all = await this.#engine.listOwned(LABELS.owner, this.#o.owner ?? DEFAULT_OWNER);
    const c = all.find((x) => x.name === name);
    if (!c) throw new Error(`Module ${name} not found in the current environment`);
    return c;
  }

  async #load(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    const s = this.#o.state;
    const text = await s.get(KEY.deployment);
    if (text) {
      const r = validateManifest(text);
      if (r.ok) {
        this.#config = r.config;
        this.#desiredVersion = r.config.version;
      }
    }
    const stats = parseJson(await s.get(KEY.stats)) as Record<string, RestartStats> | undefined;
    for (const [k, v] of Object.entries(stats ?? {})) this.#stats.set(k, v);
    this.#previous = (parseJson(await s.get(KEY.previous)) ?? {}) as Record<string, DesiredStatus>;
    const ids = parseJson(await s.get(KEY.identities));
    if (Array.isArray(ids)) { for (const id of ids) this.#identities.add(String(id)); }
  }

  async #afterPass(r: PassResult): Promise<void> {
    this.#engineUp = r.engineUp;
    this.#actual = r.actual;
    if (r.status) this.#status = r.status;
    if (r.engineUp && this.#config && r.status?.code === 200) {
      this.#previous = statusesOf(this.#config);
    }
    const s = this.#o.state;
    await s.set(KEY.stats, JSON.stringify(Object.fromEntries(this.#stats)));
    await s.set(KEY.previous, JSON.stringify(this.#previous));
    await s.set(KEY.identities, JSON.stringify([...this.#identities]));
    await this.#report();
  }

  async #report(): Promise<void> {
    const doc = buildReport({
      config: this.#config,
      lastDesiredStatus: this.#status,
      lastDesiredVersion: this.#desiredVersion,
      modules: this.list(),
      engineUp: this.#engineUp,
      version: { version: this.#o.version ?? "0.1.0" },
      platform: { os: "linux", architecture: arch() === "x64" ? "x86_64" : arch() },
    });
    const json = JSON.stringify(doc);
    if (json === this.#lastReport) return;
    this.#lastReport = json;
    try {
      await this.#o.onReported?.(doc);
    } catch (e) {
      (this.#o.logger ?? silent).warn(`agent: onReported failed: ${(e as Error).message}`);
    }
  }
}

function statusesOf(c: DeploymentConfig): Record<string, DesiredStatus> {
  return Object.fromEntries(Object.values(c.modules).map((m) => [m.name, m.status]));
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
