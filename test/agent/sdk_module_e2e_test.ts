/**
 * End to end (issue 4): a containerized module on the official Azure IoT SDK, started by a real
 * `ledge run` through the test Docker engine, connects with `ModuleClient.fromEnvironment(Mqtt)`
 * and no connection string — its SAS token is signed and its trust bundle served by the module's
 * workload socket, then it speaks MQTT over TLS to ledge. Its `out1` messages go through a
 * route to its own `input1`, it echoes them to `out2`, and `ledge monitor` (a spawned process)
 * must see those echoes. `ledge list` and `ledge logs` show the module; removing it from the
 * deployment removes its container. The image is scripts/sdk-module-image.sh's (no registry).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import Docker from "dockerode";
import { LABELS } from "../../src/agent/mod.ts";
import { manifest } from "../fixtures/manifest.ts";
import { DENO, type Ledge, MAIN, startLedge } from "../helpers/ledge.ts";
import { engineAt, script, SOCK, waitFor } from "./integration_helpers.ts";

const IMAGE = "ledge-test/sdk-module:1";
const MODULE = "sdkmod";
const CI = Deno.env.get("CI") === "true";
const NAME = "agent e2e: SDK module from the workload API, routed out1 → input1 → out2";

/** Finds the test engine, starting it with scripts/dockerd-test.sh unless told not to. */
async function findEngine(): Promise<string | undefined> {
  if (await engineAt(SOCK)) return undefined;
  if (Deno.env.get("LEDGE_SKIP_DOCKER") !== "1") {
    try {
      script("dockerd-test.sh", ["start"], { LEDGE_TEST_DOCKER_SOCK: SOCK });
      if (await engineAt(SOCK)) return undefined;
    } catch (e) {
      return `Docker engine not reachable at ${SOCK} and could not be started: ${e}`;
    }
  }
  return `Docker engine not reachable at ${SOCK} (run scripts/dockerd-test.sh start)`;
}

/** One `ledge monitor` line, as far as this test reads it. */
interface MonitorEvent {
  event: {
    origin: string;
    module: string;
    payload: unknown;
    properties: { system: Record<string, string>; application: Record<string, string> };
  };
}

/** `ledge monitor` as its own process; `events()` parses what it printed so far. */
function startMonitor(
  ledge: Ledge,
): { proc: ChildProcess; out(): string; events(): MonitorEvent[] } {
  const proc = spawn(
    DENO,
    ["run", "-A", "--quiet", MAIN, "monitor", "--config", ledge.configPath],
    {
      cwd: ledge.dir,
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  let out = "";
  proc.stdout!.on("data", (d) => out += d);
  proc.stderr!.on("data", (d) => out += d);
  return {
    proc,
    out: () => out,
    events: () =>
      out.split(/\n(?=\{)/).filter((s) => s.startsWith("{")).flatMap((s) => {
        try {
          return [JSON.parse(s) as MonitorEvent];
        } catch {
          return []; // a line still being written
        }
      }),
  };
}

function sdkModule(): Record<string, unknown> {
  return {
    type: "docker",
    status: "running",
    restartPolicy: "always",
    version: "1.0",
    imagePullPolicy: "never",
    settings: {
      image: IMAGE,
      createOptions: JSON.stringify({ HostConfig: { NetworkMode: "host" } }),
    },
    env: { SDKMOD_INTERVAL_MS: { value: "500" } },
  };
}

const docker = new Docker({ socketPath: SOCK });

/** Containers named `sdkmod` (the name ledge gives a module's container). */
async function moduleContainers(): Promise<Array<{ Id: string; Labels: Record<string, string> }>> {
  return await docker.listContainers({ all: true, filters: { name: [`^/${MODULE}$`] } });
}

const skipWhy = await findEngine();
if (skipWhy && !CI) {
  console.warn(`\n*** SKIPPING "${NAME}": ${skipWhy} ***\n`);
  Deno.test({ name: NAME, ignore: true, fn() {} });
} else {
  Deno.test({ name: NAME, sanitizeOps: false, sanitizeResources: false }, async (t) => {
    if (skipWhy) throw new Error(skipWhy);
    script("sdk-module-image.sh", ["build"], { LEDGE_TEST_DOCKER_SOCK: SOCK });
    // A container left over from an interrupted run would be adopted or clash by name.
    for (const c of await moduleContainers()) {
      if (c.Labels[LABELS.module] === MODULE) {
        await docker.getContainer(c.Id).remove({ force: true });
      }
    }

    const ledge = await startLedge({ moby: { socket: `unix://${SOCK}`, network: "host" } });
    let monitor: ReturnType<typeof startMonitor> | undefined;
    try {
      monitor = startMonitor(ledge);
      const mon = monitor;
      await waitFor("monitor start", () => mon.out().includes("Starting event monitor"), 15_000);

      const deployFile = join(ledge.dir, "deployment.json");
      writeFileSync(
        deployFile,
        JSON.stringify(manifest({
          modules: { [MODULE]: sdkModule() },
          routes: {
            loop:
              `FROM /messages/modules/${MODULE}/outputs/out1 INTO BrokeredEndpoint("/modules/${MODULE}/inputs/input1")`,
            up: `FROM /messages/modules/${MODULE}/outputs/out2 INTO $upstream`,
          },
        })),
      );
      assert.match(await ledge.ok("deploy", deployFile), /^200\b/);

      await t.step("the container gets the workload socket and IOTEDGE_* env", async () => {
        const info = await waitFor("sdkmod container", async () => {
          const [c] = await moduleContainers();
          return c ? await docker.getContainer(c.Id).inspect() : undefined;
        }, 30_000);
        const env: string[] = info.Config.Env;
        for (
          const kv of [
            "IOTEDGE_WORKLOADURI=unix:///var/run/iotedge/workload.sock",
            `IOTEDGE_MODULEID=${MODULE}`,
            "IOTEDGE_DEVICEID=edge1",
            `IOTEDGE_GATEWAYHOSTNAME=${ledge.gateway}`,
            "IOTEDGE_AUTHSCHEME=sasToken",
          ]
        ) assert.ok(env.includes(kv), `env has ${kv}: ${env.join(" ")}`);
        assert.ok(!env.some((e) => /ConnectionString=/.test(e)), "no connection string");
        assert.equal(info.HostConfig.NetworkMode, "host");
        assert.match(await ledge.ok("identity", "list"), /edge1\/sdkmod\s+\S+\s+ledge/);
        assert.ok(existsSync(join(ledge.dir, "data", "workload", MODULE, "workload.sock")));
        assert.ok(
          info.HostConfig.Binds.includes(
            `${join(ledge.dir, "data", "workload", MODULE)}:/var/run/iotedge`,
          ),
          `binds: ${info.HostConfig.Binds}`,
        );
      });

      await t.step("out1 → route → input1 → module → out2 reaches ledge monitor", async () => {
        const echoes = () =>
          mon.events().filter((e) =>
            e.event.module === MODULE && e.event.properties.system.outputName === "out2"
          );
        await waitFor("three echoes on out2", () => echoes().length >= 3, 60_000).catch((e) => {
          throw new Error(
            `${e.message}\n--- monitor ---\n${mon.out().slice(-3000)}\n` +
              `--- ledge ---\n${ledge.log().slice(-6000)}`,
          );
        });
        const first = echoes()[0].event;
        assert.equal(first.origin, "edge1");
        assert.equal(first.properties.system.connectionModuleId, MODULE);
        assert.equal(first.properties.application.echoed, "true");
        assert.equal(first.properties.application["from-input"], "input1");
        const counter = Number(first.properties.application.counter);
        assert.ok(counter >= 1, `counter property: ${JSON.stringify(first.properties)}`);
        assert.equal(first.payload, JSON.stringify({ counter }));
        // The out1 originals are on the monitor too, with the same counters.
        assert.ok(
          mon.events().some((e) =>
            e.event.module === MODULE && e.event.properties.system.outputName === "out1" &&
            e.event.properties.application.counter === String(counter)
          ),
          "the out1 original of the first echo",
        );
      });

      await t.step("ledge list and ledge logs show the module", async () => {
        const list = await ledge.ok("list");
        assert.match(list, new RegExp(`${MODULE}\\s+running\\s+.*${IMAGE}`), list);
        const logs = await waitFor("module log lines", async () => {
          const out = await ledge.ok("logs", MODULE, "--tail", "20");
          return /sdkmod: echoed .* from input1 to out2/.test(out) ? out : undefined;
        }, 15_000);
        const lines = logs.split("\n").filter((l) => l.length > 0);
        assert.ok(lines.length <= 20, `--tail 20 gave ${lines.length} lines`);
        assert.match(logs, /sdkmod: sent counter \d+ to out1/);
      });

      await t.step("a deployment without the module removes its container", async () => {
        const empty = join(ledge.dir, "empty.json");
        writeFileSync(empty, JSON.stringify(manifest({})));
        assert.match(await ledge.ok("deploy", empty), /^200\b/);
        await waitFor(
          "container removed",
          async () => (await moduleContainers()).length === 0,
          30_000,
        );
        await waitFor(
          "module gone from ledge list",
          async () => !(await ledge.ok("list")).includes(MODULE),
          10_000,
        );
        await waitFor(
          "module identity removed",
          async () => !(await ledge.ok("identity", "list")).includes(`edge1/${MODULE}`),
          10_000,
        );
        assert.ok(!existsSync(join(ledge.dir, "data", "workload", MODULE, "workload.sock")));
      });
    } finally {
      monitor?.proc.kill();
      await ledge.cleanup();
      for (const c of await moduleContainers().catch(() => [])) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
      }
    }
  });
}
