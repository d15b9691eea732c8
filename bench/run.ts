/**
 * `deno task bench`: runs every benchmark in turn, each writing its results under
 * bench/results/. Name some to run only those: `deno task bench store_append routed_throughput`.
 * Each one is bounded in time and talks to loopback only; agent_deploy needs the test Docker
 * engine (scripts/dockerd-test.sh start), routed_throughput the peers (scripts/bench-peers.sh).
 */
import { spawnSync } from "node:child_process";
import process from "node:process";

const ALL: Record<string, string[]> = {
  store_append: ["bench/store_append.ts"],
  store_replay: ["bench/store_replay.ts"],
  mqtt_hub: ["bench/mqtt_hub.ts"],
  hub_disk_writes: ["bench/hub_disk_writes.ts"],
  hub_replay: ["bench/hub_replay.ts"],
  routed_throughput: ["bench/routed_throughput.ts", "--runs", "3", "--seconds", "8"],
  agent_deploy: ["bench/agent_deploy.ts"],
  memory: ["bench/memory.ts"],
};

const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!ALL[name]) {
    console.error(`unknown benchmark '${name}'; known: ${Object.keys(ALL).join(", ")}`);
    process.exit(2);
  }
}
let failed = 0;
for (const [name, args] of Object.entries(ALL)) {
  if (chosen.length && !chosen.includes(name)) continue;
  console.log(`\n=== ${name}`);
  const r = spawnSync(process.execPath, ["run", "-A", ...args], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.error(`=== ${name} failed (exit ${r.status})`);
  }
}
process.exit(failed ? 1 : 0);
