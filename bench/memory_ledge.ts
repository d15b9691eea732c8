/**
 * Runs a real `ledge run` for the memory benchmark and the constrained-memory test: free
 * loopback ports, a temp data directory, chosen V8 flags, optionally a wrapper command (to
 * start it inside a cgroup), `--trace-gc` parsing for the V8 heap, and module identities
 * created through the management socket with their SAS credentials ready for raw MQTT.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import yaml from "js-yaml";
import { call } from "../src/api/mgmt/client.ts";
import { moduleCredentials } from "./routed_wire.ts";
import { DENO, freePort, MAIN, ROOT } from "../test/helpers/ledge.ts";
import { parseTraceGc } from "./memory_proc.ts";

/** What a raw MQTT client needs to connect as one identity. */
export interface ClientSpec {
  clientId: string;
  username: string;
  password: string;
}

export interface BenchLedgeOptions {
  /** Merged over the base config (shallow per top-level key). */
  config?: Record<string, unknown>;
  v8Flags?: string[];
  /** More `deno run` options (e.g. `--inspect=127.0.0.1:PORT` for diagnosis). */
  denoArgs?: string[];
  /** Add `--trace-gc` and keep the last heap sizes it printed. */
  traceGc?: boolean;
  /** Command prefix, e.g. a cgroup wrapper; it must `exec` deno so the pid stays the same. */
  wrap?: string[];
  env?: Record<string, string>;
  /** What runs: `src/main.ts` (default) or the shipped bundle (`scripts/bundle.sh`). */
  entry?: "source" | "bundle";
}

/**
 * The bundle runs with its own Deno cache directory, as on a device, where the service's cache
 * (under /var/lib/ledge) holds only ledge's V8 code cache; the shared one of a development
 * machine holds every script ever run, and its mapped pages would count against ledge.
 */
export const BUNDLE_DENO_DIR = join(tmpdir(), "ledge-bench-deno-dir");

/** The bundle `scripts/bundle.sh` writes, which `cross-compile.sh` compiles. */
export const BUNDLE_MAIN = join(ROOT, "dist/bundle/main.js");

/** The V8 flags release binaries are compiled with (packaging/v8-flags). */
export const RELEASE_V8_FLAGS: string[] = readFileSync(join(ROOT, "packaging/v8-flags"), "utf8")
  .trim().split(",").filter(Boolean);

/** (Re)builds dist/bundle from the current sources; throws with the script's output. */
export function buildBundle(): void {
  const r = spawnSync("bash", [join(ROOT, "scripts/bundle.sh")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`scripts/bundle.sh failed:\n${r.stderr}`);
}

export interface BenchLedge {
  dir: string;
  mqttPort: number;
  proc: ChildProcess;
  pid: number;
  /** V8 heap after the last GC ledge traced (MiB), and how many GCs it traced. */
  heap(): { used: number; committed: number; gcs: number } | null;
  log(): string;
  /** Startup time of the last (re)start, ms from spawn to "ledge is running". */
  startupMs: number;
  /** Creates `edge1/<module>` and returns its MQTT credentials. */
  addModule(module: string): Promise<ClientSpec>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts ledge and resolves once it logs "ledge is running". */
export async function startBenchLedge(o: BenchLedgeOptions = {}): Promise<BenchLedge> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-mem-"));
  const mqttPort = await freePort();
  const config: Record<string, unknown> = {
    hostname: "localhost",
    device_id: "edge1",
    data_dir: join(dir, "data"),
    listen: { mqtts: null, mqtt: `127.0.0.1:${mqttPort}`, mgmt_socket: "mgmt.sock" },
    log: { level: "info" },
    moby: { socket: null },
    ...o.config,
  };
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, yaml.dump(config));
  const socketPath = join(dir, "data", "mgmt.sock");
  const flags = [...(o.v8Flags ?? []), ...(o.traceGc ? ["--trace-gc"] : [])];
  let logText = "";
  let heap: { used: number; committed: number; gcs: number } | null = null;
  const spawnDaemon = async (): Promise<ChildProcess> => {
    const args = [
      "run",
      "-A",
      "--quiet",
      ...(flags.length ? [`--v8-flags=${flags.join(",")}`] : []),
      ...(o.denoArgs ?? []),
      // The bundle runs as a release binary would: no deno.json, no npm resolution.
      ...(o.entry === "bundle" ? ["--no-config", BUNDLE_MAIN] : [MAIN]),
      "run",
      "--config",
      configPath,
    ];
    // V8 prints --trace-gc through C stdio, block-buffered into a pipe: stdbuf makes it
    // line-buffered so heap sizes arrive as they happen.
    const lineBuffered = o.traceGc && existsSync("/usr/bin/stdbuf")
      ? ["/usr/bin/stdbuf", "-oL"]
      : [];
    const cmd = [...(o.wrap ?? []), ...lineBuffered, DENO, ...args];
    const t0 = performance.now();
    const proc = spawn(cmd[0], cmd.slice(1), {
      cwd: ROOT,
      env: {
        ...process.env,
        NO_COLOR: "1",
        ...(o.entry === "bundle" ? { DENO_DIR: BUNDLE_DENO_DIR } : {}),
        ...o.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    proc.stdout!.on("data", (d: Uint8Array) => {
      const text = partial + new TextDecoder().decode(d);
      const lines = text.split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        const h = parseTraceGc(line);
        if (h) heap = { ...h, gcs: (heap?.gcs ?? 0) + 1 };
        else if (logText.length < 1 << 20) logText += line + "\n";
      }
    });
    proc.stderr!.on("data", (d) => {
      if (logText.length < 1 << 20) logText += d;
    });
    for (;;) {
      if (/ledge is running/.test(logText)) break;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`ledge exited ${proc.exitCode ?? proc.signalCode}:\n${logText}`);
      }
      if (performance.now() - t0 > 60_000) throw new Error(`ledge did not start:\n${logText}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    ledge.startupMs = Math.round(performance.now() - t0);
    return proc;
  };
  const waitExit = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.once("exit", () => r()));
  const ledge: BenchLedge = {
    dir,
    mqttPort,
    proc: undefined as unknown as ChildProcess, // set right below, before anyone can read it
    pid: 0,
    startupMs: 0,
    heap: () => heap,
    log: () => logText,
    async addModule(module) {
      const r = await call<{ primaryKey: string }>(socketPath, "POST", "/identities", {
        id: `edge1/${module}`,
      });
      return moduleCredentials(module, r.body.primaryKey, 6 * 3600);
    },
    async stop() {
      ledge.proc.kill("SIGTERM");
      const timer = setTimeout(() => ledge.proc.kill("SIGKILL"), 10_000);
      await waitExit(ledge.proc);
      clearTimeout(timer);
    },
    async restart() {
      logText = "";
      heap = null;
      ledge.proc = await spawnDaemon();
      ledge.pid = ledge.proc.pid!;
    },
    async cleanup() {
      if (ledge.proc.exitCode === null && ledge.proc.signalCode === null) await ledge.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await ledge.restart();
  return ledge;
}
