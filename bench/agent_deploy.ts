/**
 * Benchmark: time from `agent.deploy()` to all modules running, for 1, 5 and 20 busybox
 * `sleep` modules (host network, local image, no pull), against the private test engine
 * (LEDGE_TEST_DOCKER_SOCK, default /run/ledge-test-docker.sock; start it with
 * scripts/dockerd-test.sh and build images with scripts/test-images.sh images). Also the
 * process RSS before creating the agent and with 20 modules running. Each size runs `ROUNDS`
 * times; containers are removed between rounds. Writes bench/results/agent_deploy.{json,md}.
 *
 * Run: node_modules/.bin/deno run -A bench/agent_deploy.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import Docker from "dockerode";
import { Agent, DockerEngine, LABELS } from "../src/agent/mod.ts";

const SOCK = process.env.LEDGE_TEST_DOCKER_SOCK ?? "/run/ledge-test-docker.sock";
const SIZES = [1, 5, 20];
const ROUNDS = 3;
const TIMEOUT_MS = 120_000;

const engine = new DockerEngine(SOCK);
try {
  await engine.ping();
} catch {
  console.error(`agent_deploy: no Docker engine at ${SOCK}; run scripts/dockerd-test.sh start`);
  process.exit(1);
}
const docker = new Docker({ socketPath: SOCK });

function manifest(n: number) {
  const modules: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    modules[`bench-m${String(i).padStart(2, "0")}`] = {
      type: "docker",
      status: "running",
      restartPolicy: "always",
      imagePullPolicy: "never",
      settings: { image: "ledge-test/busybox:1", createOptions: '{"Cmd":["sleep","3600"]}' },
    };
  }
  return {
    modulesContent: {
      $edgeAgent: {
        "properties.desired": {
          schemaVersion: "1.1",
          runtime: { type: "docker" },
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

function newAgent(owner: string): Agent {
  const data = new Map<string, string>();
  return new Agent({
    engine,
    owner,
    network: "host",
    state: { get: (k) => data.get(k), set: (k, v) => void data.set(k, v) },
    identities: {
      ensureModule: (id) => Promise.resolve({ generationId: `g-${id}` }),
      removeModule: () => Promise.resolve(),
    },
    workloadSocketDir: (id) => join(tmpdir(), "ledge-bench", id),
    env: { deviceId: "bench", iothubHostname: "hub.local", gatewayHostname: "gw.local" },
    periodMs: 100,
    stopTimeoutSec: 1,
  });
}

async function removeOwned(owner: string) {
  const list: { Id: string }[] = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.owner}=${owner}`] },
  });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })));
}

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024 * 10) / 10;
const results: { modules: number; ms: number[]; medianMs: number }[] = [];
let rssBefore = 0, rssWith20 = 0;

for (const n of SIZES) {
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const owner = `ledge-bench-${crypto.randomUUID().slice(0, 8)}`;
    if (n === 20 && r === 0) rssBefore = rssMb();
    const agent = newAgent(owner);
    await agent.start();
    const t0 = performance.now();
    const res = await agent.deploy(manifest(n));
    if (res.code !== 200) throw new Error(`deploy failed: ${res.description}`);
    while (agent.list().filter((m) => m.status === "running").length < n) {
      if (performance.now() - t0 > TIMEOUT_MS) throw new Error("timed out");
      await new Promise((res) => setTimeout(res, 10));
    }
    ms.push(Math.round(performance.now() - t0));
    if (n === 20 && r === 0) rssWith20 = rssMb();
    await agent.stop();
    await removeOwned(owner);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  results.push({ modules: n, ms, medianMs: sorted[Math.floor(sorted.length / 2)] });
  console.log(`${n} modules: ${ms.join(", ")} ms`);
}

// Baseline: the same 20 containers created and started one by one with plain dockerode.
const baseOwner = `ledge-bench-${crypto.randomUUID().slice(0, 8)}`;
const b0 = performance.now();
for (let i = 0; i < 20; i++) {
  const c = await docker.createContainer({
    name: `bench-base-${i}`,
    Image: "ledge-test/busybox:1",
    Cmd: ["sleep", "3600"],
    Labels: { [LABELS.owner]: baseOwner },
    HostConfig: { NetworkMode: "host" },
  });
  await c.start();
}
const baselineMs = Math.round(performance.now() - b0);
await removeOwned(baseOwner);
console.log(`baseline 20 sequential create+start: ${baselineMs} ms`);

const info = await docker.version();
const out = {
  bench: "agent_deploy",
  date: new Date().toISOString(),
  engine: `docker ${info.Version} (private test engine, host network)`,
  rounds: ROUNDS,
  results,
  baselineSequential20Ms: baselineMs,
  rssMb: { beforeAgent: rssBefore, with20Running: rssWith20 },
};
const dir = new URL("./results/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "agent_deploy.json"), JSON.stringify(out, null, 2) + "\n");
const md = [
  "# agent_deploy",
  "",
  `Time from \`agent.deploy()\` to all modules \`running\` (busybox \`sleep\`, local image, no pull,`,
  `host network), ${ROUNDS} rounds each; ${out.engine}; ${out.date}.`,
  "",
  "| modules | median ms | all rounds ms |",
  "|---:|---:|---|",
  ...results.map((r) => `| ${r.modules} | ${r.medianMs} | ${r.ms.join(", ")} |`),
  "",
  `Baseline: the same 20 containers created and started sequentially with plain dockerode: ${baselineMs} ms`,
  "(ledge runs modules of one startupOrder group 4 at a time).",
  "",
  `Process RSS: ${rssBefore} MB before creating the agent, ${rssWith20} MB with 20 modules running.`,
  "",
  "Command: `node_modules/.bin/deno run -A bench/agent_deploy.ts`",
  "",
].join("\n");
writeFileSync(join(dir, "agent_deploy.md"), md);
console.log(md);
