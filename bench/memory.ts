/**
 * Memory budget of `ledge run` for Raspberry Pi class devices (512 MB): RSS (VmRSS, VmHWM,
 * anon/file split, smaps breakdown) and V8 heap (from `--trace-gc`) when idle (hub only, and
 * with the agent on a socket that does not exist), with 200 idle SAS-authenticated MQTT
 * clients, under 2,000 msg/s of routed QoS 1 telemetry (module → route → module input) for
 * 60 s, and idle after a restart over a 1 GB backlog. What is measured is what ships: the
 * bundle (scripts/bundle.sh, rebuilt first) with the release V8 flags (packaging/v8-flags),
 * run without deno.json as a compiled binary runs it; idle and load are repeated from source
 * (`deno run src/main.ts`, default flags) for comparison. Also attributes the idle megabytes
 * to dependencies and tries V8 flags sized for small devices. Loopback only, bounded in time.
 *
 * Run: `deno task bench:memory` (about 8 minutes) or `deno run -A bench/memory.ts --quick`
 * (load 20 s, backlog 200 MB). Writes bench/results/memory.{json,md}.
 *
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort, ROOT } from "../test/helpers/ledge.ts";
import { attribute } from "./memory_attribution.ts";
import { InspectorSession } from "./memory_inspector.ts";
import {
  type BenchLedge,
  buildBundle,
  BUNDLE_DENO_DIR,
  RELEASE_V8_FLAGS,
  startBenchLedge,
} from "./memory_ledge.ts";
import { type ProcMemory, procMemory, round1, smapsBreakdown } from "./memory_proc.ts";
import { markdown } from "./memory_report.ts";
import { textPages } from "./memory_text_pages.ts";
import {
  loadSpec,
  ROUTE_TO_CONSUMER,
  ROUTE_TO_OFFLINE,
  routedClients,
  runLoad,
} from "./memory_scenarios.ts";

const quick = process.argv.includes("--quick");
const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const LOAD_MS = Number(arg("load-secs") ?? (quick ? 20 : 60)) * 1000;
const BACKLOG_BYTES = quick ? 200 << 20 : 1 << 30;
const FLAG_LOAD_MS = quick ? 4_000 : 6_000;
/** The V8 flags release binaries carry (packaging/v8-flags; see the flag sweep). */
export const RECOMMENDED_V8_FLAGS = RELEASE_V8_FLAGS;
type Entry = "source" | "bundle";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => console.error(`[memory] ${s}`);

/** One memory snapshot of ledge: /proc plus the last traced V8 heap. */
function snap(l: BenchLedge) {
  const m = procMemory(l.pid) as ProcMemory;
  const h = l.heap();
  return {
    rss: round1(m.rss),
    hwm: round1(m.hwm),
    anon: round1(m.anon),
    file: round1(m.file),
    heapUsed: h?.used ?? null,
    heapCommitted: h?.committed ?? null,
  };
}

async function idle(
  config: Record<string, unknown>,
  v8Flags: string[] = RELEASE_V8_FLAGS,
  entry: Entry = "bundle",
) {
  const l = await startBenchLedge({ config, v8Flags, entry, traceGc: true });
  try {
    await sleep(4000);
    return { startupMs: l.startupMs, ...snap(l), smaps: smapsBreakdown(l.pid) };
  } finally {
    await l.cleanup();
  }
}

/**
 * The embedded default config, except for the data directory, a free port and the engine
 * socket: MQTT over TLS only, and the agent on, pointed at a socket where no engine listens
 * (as on a device whose Docker is down; never a developer's real engine, whose containers an
 * agent with an empty deployment would consider its own to clean up).
 */
async function defaultConfig(): Promise<Record<string, unknown>> {
  return {
    listen: { mqtts: `127.0.0.1:${await freePort()}`, mqtt: null, mgmt_socket: "mgmt.sock" },
    moby: { socket: "unix:///nonexistent/docker.sock", network: "azure-iot-edge" },
  };
}

/** (b) then (c): 200 idle clients, then paced routed load with them still connected. */
async function connectionsAndLoad(
  v8Flags: string[] = RELEASE_V8_FLAGS,
  entry: Entry = "bundle",
) {
  const l = await startBenchLedge({
    v8Flags,
    entry,
    config: { routes: { telemetry: ROUTE_TO_CONSUMER } },
    traceGc: true,
  });
  try {
    await sleep(2000);
    const before = snap(l);
    const clients = await routedClients(l, { publishers: 4, idle: 200 });
    const samples: Array<{ t: number } & ReturnType<typeof snap>> = [];
    let idle200: ReturnType<typeof snap> | undefined;
    let loadStart = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    const result = await runLoad(
      loadSpec(l.mqttPort, clients, { idleHoldMs: 4000, durationMs: LOAD_MS, rate: 2000 }),
      (line) => {
        if (line === "MARK idle") setTimeout(() => idle200 = snap(l), 3500);
        if (line === "MARK load") {
          loadStart = performance.now();
          timer = setInterval(() => {
            const t = Math.round((performance.now() - loadStart) / 1000);
            if (t <= LOAD_MS / 1000) samples.push({ t, ...snap(l) });
          }, 1000);
        }
      },
    );
    clearInterval(timer);
    const at = (s: number) => samples.find((x) => x.t >= s) ?? samples[samples.length - 1];
    const early = at(10), late = at(LOAD_MS / 1000);
    const growthPct = early && late ? round1((late.rss / early.rss - 1) * 100) : null;
    return {
      idleBefore: before,
      idle200: idle200 ?? null,
      load: {
        seconds: LOAD_MS / 1000,
        fsync: "always (default)",
        rssAt10s: early?.rss ?? null,
        rssAtEnd: late?.rss ?? null,
        growthPct,
        withinTenPct: growthPct !== null && growthPct <= 10,
        peakRss: round1(Math.max(...samples.map((s) => s.rss))),
        hwm: snap(l).hwm,
        result,
        samples,
      },
      smapsUnderLoad: smapsBreakdown(l.pid),
    };
  } finally {
    await l.cleanup();
  }
}

/** Live V8 heap (after forced full GCs, via the inspector) idle and with 200 idle clients. */
async function liveHeap() {
  const port = await freePort();
  const l = await startBenchLedge({
    entry: "bundle",
    v8Flags: RELEASE_V8_FLAGS,
    denoArgs: [`--inspect=127.0.0.1:${port}`],
  });
  const s = await InspectorSession.open(port);
  const measure = async () => ({ ...await s.heapAfterGc(), rss: snap(l).rss });
  try {
    await sleep(1500);
    const idle = await measure();
    const clients = await routedClients(l, { publishers: 0, idle: 200 });
    let conns: Awaited<ReturnType<typeof measure>> | undefined;
    await runLoad(
      loadSpec(l.mqttPort, { idle: clients.idle }, { idleHoldMs: 5000, durationMs: 0, rate: 0 }),
      async (line) => {
        if (line !== "MARK idle") return;
        await sleep(1000);
        conns = await measure();
      },
    );
    return {
      note: "ledge with --inspect; heap after two forced full GCs; RSS includes the inspector",
      idle,
      conns200: conns ?? null,
      perConnectionKiB: conns ? Math.round((conns.used - idle.used) / 200 * 1024) : null,
    };
  } finally {
    s.close();
    await l.cleanup();
  }
}

/** (d): fill a backlog for a module that never connects, restart, measure idle. */
async function backlog() {
  const l = await startBenchLedge({
    config: {
      routes: { backlog: ROUTE_TO_OFFLINE },
      store: { fsync: "never", max_bytes: 4 * 1024 ** 3 },
    },
    entry: "bundle",
    v8Flags: RELEASE_V8_FLAGS,
    traceGc: true,
  });
  try {
    const clients = await routedClients(l, { publishers: 4, idle: 0 });
    await l.addModule("offline");
    const t0 = performance.now();
    const fill = await runLoad(
      loadSpec(l.mqttPort, { publishers: clients.publishers }, {
        rate: 0,
        window: 50,
        payloadBytes: 4096,
        durationMs: 150_000,
        targetBytes: BACKLOG_BYTES,
        drainMs: 10_000,
      }),
    );
    const fillSecs = round1((performance.now() - t0) / 1000);
    const afterFill = snap(l);
    await l.stop();
    await l.restart();
    await sleep(4000);
    return {
      targetMiB: BACKLOG_BYTES >> 20,
      payloadBytes: 4096,
      fsync: "never",
      fill,
      fillSecs,
      afterFill,
      restartStartupMs: l.startupMs,
      idleAfterRestart: snap(l),
      smaps: smapsBreakdown(l.pid),
    };
  } finally {
    await l.cleanup();
  }
}

/** V8 flag sets to compare; an `ENV=value` entry is set in ledge's environment instead. */
const FLAG_SETS: string[][] = [
  [],
  ["--max-old-space-size=160", "--max-semi-space-size=4"],
  ["--max-old-space-size=96", "--max-semi-space-size=2"],
  ["--max-old-space-size=96", "--max-semi-space-size=1"],
  ["--max-old-space-size=64", "--max-semi-space-size=1"],
  ["--max-old-space-size=96", "--max-semi-space-size=1", "--no-maglev"],
  RELEASE_V8_FLAGS,
  [...RELEASE_V8_FLAGS, "MALLOC_ARENA_MAX=2"],
  [...RELEASE_V8_FLAGS, "--optimize-for-size"],
  ["--lite-mode"],
];

/** Idle RSS and unpaced routed throughput per V8 flag set. */
async function flagSweep() {
  const out = [];
  for (const flags of FLAG_SETS) {
    say(`flags: ${flags.join(" ") || "(none)"}`);
    const l = await startBenchLedge({
      config: { routes: { telemetry: ROUTE_TO_CONSUMER }, store: { fsync: "interval" } },
      v8Flags: flags.filter((f) => f.startsWith("--")),
      entry: "bundle",
      env: Object.fromEntries(flags.filter((f) => !f.startsWith("--")).map((f) => f.split("="))),
      traceGc: true,
    });
    try {
      await sleep(3000);
      const idleSnap = snap(l);
      const clients = await routedClients(l, { publishers: 4, idle: 0 });
      let peak = 0;
      const timer = setInterval(() => peak = Math.max(peak, procMemory(l.pid)?.rss ?? 0), 500);
      const r = await runLoad(
        loadSpec(l.mqttPort, clients, { rate: 0, window: 100, durationMs: FLAG_LOAD_MS }),
      );
      clearInterval(timer);
      out.push({
        flags: flags.join(" ") || "(none)",
        idleRss: idleSnap.rss,
        idleHeapCommitted: idleSnap.heapCommitted,
        msgPerSec: "fatal" in r ? null : r.receivedPerSec,
        lostAcked: "fatal" in r ? null : r.lostAcked,
        peakRss: round1(peak),
        endRss: snap(l).rss,
        error: "fatal" in r ? r.fatal : undefined,
      });
    } finally {
      await l.cleanup();
    }
  }
  return out;
}

/** `--only=load` (or idle, backlog, flags, attribution): run one part, print JSON, write nothing. */
async function only(part: string) {
  const parts: Record<string, () => Promise<unknown>> = {
    attribution: () => attribute(),
    idle: async () => ({
      hub: await idle({}),
      agent: await idle(await defaultConfig()),
      source: await idle({}, [], "source"),
    }),
    load: () =>
      connectionsAndLoad(
        arg("v8")?.split(",").filter(Boolean) ?? RELEASE_V8_FLAGS,
        (arg("entry") ?? "bundle") as Entry,
      ),
    heap: liveHeap,
    backlog,
    flags: flagSweep,
    pages: () => Promise.resolve(textPages()),
  };
  if (!parts[part]) throw new Error(`--only: expected one of ${Object.keys(parts).join(", ")}`);
  console.log(JSON.stringify(await parts[part](), null, 1));
}

/** `--render`: rewrites memory.md from memory.json (after a change to the report's layout). */
function render() {
  const dir = join(ROOT, "bench/results");
  const results = JSON.parse(readFileSync(join(dir, "memory.json"), "utf8"));
  results.executablePages ??= textPages();
  writeFileSync(join(dir, "memory.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(dir, "memory.md"), markdown(results));
}

async function main() {
  if (process.argv.includes("--render")) return render();
  const onlyArg = process.argv.find((a) => a.startsWith("--only="));
  say("bundling (scripts/bundle.sh)");
  buildBundle();
  if (onlyArg) return await only(onlyArg.slice("--only=".length));
  const started = performance.now();
  say("first start of the fresh bundle on an empty Deno cache (V8 writes its code cache)");
  rmSync(BUNDLE_DENO_DIR, { recursive: true, force: true });
  const firstStart = await idle({});
  say("attributing idle memory to imports");
  const attribution = await attribute();
  say("pages of the deno executable touched, by startup step");
  const executablePages = textPages();
  say("idle, moby.socket null");
  const idleHub = await idle({});
  say("live V8 heap via the inspector");
  const heapAfterGc = await liveHeap();
  say("idle, the default config (MQTTS, agent on)");
  const idleAgent = await idle(await defaultConfig());
  say(`200 idle clients, then 2,000 msg/s routed for ${LOAD_MS / 1000} s`);
  const load = await connectionsAndLoad();
  say("idle, from source with default V8 flags");
  const idleSource = await idle({}, [], "source");
  say("the load again from source with default V8 flags");
  const loadSource = await connectionsAndLoad([], "source");
  say(`backlog of ${BACKLOG_BYTES >> 20} MiB, then restart`);
  const bl = await backlog();
  say("V8 flag sweep");
  const flags = await flagSweep();
  const results = {
    when: new Date().toISOString(),
    command: `deno run -A bench/memory.ts${quick ? " --quick" : ""}`,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${
      Math.round(totalmem() / 2 ** 20)
    } MiB, deno ${process.versions.deno ?? "?"}`,
    quick,
    targets: { idleRssMiB: 60, loadedRssMiB: 90, growthPct: 10 },
    attribution,
    executablePages,
    shipped: {
      flags: RELEASE_V8_FLAGS.join(","),
      firstStart,
      idleHub,
      idleAgent,
      ...load,
    },
    source: { idleHub: idleSource, ...loadSource },
    heapAfterGc,
    backlog: bl,
    flags,
    benchSeconds: Math.round((performance.now() - started) / 1000),
  };
  const dir = join(ROOT, "bench/results");
  writeFileSync(join(dir, "memory.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(dir, "memory.md"), markdown(results));
  say(`done in ${results.benchSeconds} s: bench/results/memory.{json,md}`);
}

if (import.meta.main) await main();
