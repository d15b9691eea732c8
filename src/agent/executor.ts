/**
 * Executes a plan: maps each Step kind to engine calls, one function per kind, and runs the
 * startupOrder groups in order (modules of one group concurrently, bounded) with IoT Edge's
 * retry rule (edge-agent.md §3.6): a failing step is recorded
 * and retried on later reconciles only after coolOff(failures); after maxCount failures it is
 * skipped until the deployment changes. A failed or skipped step skips the rest of its
 * module's steps in that plan (other modules go on). Failure records are bounded by the number
 * of steps in a plan.
 */
import { type BackoffSettings, coolOffElapsed } from "./backoff.ts";
import { imageRegistry } from "./create_options.ts";
import type { Engine, PullAuth } from "./engine.ts";
import { type Step, stepId } from "./planner.ts";
import type { RegistryCredential, RestartStats } from "./types.ts";

/** Where restart statistics live (the Agent persists them). */
export interface StatsStore {
  get(module: string): RestartStats | undefined;
  set(module: string, stats: RestartStats): void;
  delete(module: string): void;
}

/** What the executor needs besides the steps. */
export interface ExecutorDeps {
  engine: Engine;
  stats: StatsStore;
  credentials: Record<string, RegistryCredential>;
  /** Grace period for `docker stop`, seconds. */
  stopTimeoutSec: number;
  now: () => number;
  /** Told when a module's image pull begins and ends (for the `downloading` status). */
  onPull?: (module: string, active: boolean) => void;
  signal?: AbortSignal;
}

/** Retry bookkeeping for one step id. */
export interface StepFailure {
  count: number;
  lastRun: number;
  error: string;
}

/** Result of running one plan. */
export interface PlanOutcome {
  /** Step failures of this run: module → message. */
  failed: Map<string, string>;
  /** Modules with steps skipped because of back-off. */
  skipped: Set<string>;
  ran: number;
}

/** Run a single step against the engine. */
export async function runStep(step: Step, d: ExecutorDeps): Promise<void> {
  const e = d.engine;
  switch (step.kind) {
    case "pull": {
      d.onPull?.(step.module, true);
      try {
        await e.pull(step.image, authFor(step.image, d.credentials), d.signal);
      } finally {
        d.onPull?.(step.module, false);
      }
      return;
    }
    case "create":
      await e.create(step.module, step.desired.body);
      return;
    case "recreate":
      await e.stop(step.id, d.stopTimeoutSec);
      await e.remove(step.id);
      await e.create(step.module, step.desired.body);
      return;
    case "start":
      await e.start(step.module);
      return;
    case "stop":
      await e.stop(step.id, d.stopTimeoutSec);
      return;
    case "remove":
      await e.remove(step.id);
      return;
    case "restart":
      if (step.running) await e.stop(step.id, d.stopTimeoutSec);
      d.stats.set(step.module, { restartCount: step.restartCount, lastRestartTime: d.now() });
      await e.start(step.id);
      return;
    case "resetStats":
      d.stats.delete(step.module);
      return;
  }
}

/**
 * Run a plan: startupOrder groups in ascending order; within a group each module's steps run
 * in order, up to `concurrency` modules at a time. Honours and updates `failures` (by stepId).
 * Throws only for engine-unreachable errors (the reconciler handles those as "engine down").
 */
export async function runPlan(
  steps: Step[],
  d: ExecutorDeps,
  failures: Map<string, StepFailure>,
  backoff: BackoffSettings,
  isUnreachable: (e: unknown) => boolean,
  concurrency = 4,
): Promise<PlanOutcome> {
  const out: PlanOutcome = { failed: new Map(), skipped: new Set(), ran: 0 };
  for (const group of groupsOf(steps)) {
    const chains = [...group.values()];
    let next = 0;
    const worker = async () => {
      while (next < chains.length && !d.signal?.aborted) {
        await runChain(chains[next++], d, failures, backoff, isUnreachable, out);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chains.length) }, worker));
    if (d.signal?.aborted) break;
  }
  return out;
}

/** Steps grouped by `order` (plan order kept), each group split into per-module chains. */
function groupsOf(steps: Step[]): Map<string, Step[]>[] {
  const groups: Map<string, Step[]>[] = [];
  let lastOrder: number | undefined;
  for (const s of steps) {
    if (s.order !== lastOrder) groups.push(new Map());
    lastOrder = s.order;
    const g = groups[groups.length - 1];
    g.set(s.module, [...(g.get(s.module) ?? []), s]);
  }
  return groups;
}

/** One module's steps in order; the first failing or backed-off step ends the chain. */
async function runChain(
  chain: Step[],
  d: ExecutorDeps,
  failures: Map<string, StepFailure>,
  backoff: BackoffSettings,
  isUnreachable: (e: unknown) => boolean,
  out: PlanOutcome,
): Promise<void> {
  for (const step of chain) {
    if (d.signal?.aborted) return;
    const id = stepId(step);
    const f = failures.get(id);
    if (
      f && (f.count >= backoff.maxCount || !coolOffElapsed(f.count, f.lastRun, d.now(), backoff))
    ) {
      out.skipped.add(step.module);
      if (f.count >= backoff.maxCount) out.failed.set(step.module, f.error);
      return;
    }
    try {
      await runStep(step, d);
      failures.delete(id);
      out.ran++;
    } catch (e) {
      if (isUnreachable(e)) throw e;
      const msg = `${step.kind} ${step.module}: ${(e as Error).message ?? String(e)}`;
      failures.set(id, { count: (f?.count ?? 0) + 1, lastRun: d.now(), error: msg });
      out.failed.set(step.module, msg);
      return;
    }
  }
}

/** The deployment credential whose address matches the image's registry. */
export function authFor(
  image: string,
  creds: Record<string, RegistryCredential>,
): PullAuth | undefined {
  const registry = imageRegistry(image);
  for (const c of Object.values(creds)) {
    const addr = c.address.replace(/^https?:\/\//, "").replace(/\/+$/, "");
    if (addr === registry) {
      return { username: c.username, password: c.password, serveraddress: addr };
    }
  }
  return undefined;
}
