/**
 * Result types and the markdown rendering of bench/routed_throughput.ts: one row per broker
 * (medians over runs), ratios of ledge to each peer, loss per run, and the machine.
 *
 * @module
 */
import type { LoadResult } from "./routed_loadgen.ts";

/** One broker's measurement in one run. */
export interface BrokerRun {
  key: string;
  name: string;
  durability: string;
  run: number;
  /** Set for a paced run: total offered msg/s. */
  pacedTotal?: number;
  /** The machine's 1-minute load average when this run started (others share it). */
  loadAvg1m: number;
  load: LoadResult;
  brokerCpuPct: number;
  rssIdleMb: number;
  rssPeakMb: number;
  rssEndMb: number;
}

interface SummaryRow {
  key: string;
  runs: number;
  name?: string;
  durability?: string;
  receivedPerSec?: number;
  ackedPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  lostAcked?: number[];
  ackedTotal?: number[];
  duplicates?: number[];
  brokerCpuPct?: number;
  rssIdleMb?: number;
  rssPeakMb?: number;
  rssEndMb?: number;
}

interface Result {
  date: string;
  machine: { nproc: number; cpu: string; memGb: number; kernel: string };
  versions: Record<string, string>;
  load: { publishers: number; payloadBytes: number; windowPerPublisher: number; seconds: number };
  command: string;
  summary: SummaryRow[];
  runs: BrokerRun[];
  paced: BrokerRun[];
}

/** Median of numbers (NaN for none). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const int = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? "–" : Math.round(n).toLocaleString("en-US");
const ms = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? "–" : n < 10 ? n.toFixed(2) : n.toFixed(0);
const mb = (n: number | undefined) => n === undefined || Number.isNaN(n) ? "–" : n.toFixed(1);

/** The results file's markdown. */
export function renderMarkdown(r: Result): string {
  const rows = r.summary.filter((s) => s.runs > 0);
  const get = (k: string) => rows.find((s) => s.key === k)?.receivedPerSec;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a && b ? `${(a / b).toFixed(2)}×` : "–";
  const out: string[] = [];
  out.push("# routed_throughput: QoS 1 fan-in through the hub, ledge vs peers\n");
  out.push(
    `${r.date}; ${r.machine.nproc} × ${r.machine.cpu}, ${r.machine.memGb} GB, Linux ` +
      `${r.machine.kernel}; deno ${r.versions.deno}, Mosquitto ${r.versions.mosquitto}, ` +
      `aedes ${r.versions.aedes}. ${r.load.publishers} publishers → 1 consumer, ` +
      `${r.load.payloadBytes} B payloads, QoS 1 both ways, ${r.load.windowPerPublisher} ` +
      `PUBLISHes in flight per publisher, ${r.load.seconds} s measured after 1 s warm-up, ` +
      `medians of ${Math.max(...rows.map((s) => s.runs))} runs. Broker and load generator ` +
      `share the cores.\n`,
  );
  out.push(`Rerun: \`${r.command}\`\n`);
  out.push(
    "| broker | durability | received msg/s | PUBACKed msg/s | p50 ms | p99 ms | " +
      "lost acked (per run) | broker CPU | RSS idle / peak / end MB |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|");
  for (const s of rows) {
    const lost = (s.lostAcked ?? []).map((l, i) => `${l}/${int(s.ackedTotal?.[i])}`).join(", ");
    out.push(
      `| ${s.name} | ${s.durability} | ${int(s.receivedPerSec)} | ${int(s.ackedPerSec)} | ` +
        `${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${lost} | ${int(s.brokerCpuPct)}% | ` +
        `${mb(s.rssIdleMb)} / ${mb(s.rssPeakMb)} / ${mb(s.rssEndMb)} |`,
    );
  }
  out.push("");
  out.push("Ratios of received msg/s (medians):\n");
  for (const l of ["ledge-always", "ledge-interval"]) {
    out.push(
      `- ${l}: ${ratio(get(l), get("aedes-level"))} aedes+LevelDB, ` +
        `${
          ratio(get(l), get("mosquitto"))
        } Mosquitto (ledge at its defaults: outbound window 1000; Mosquitto window 100)`,
    );
  }
  if (get("ledge-always-w1000")) {
    out.push(
      `- ledge-always, window 1000: ${ratio(get("ledge-always-w1000"), get("aedes-level"))} ` +
        `aedes+LevelDB, ${ratio(get("ledge-always-w1000"), get("mosquitto-w1000"))} ` +
        `Mosquitto with window 1000`,
    );
  }
  out.push("");
  out.push(
    "Latency is receive time − send time (timestamp in the payload, one clock), for messages " +
      "received in the measured window; publishers run at full speed, so it includes queueing " +
      'inside the broker when the consumer side is the bottleneck. "lost acked" counts ' +
      "messages that got a PUBACK but never reached the consumer, after a drain that ends " +
      "when all arrived or after 5 s without a delivery (30 s at most). Broker CPU is the " +
      "broker process's user+system time over the measured window (200% = both cores).\n",
  );
  if (r.paced.length) {
    out.push(
      `Paced: ${int(r.paced[0].pacedTotal)} msg/s offered in total (below every broker's ` +
        `capacity), one run each, so latency is the path, not a queue:\n`,
    );
    out.push(
      "| broker | received msg/s | p50 ms | p90 ms | p99 ms | max ms | lost acked | broker CPU |",
    );
    out.push("|---|---|---|---|---|---|---|---|");
    for (const x of r.paced) {
      out.push(
        `| ${x.name} | ${int(x.load.receivedPerSec)} | ${ms(x.load.latencyMs.p50)} | ` +
          `${ms(x.load.latencyMs.p90)} | ${ms(x.load.latencyMs.p99)} | ` +
          `${ms(x.load.latencyMs.max)} | ${x.load.lostAcked}/${int(x.load.acked)} | ` +
          `${int(x.brokerCpuPct)}% |`,
      );
    }
    out.push("");
  }
  out.push("Per run (full speed):\n");
  out.push(
    "| run | broker | received msg/s | PUBACKed msg/s | p50 ms | p99 ms | acked | lost | dup | " +
      "drain s | load avg |",
  );
  out.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const x of r.runs) {
    out.push(
      `| ${x.run} | ${x.name} | ${int(x.load.receivedPerSec)} | ${int(x.load.ackedPerSec)} | ` +
        `${ms(x.load.latencyMs.p50)} | ` +
        `${ms(x.load.latencyMs.p99)} | ${int(x.load.acked)} | ${x.load.lostAcked} | ` +
        `${x.load.duplicates} | ${(x.load.drainMs / 1000).toFixed(1)} | ${
          x.loadAvg1m.toFixed(1)
        } |`,
    );
  }
  return out.join("\n") + "\n";
}
