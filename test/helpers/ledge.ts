/**
 * Test harness: runs a real `ledge run` process on free loopback ports in a temp directory,
 * and the `ledge` CLI against it, exactly as a user would.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import yaml from "js-yaml";

export const ROOT = resolve(import.meta.dirname!, "../..");
/**
 * What `ledge` is in the tests: src/main.ts, or with LEDGE_TEST_ENTRY=dist/bundle/main.js the
 * shipped bundle (scripts/test.sh runs the end-to-end tests a second time that way).
 */
export const MAIN = resolve(ROOT, process.env.LEDGE_TEST_ENTRY || "src/main.ts");
export const DENO = process.execPath;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ledge ARGS` with `cwd`; resolves when it exits. */
export function runCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((ok) => {
    const child = spawn(DENO, ["run", "-A", "--quiet", MAIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => stdout += d);
    child.stderr.on("data", (d) => stderr += d);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      ok({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface Ledge {
  dir: string;
  configPath: string;
  mqttsPort: number;
  mqttPort: number;
  /** GatewayHostName clients use: `localhost:PORT`. */
  gateway: string;
  proc: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  log(): string;
  cli(...args: string[]): Promise<CliResult>;
  /** Runs the CLI and fails the test unless it exits 0; returns stdout trimmed. */
  ok(...args: string[]): Promise<string>;
  ca(): string;
  /** Adds an identity and returns its connection string. */
  addIdentity(id: string): Promise<string>;
  stop(): Promise<void>;
  /** SIGKILL, as a power cut would. */
  kill(): Promise<void>;
  /** Starts the daemon again on the same directory and ports. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts ledge with `overrides` merged into a test config (free ports, temp data dir). */
export async function startLedge(overrides: Record<string, unknown> = {}): Promise<Ledge> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-test-"));
  const mqttsPort = await freePort();
  const mqttPort = await freePort();
  const base: Record<string, unknown> = {
    hostname: "localhost",
    device_id: "edge1",
    data_dir: join(dir, "data"),
    listen: {
      mqtts: `127.0.0.1:${mqttsPort}`,
      mqtt: `127.0.0.1:${mqttPort}`,
      mgmt_socket: "mgmt.sock",
    },
    log: { level: "debug" },
    // No agent unless a test asks for one (the Docker engine is the agent tests' business).
    moby: { socket: null },
  };
  const config = deepMerge(base, overrides);
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, yaml.dump(config));
  let logText = "";
  const spawnDaemon = async (): Promise<ChildProcess> => {
    const before = logText.length;
    // LEDGE_DENO_FLAGS: extra `deno run` flags for the daemon (profiling, V8 heap flags).
    const extra = process.env.LEDGE_DENO_FLAGS?.split(" ").filter(Boolean) ?? [];
    const proc = spawn(DENO, [
      "run",
      "-A",
      "--quiet",
      ...extra,
      MAIN,
      "run",
      "--config",
      configPath,
    ], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout!.on("data", (d) => logText += d);
    proc.stderr!.on("data", (d) => logText += d);
    const started = Date.now();
    while (!/ledge is running/.test(logText.slice(before))) {
      if (proc.exitCode !== null) throw new Error(`ledge exited ${proc.exitCode}:\n${logText}`);
      if (Date.now() - started > 30_000) throw new Error(`ledge did not start:\n${logText}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return proc;
  };
  const waitExit = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.once("exit", () => r()));
  const ledge: Ledge = {
    dir,
    configPath,
    mqttsPort,
    mqttPort,
    gateway: `localhost:${mqttsPort}`,
    proc: await spawnDaemon(),
    log: () => logText,
    cli: (...args) => runCli([...args, "--config", configPath], { cwd: dir }),
    async ok(...args) {
      const r = await ledge.cli(...args);
      if (r.code !== 0) {
        throw new Error(`ledge ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
      }
      return r.stdout.trim();
    },
    ca: () => readFileSync(join(dir, "data", "pki", "edge-ca.cert.pem"), "utf8"),
    addIdentity: (id) => ledge.ok("identity", "add", id),
    async stop() {
      ledge.proc.kill("SIGTERM");
      await waitExit(ledge.proc);
    },
    async kill() {
      ledge.proc.kill("SIGKILL");
      await waitExit(ledge.proc);
    },
    async restart() {
      logText += "\n--- restart ---\n";
      ledge.proc = await spawnDaemon();
    },
    async cleanup() {
      if (ledge.proc.exitCode === null && ledge.proc.signalCode === null) await ledge.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ledge;
}

function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && cur && typeof cur === "object"
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** Polls `fn` until it returns truthy or `timeoutMs` passes. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
