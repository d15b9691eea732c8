/**
 * Helpers for the agent's integration tests against a real Docker engine: finds the engine
 * (LEDGE_TEST_DOCKER_SOCK, default /run/ledge-test-docker.sock), fails under CI=true and skips
 * loudly otherwise when it is unreachable, builds the local test image, and gives each test an
 * Agent with a unique owner label, in-memory state, fake identities and fast back-off. All
 * containers use host networking; each test's containers are removed afterwards by label.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import {
  Agent,
  type AgentOptions,
  type AgentState,
  DockerEngine,
  LABELS,
} from "../../src/agent/mod.ts";
import type { ReportedDoc } from "../../src/agent/reporter.ts";

export const SOCK = Deno.env.get("LEDGE_TEST_DOCKER_SOCK") ?? "/run/ledge-test-docker.sock";
export const IMAGE = "ledge-test/busybox:1";
const CI = Deno.env.get("CI") === "true";
const ROOT = new URL("../../", import.meta.url).pathname;

/** True when an engine answers on `sock`. */
export async function engineAt(sock: string): Promise<boolean> {
  try {
    await new DockerEngine(sock).ping();
    return true;
  } catch {
    return false;
  }
}

const reachable = await engineAt(SOCK);
let imagesReady = false;

/** Run a repo script (bash) with extra env; returns stdout. */
export function script(
  name: string,
  args: string[] = [],
  env: Record<string, string> = {},
): string {
  return execFileSync("bash", [join(ROOT, "scripts", name), ...args], {
    env: { ...Deno.env.toObject(), ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 300_000,
  });
}

/** Things each integration test gets. */
export interface TestCtx {
  owner: string;
  /** A fresh agent on the shared per-test state (call again to "restart ledge"). */
  agent(over?: Partial<AgentOptions>): Agent;
  state: AgentState & { data: Map<string, string> };
  reports: ReportedDoc[];
  identities: { ensured: string[]; removed: string[] };
  // deno-lint-ignore no-explicit-any -- raw dockerode client for assertions
  docker: any;
}

/** Register a Deno test that needs the Docker engine. */
export function dockerTest(name: string, fn: (t: TestCtx) => Promise<void>, sock = SOCK): void {
  if (!reachable) {
    const why = `Docker engine not reachable at ${sock} (run scripts/dockerd-test.sh start)`;
    if (CI) {
      Deno.test(name, () => {
        throw new Error(why);
      });
    } else {
      console.warn(`\n*** SKIPPING agent integration test "${name}": ${why} ***\n`);
      Deno.test({ name, ignore: true, fn() {} });
    }
    return;
  }
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      if (!imagesReady) {
        script("test-images.sh", ["images"], { LEDGE_TEST_DOCKER_SOCK: sock });
        imagesReady = true;
      }
      const ctx = newCtx(sock);
      const agents: Agent[] = [];
      const make = ctx.agent;
      ctx.agent = (over) => {
        const a = make(over);
        agents.push(a);
        return a;
      };
      try {
        await fn(ctx);
      } finally {
        for (const a of agents) await a.stop().catch(() => {});
        await cleanup(ctx.docker, ctx.owner).catch(() => {});
      }
    },
  });
}

/** Build a context for one test on engine `sock`. */
export function newCtx(sock: string): TestCtx {
  const owner = `ledge-test-${crypto.randomUUID().slice(0, 8)}`;
  const data = new Map<string, string>();
  const state = {
    data,
    get: (k: string) => data.get(k),
    set: (k: string, v: string) => void data.set(k, v),
  };
  const reports: ReportedDoc[] = [];
  const identities = { ensured: [] as string[], removed: [] as string[] };
  const sockets = mkdtempSync(join(tmpdir(), "ledge-agent-test-"));
  const ctx: TestCtx = {
    owner,
    state,
    reports,
    identities,
    docker: new Docker({ socketPath: sock }),
    agent: (over = {}) =>
      new Agent({
        engine: new DockerEngine(sock),
        owner,
        network: "host",
        state,
        identities: {
          ensureModule: (id) => {
            identities.ensured.push(id);
            return Promise.resolve({ generationId: `gen-${id}` });
          },
          removeModule: (id) => {
            identities.removed.push(id);
            return Promise.resolve();
          },
        },
        workloadSocketDir: (id) => join(sockets, id),
        env: { deviceId: "dev1", iothubHostname: "hub.example", gatewayHostname: "gw.local" },
        onReported: (doc) => void reports.push(doc),
        backoff: { unitMs: 400, maxMs: 3000, maxCount: 3, intensiveCareMs: 600_000 },
        engineRetry: { unitMs: 200, maxMs: 1000 },
        periodMs: 200,
        stopTimeoutSec: 1,
        ...over,
      }),
  };
  return ctx;
}

/** Remove every container carrying this test's owner label. */
// deno-lint-ignore no-explicit-any -- raw dockerode client
export async function cleanup(docker: any, owner: string): Promise<void> {
  const list: { Id: string }[] = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.owner}=${owner}`] },
  });
  for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
}

/** Poll `pred` every 100 ms until it is truthy or `ms` passes (then throw with `what`). */
export async function waitFor<T>(
  what: string,
  pred: () => T | Promise<T>,
  ms = 20_000,
): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await pred();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
}

/** A user module for busybox. */
export function busybox(
  cmd: string[],
  over: Record<string, unknown> = {},
  opts: Record<string, unknown> = {},
) {
  return {
    type: "docker",
    status: "running",
    restartPolicy: "always",
    settings: { image: IMAGE, createOptions: JSON.stringify({ Cmd: cmd, ...opts }) },
    imagePullPolicy: "never",
    ...over,
  };
}

/** A manifest with the given modules (and optional registry credentials). */
export function deployment(modules: Record<string, unknown>, creds?: Record<string, unknown>) {
  return {
    modulesContent: {
      $edgeAgent: {
        "properties.desired": {
          schemaVersion: "1.1",
          runtime: { type: "docker", settings: { registryCredentials: creds } },
          systemModules: {
            edgeAgent: { type: "docker", settings: { image: "ledge/agent:1" } },
            edgeHub: { type: "docker", status: "running", settings: { image: "ledge/hub:1" } },
          },
          modules,
        },
      },
    },
  };
}

/** Status row of one module from agent.list(). */
export function row(agent: Agent, name: string) {
  return agent.list().find((r) => r.name === name);
}
