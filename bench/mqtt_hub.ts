/**
 * Benchmark of ledge's MQTT endpoint, loopback only and bounded in time: connect rate with
 * valid SAS (plain and TLS), QoS 1 telemetry throughput with 1/10/50 concurrent clients, and
 * the daemon's resident memory (idle, with 200 idle connections, peak under load). Starts
 * real `ledge run` processes via the test harness — one with the default store settings
 * (fsync=always), one with fsync=never to show the MQTT path without disk flushes — and
 * writes bench/results/mqtt_hub.{json,md}.
 *
 * Run: node_modules/.bin/deno run -A bench/mqtt_hub.ts [--quick]
 *
 * @module
 */
import { execSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { call } from "../src/api/mgmt/client.ts";
import { buildSasToken, resourceUri } from "../src/identity/sas.ts";
import { type Ledge, startLedge } from "../test/helpers/ledge.ts";
import { BenchClient } from "./mqtt_bench_client.ts";
import { markdown, type Row } from "./mqtt_hub_report.ts";

const QUICK = process.argv.includes("--quick");
const CONNECT_N = 200;
const CONNECT_CONCURRENCY = 20;
const THROUGHPUT_CLIENTS = [1, 10, 50];
const DURATION_MS = QUICK ? 2_000 : 5_000;
const WINDOW = 100;
const PAYLOAD = new Uint8Array(256).fill(0x61);
const WARMUP_CLIENTS = 10;
const WARMUP_MS = QUICK ? 1_000 : 3_000;
const HARD_LIMIT_MS = 240_000;
const RESULTS = resolve(import.meta.dirname!, "results");

const hardStop = setTimeout(() => {
  console.error(`benchmark exceeded ${HARD_LIMIT_MS} ms; aborting`);
  process.exit(2);
}, HARD_LIMIT_MS);

/** VmRSS / VmHWM of `pid` in MiB. */
function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: round(kb("VmRSS") / 1024), hwmMiB: round(kb("VmHWM") / 1024) };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn(i)` for i < n with at most `limit` at a time. */
async function pool<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

/** Loopback round trips per second of a 4-byte ping-pong over plain TCP in this process. */
async function loopbackBaseline(): Promise<number> {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on("data", (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const c = net.connect({ port: (server.address() as net.AddressInfo).port, host: "127.0.0.1" });
  c.setNoDelay(true);
  await new Promise((r) => c.once("connect", r));
  let n = 0;
  const end = Date.now() + 1_000;
  await new Promise<void>((done) => {
    c.on("data", () => {
      n++;
      if (Date.now() < end) c.write("ping");
      else done();
    });
    c.write("ping");
  });
  c.destroy();
  await new Promise((r) => server.close(r));
  return n;
}

type Creds = { clientId: string; username: string; password: string };

/** Adds `n` devices through the management API (fast: no CLI process per identity). */
async function addDevices(ledge: Ledge, n: number): Promise<Creds[]> {
  const sock = join(ledge.dir, "data", "mgmt.sock");
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const out: Creds[] = [];
  for (let i = 0; i < n; i++) {
    const id = `bench${String(i).padStart(3, "0")}`;
    const r = await call<{ primaryKey: string }>(sock, "POST", "/identities", { id });
    out.push({
      clientId: id,
      username: `localhost/${id}/?api-version=2021-04-12&DeviceClientType=ledge-bench`,
      password: buildSasToken(resourceUri("localhost", id), r.body.primaryKey, expiry),
    });
  }
  return out;
}

function connectAll(ledge: Ledge, creds: Creds[], tls: boolean, concurrency: number) {
  const ca = tls ? ledge.ca() : undefined;
  return pool(creds.length, concurrency, (i) =>
    BenchClient.connect({
      port: tls ? ledge.mqttsPort : ledge.mqttPort,
      ...(ca ? { ca } : {}),
      ...creds[i],
    }));
}

/** QoS 1 publishing from every client for `ms`; returns one result row. */
async function publishRun(clients: BenchClient[], creds: Creds[], ms: number) {
  const started = performance.now();
  const until = Date.now() + ms;
  const results = await Promise.all(
    clients.map((c, i) =>
      c.publishFor(`devices/${creds[i].clientId}/messages/events/`, PAYLOAD, WINDOW, until)
    ),
  );
  const secs = (performance.now() - started) / 1000;
  const acks = results.reduce((s, r) => s + r.acks, 0);
  const lat = Float64Array.from(results.flatMap((r) => [...r.latencies])).sort();
  return {
    seconds: round(secs, 2),
    messages: acks,
    msgPerSec: Math.round(acks / secs),
    p50Ms: round(percentile(lat, 50), 2),
    p99Ms: round(percentile(lat, 99), 2),
  };
}

/** Warm-up (not measured): a fresh process runs cold (JIT) for its first seconds. */
async function warmUp(ledge: Ledge, creds: Creds[]): Promise<void> {
  for (const tls of [false, true]) {
    const warm = await connectAll(ledge, creds.slice(0, WARMUP_CLIENTS), tls, WARMUP_CLIENTS);
    await publishRun(warm, creds, WARMUP_MS);
    await Promise.all(warm.map((c) => c.close()));
  }
}

/** Throughput rows for both transports and every client count; samples RSS for the peak. */
async function throughput(ledge: Ledge, creds: Creds[], fsync: string) {
  const pid = ledge.proc.pid!;
  let peakRss = 0;
  const sampler = setInterval(() => peakRss = Math.max(peakRss, memory(pid).rssMiB), 100);
  const rows: Row[] = [];
  try {
    for (const transport of ["mqtt", "mqtts"] as const) {
      for (const n of THROUGHPUT_CLIENTS) {
        const clients = await connectAll(ledge, creds.slice(0, n), transport === "mqtts", 20);
        const row = {
          fsync,
          transport,
          clients: n,
          ...(await publishRun(clients, creds, DURATION_MS)),
        };
        rows.push(row);
        console.log(JSON.stringify(row));
        await Promise.all(clients.map((c) => c.close()));
      }
    }
  } finally {
    clearInterval(sampler);
  }
  return { rows, peakRss };
}

const loadBefore = os.loadavg().map((l) => round(l, 2));
const baselineRtt = await loopbackBaseline();
console.log(`loopback TCP ping-pong: ${baselineRtt} round trips/s`);

// Run 1: default configuration (store.fsync=always).
const ledge = await startLedge({ log: { level: "info" } });
const pid = ledge.proc.pid!;
let run1;
try {
  console.log(`ledge pid ${pid}; mqtt ${ledge.mqttPort}, mqtts ${ledge.mqttsPort}`);
  const creds = await addDevices(ledge, CONNECT_N);
  await sleep(1_000);
  const memIdle = memory(pid);
  console.log(`idle RSS ${memIdle.rssMiB} MiB`);
  await warmUp(ledge, creds);

  const timeConnects = async (tls: boolean) => {
    const started = performance.now();
    const clients = await connectAll(ledge, creds, tls, CONNECT_CONCURRENCY);
    const secs = (performance.now() - started) / 1000;
    return { clients, perSec: round(CONNECT_N / secs), secs: round(secs, 2) };
  };
  const plain = await timeConnects(false);
  console.log(`connect plain: ${plain.perSec}/s`);
  await sleep(1_500);
  const memIdlePlain = memory(pid);
  console.log(`RSS with ${CONNECT_N} idle plain connections ${memIdlePlain.rssMiB} MiB`);
  await Promise.all(plain.clients.map((c) => c.close()));
  const secure = await timeConnects(true);
  console.log(`connect TLS: ${secure.perSec}/s`);
  await sleep(1_500);
  const memIdleConns = memory(pid);
  console.log(`RSS with ${CONNECT_N} idle TLS connections ${memIdleConns.rssMiB} MiB`);
  await Promise.all(secure.clients.map((c) => c.close()));

  const tp = await throughput(ledge, creds, "always");
  const warnings = ledge.log().split("\n").filter((l) => / (ERROR|WARN) /.test(l));
  run1 = {
    connect: {
      clients: CONNECT_N,
      concurrency: CONNECT_CONCURRENCY,
      plainPerSec: plain.perSec,
      plainSeconds: plain.secs,
      tlsPerSec: secure.perSec,
      tlsSeconds: secure.secs,
    },
    rows: tp.rows,
    memory: {
      idleRssMiB: memIdle.rssMiB,
      idleConnections: CONNECT_N,
      idlePlainConnectionsRssMiB: memIdlePlain.rssMiB,
      idleConnectionsRssMiB: memIdleConns.rssMiB,
      peakRssDuringLoadMiB: tp.peakRss,
      hwmMiB: memory(pid).hwmMiB,
    },
    warnings,
  };
} finally {
  await ledge.cleanup();
}

// Run 2: the same throughput runs without disk flushes (store.fsync=never).
const ledge2 = await startLedge({ log: { level: "info" }, store: { fsync: "never" } });
let run2;
try {
  const creds = await addDevices(ledge2, Math.max(...THROUGHPUT_CLIENTS));
  await warmUp(ledge2, creds);
  run2 = await throughput(ledge2, creds, "never");
} finally {
  await ledge2.cleanup();
}

const cpus = os.cpus();
const revision = (() => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: resolve(RESULTS, "../..") }).toString()
      .trim() + " + working tree";
  } catch {
    return "unknown";
  }
})();
const result = {
  benchmark: "mqtt_hub",
  date: new Date().toISOString(),
  command: `node_modules/.bin/deno run -A bench/mqtt_hub.ts${QUICK ? " --quick" : ""}`,
  machine: {
    nproc: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memTotalMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    runtime: `deno ${process.versions.deno ?? "?"}`,
    ledgeRevision: revision,
    loopbackTcpRoundTripsPerSec: baselineRtt,
    loadAverageBefore: loadBefore,
    loadAverageAfter: os.loadavg().map((l) => round(l, 2)),
  },
  settings: {
    payloadBytes: PAYLOAD.length,
    windowPerClient: WINDOW,
    secondsPerRow: DURATION_MS / 1000,
    warmUp: `${WARMUP_MS / 1000} s per transport, ${WARMUP_CLIENTS} clients, not measured`,
    ledgeLogLevel: "info",
  },
  notes: [
    "The load generator (one Deno process) and ledge share the machine's cores, so the numbers are a lower bound for ledge alone; with 50 clients the generator itself is often the bottleneck.",
    "Sink: when the brief for this benchmark was written, the hub's sink only fed the monitor (no durable store). In the tree measured here the daemon wires the message router over the durable segment log; PUBACK follows the store's accept. Rows marked fsync=always use the default store setting, fsync=never shows the MQTT path without disk flushes.",
    "Other work on the machine during the run shows in loadAverageBefore/After (1, 5, 15 min); with a load above the core count, treat the numbers as rough and compare rows of one run only.",
    "This VM's loopback is slow for tiny round trips (see loopbackTcpRoundTripsPerSec), which bounds single-client latency.",
  ],
  connect: run1.connect,
  throughput: [...run1.rows, ...run2.rows],
  memory: { ...run1.memory, peakRssDuringLoadFsyncNeverMiB: run2.peakRss },
  daemonWarnings: run1.warnings.length,
};
writeFileSync(join(RESULTS, "mqtt_hub.json"), JSON.stringify(result, null, 2) + "\n");
writeFileSync(join(RESULTS, "mqtt_hub.md"), markdown(result));
console.log(`wrote ${join(RESULTS, "mqtt_hub.json")} and .md`);
if (run1.warnings.length) console.log(`daemon warnings:\n${run1.warnings.slice(0, 10).join("\n")}`);
clearTimeout(hardStop);
