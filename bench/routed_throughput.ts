/**
 * Issue 3 benchmark (b): end-to-end QoS 1 routed throughput and latency, fan-in of 10
 * publishing modules to one consuming module, 256 B payloads, with ledge (fsync `always` and
 * `interval`), Mosquitto (`persistence true`) and aedes + LevelDB side by side in the same
 * run. Each broker starts fresh; the load generator (bench/routed_loadgen.ts) runs as its own
 * process. Reports received msg/s, p50/p99 latency, acknowledged-but-lost messages, and the
 * brokers' RSS and CPU in the measured window. Writes bench/results/routed_throughput.{json,md}.
 *
 * Usage: deno run -A bench/routed_throughput.ts [--runs 3] [--seconds 8] [--window 100]
 *        [--only ledge-always,ledge-interval,mosquitto,aedes-level]
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DENO, ROOT } from "../test/helpers/ledge.ts";
import {
  MOSQUITTO,
  type RunningBroker,
  startAedesLevel,
  startLedgeBroker,
  startMosquitto,
} from "./routed_brokers.ts";
import type { LoadConfig, LoadResult } from "./routed_loadgen.ts";
import { type BrokerRun, median, renderMarkdown } from "./routed_report.ts";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const RUNS = Number(arg("runs", "3"));
const SECONDS = Number(arg("seconds", "8"));
const WINDOW = Number(arg("window", "100"));
const PUBLISHERS = 10;
const PAYLOAD = 256;
const ALL = ["ledge-always", "ledge-interval", "mosquitto", "aedes-level"];
/** Extra rows: both brokers with an outbound window of 1000 instead of 100. */
const WIDE = ["ledge-always-w1000", "mosquitto-w1000"];
const ONLY = arg("only", [...ALL, ...WIDE].join(",")).split(",");
const SAVE = !process.argv.includes("--no-save");
/** `--prof DIR`: run ledge under V8's --prof and keep its tick logs in DIR. */
const PROF = arg("prof", "") || undefined;
/** `--ingest-only`: the consumer subscribes elsewhere; measures PUBACK rate alone (diagnosis). */
const INGEST_ONLY = process.argv.includes("--ingest-only");
/** `--probe`: run ledge under bench/routed_probe.ts and report its counters per window. */
const PROBE = process.argv.includes("--probe")
  ? join(os.tmpdir(), `routed-probe-${process.pid}.json`)
  : undefined;

/** `--paced N`: also run each main broker once at N msg/s in total (latency below capacity). */
const PACED = Number(arg("paced", "2000"));

/** `--ledge-max-inflight N`: ledge's mqtt.max_inflight (default 100, as Mosquitto's here). */
const LEDGE_INFLIGHT = Number(arg("ledge-max-inflight", "0")) || undefined;

const starters: Record<string, () => Promise<RunningBroker>> = {
  "ledge-always": () => startLedgeBroker("always", PUBLISHERS, PROF, PROBE, LEDGE_INFLIGHT),
  "ledge-interval": () => startLedgeBroker("interval", PUBLISHERS, PROF, PROBE, LEDGE_INFLIGHT),
  "mosquitto": () => startMosquitto(PUBLISHERS),
  "aedes-level": () => startAedesLevel(PUBLISHERS),
  "ledge-always-w1000": () => startLedgeBroker("always", PUBLISHERS, PROF, PROBE, 1000),
  "mosquitto-w1000": () => startMosquitto(PUBLISHERS, 1000),
};

/** RSS and peak RSS (kB → MB) of a pid from /proc. */
function memory(pid: number): { rssMb: number; hwmMb: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
  } catch {
    return { rssMb: NaN, hwmMb: NaN };
  }
}

/** CPU time (user + system) of a pid in ms. */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 1000 / 100; // USER_HZ = 100 on Linux
  } catch {
    return NaN;
  }
}

interface ProbeSnapshot {
  at: number;
  counters: Record<string, { calls: number; ms: number; maxMs: number; items: number }>;
  lag: { ticks: number; lateMs: number; maxMs: number; hist: number[] };
  lagBuckets: string[];
  heapUsedMb: number;
  rssMb: number;
}

function readProbe(): ProbeSnapshot | undefined {
  try {
    return PROBE ? JSON.parse(readFileSync(PROBE, "utf8")) : undefined;
  } catch {
    return undefined;
  }
}

/** Per-second rates and mean durations of the probe's counters between two snapshots. */
function probeDiff(a?: ProbeSnapshot, b?: ProbeSnapshot): Record<string, unknown> | undefined {
  if (!a || !b || b.at <= a.at) return undefined;
  const secs = (b.at - a.at) / 1000;
  const counters: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b.counters)) {
    const u = a.counters[k] ?? { calls: 0, ms: 0, items: 0 };
    const calls = v.calls - u.calls;
    counters[k] = {
      perSec: Math.round(calls / secs),
      meanMs: calls ? +((v.ms - u.ms) / calls).toFixed(3) : 0,
      itemsPerCall: calls ? +((v.items - u.items) / calls).toFixed(1) : 0,
    };
  }
  const ticks = b.lag.ticks - a.lag.ticks;
  return {
    seconds: +secs.toFixed(2),
    counters,
    loopLag: {
      timerTicksPerSec: Math.round(ticks / secs),
      meanLateMs: ticks ? +((b.lag.lateMs - a.lag.lateMs) / ticks).toFixed(2) : 0,
      histogram: Object.fromEntries(
        b.lagBuckets.map((k, i) => [`<=${k}ms`, b.lag.hist[i] - a.lag.hist[i]]),
      ),
    },
    heapUsedMb: +b.heapUsedMb.toFixed(1),
  };
}

function runLoad(cfg: LoadConfig, pid: number): Promise<{
  probe?: Record<string, unknown>;
  load: LoadResult;
  brokerCpuPct: number;
  rssIdleMb: number;
  rssPeakMb: number;
  rssEndMb: number;
}> {
  return new Promise((ok, fail) => {
    const rssIdleMb = memory(pid).rssMb;
    let peak = rssIdleMb;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memory(pid).rssMb);
    }, 200);
    const child = spawn(
      DENO,
      ["run", "-A", "--quiet", join(ROOT, "bench/routed_loadgen.ts"), JSON.stringify(cfg)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let text = "", c0 = NaN, c1 = NaN, w0 = 0, w1 = 0;
    let p0: ProbeSnapshot | undefined, p1: ProbeSnapshot | undefined;
    child.stdout.on("data", (d: Buffer) => {
      text += d;
      if (Number.isNaN(c0) && text.includes("MARK start")) {
        c0 = cpuMs(pid);
        w0 = performance.now();
        p0 = readProbe();
      }
      if (Number.isNaN(c1) && text.includes("MARK end")) {
        c1 = cpuMs(pid);
        w1 = performance.now();
        p1 = readProbe();
      }
    });
    const killer = setTimeout(
      () => child.kill("SIGKILL"),
      cfg.warmupMs + cfg.durationMs + cfg.drainMs + 60_000,
    );
    child.on("exit", () => {
      clearTimeout(killer);
      clearInterval(sampler);
      const line = /^RESULT (.*)$/m.exec(text)?.[1];
      if (!line) return fail(new Error(`load generator gave no result:\n${text}`));
      const load = JSON.parse(line);
      if (load.fatal) return fail(new Error(`load generator: ${load.fatal} ${load.errors}`));
      ok({
        probe: probeDiff(p0, p1),
        load,
        brokerCpuPct: (c1 - c0) / (w1 - w0) * 100,
        rssIdleMb: rssIdleMb,
        rssPeakMb: Math.max(peak, memory(pid).hwmMb),
        rssEndMb: memory(pid).rssMb,
      });
    });
  });
}

async function runOne(key: string, run: number, pacedTotal?: number): Promise<BrokerRun> {
  const loadAvg1m = os.loadavg()[0];
  const broker = await starters[key]();
  try {
    const cfg: LoadConfig = {
      port: broker.port,
      publishers: broker.publishers,
      consumer: INGEST_ONLY
        ? { ...broker.consumer, filter: broker.key === "ledge" ? "$iothub/twin/res/#" : "none/x" }
        : broker.consumer,
      window: WINDOW,
      payloadBytes: PAYLOAD,
      warmupMs: 1000,
      durationMs: SECONDS * 1000,
      drainMs: 30_000,
      drainIdleMs: 5_000,
      maxPerPublisher: 2_000_000,
      ...(pacedTotal ? { ratePerPublisher: pacedTotal / PUBLISHERS } : {}),
    };
    const r = await runLoad(cfg, broker.pid);
    if (r.probe) console.error(JSON.stringify(r.probe, null, 1));
    const l = r.load;
    console.error(
      `run ${run}${pacedTotal ? ` paced ${pacedTotal}/s` : ""} ${broker.name}: ${
        Math.round(l.receivedPerSec)
      } msg/s received, ` +
        `p50 ${l.latencyMs.p50} ms p99 ${l.latencyMs.p99} ms, lost ${l.lostAcked}/${l.acked} ` +
        `acked, broker CPU ${r.brokerCpuPct.toFixed(0)}%, RSS ${r.rssEndMb.toFixed(1)} MB ` +
        `(peak ${r.rssPeakMb.toFixed(1)})${l.errors.length ? ` errors: ${l.errors}` : ""}`,
    );
    return {
      key,
      name: broker.name,
      durability: broker.durability,
      run,
      pacedTotal,
      loadAvg1m,
      ...r,
    };
  } finally {
    await broker.stop().catch((e) => console.error(`stopping ${key}: ${e.message}`));
  }
}

function mosquittoVersion(): string {
  try {
    const out = spawnSync(MOSQUITTO, ["-h"], { encoding: "utf8" }).stdout;
    return /mosquitto version (\S+)/.exec(out)?.[1] ?? "?";
  } catch {
    return "missing";
  }
}

const started = new Date();
const runs: BrokerRun[] = [];
for (let run = 1; run <= RUNS; run++) {
  // Alternate the order between runs so no broker always runs on a warmer machine.
  const order = run % 2 === 1 ? ONLY : [...ONLY].reverse();
  for (const key of order) {
    try {
      runs.push(await runOne(key, run));
    } catch (e) {
      console.error(`run ${run} ${key} FAILED: ${(e as Error).message}`);
    }
  }
}

const paced: BrokerRun[] = [];
if (PACED > 0) {
  for (const key of ONLY.filter((k) => ALL.includes(k))) {
    try {
      paced.push(await runOne(key, 1, PACED));
    } catch (e) {
      console.error(`paced ${key} FAILED: ${(e as Error).message}`);
    }
  }
}

const summary = ONLY.map((key) => {
  const rs = runs.filter((r) => r.key === key);
  if (rs.length === 0) return { key, runs: 0 };
  return {
    key,
    name: rs[0].name,
    durability: rs[0].durability,
    runs: rs.length,
    receivedPerSec: median(rs.map((r) => r.load.receivedPerSec)),
    ackedPerSec: median(rs.map((r) => r.load.ackedPerSec)),
    p50Ms: median(rs.map((r) => r.load.latencyMs.p50)),
    p99Ms: median(rs.map((r) => r.load.latencyMs.p99)),
    lostAcked: rs.map((r) => r.load.lostAcked),
    ackedTotal: rs.map((r) => r.load.acked),
    duplicates: rs.map((r) => r.load.duplicates),
    brokerCpuPct: median(rs.map((r) => r.brokerCpuPct)),
    rssIdleMb: median(rs.map((r) => r.rssIdleMb)),
    rssPeakMb: median(rs.map((r) => r.rssPeakMb)),
    rssEndMb: median(rs.map((r) => r.rssEndMb)),
  };
});

const result = {
  benchmark: "routed_throughput",
  date: started.toISOString(),
  machine: {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "?",
    memGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
  },
  versions: { deno: process.versions.deno ?? "?", mosquitto: mosquittoVersion(), aedes: "1.2.0" },
  load: {
    publishers: PUBLISHERS,
    consumers: 1,
    payloadBytes: PAYLOAD,
    qos: 1,
    windowPerPublisher: WINDOW,
    warmupSeconds: 1,
    seconds: SECONDS,
    runs: RUNS,
  },
  command: `deno run -A bench/routed_throughput.ts --runs ${RUNS} --seconds ${SECONDS} ` +
    `--paced ${PACED}`,
  summary,
  runs,
  paced,
};
if (SAVE) {
  writeFileSync(
    join(ROOT, "bench/results/routed_throughput.json"),
    JSON.stringify(result, null, 2),
  );
  writeFileSync(join(ROOT, "bench/results/routed_throughput.md"), renderMarkdown(result));
}
console.log(renderMarkdown(result));
process.exit(0);
