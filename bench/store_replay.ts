/**
 * Replay throughput of the segment log: append 1,000,000 records of 256 B, close, then open
 * the log fresh (empty tail cache; page cache dropped too when we are allowed to) and read
 * every record back sequentially through the async iterator. Reports msg/s (target >= 100k)
 * and peak RSS sampled during the read. Writes bench/results/store_replay.{json,md}.
 *
 * Usage: deno run -A bench/store_replay.ts [--records 1000000] [--dir /path]
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import process from "node:process";
import { SegmentLog } from "../src/hub/store/mod.ts";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const RECORDS = Number(arg("records", "1000000"));
const SIZE = 256;
const ROOT = arg("replay", "") ||
  mkdtempSync(path.join(arg("dir", tmpdir()), "ledge-bench-replay-"));
const quiet = { info() {}, warn: console.error, error: console.error };
const mb = (n: number) => Math.round(n / 1024 / 1024 * 10) / 10;

/** Drops the OS page cache so the read really comes from the disk; false when not allowed. */
function dropPageCache(): boolean {
  try {
    execFileSync("sync");
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}

/** Child mode: replays the log in `dir` and prints measurements as JSON. */
async function replay(dir: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  const t1 = performance.now();
  const log = await SegmentLog.open(dir, { fsync: "never", logger: quiet, tailCacheBytes: 0 });
  let n = 0, prev = 0, check = 0;
  for await (const r of log.records(1)) {
    if (r.seq !== prev + 1) throw new Error(`gap: ${prev} -> ${r.seq}`);
    prev = r.seq;
    check += r.payload[0];
    if ((++n & 0xffff) === 0) sample();
  }
  const readSecs = (performance.now() - t1) / 1000;
  clearInterval(timer);
  sample();
  await log.close();
  console.log(JSON.stringify({ n, readSecs, rssBefore, peakRss, check }));
}

const replayDir = arg("replay", "");
if (replayDir) {
  await replay(replayDir);
  process.exit(0);
}

try {
  // 1. Fill: fsync "never" plus one final sync; this benchmark is about reading.
  const log = await SegmentLog.open(ROOT, { fsync: "never", logger: quiet });
  const payload = new Uint8Array(SIZE);
  const t0 = performance.now();
  const WINDOW = 8192;
  let issued = 0, inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inFlight < WINDOW && issued < RECORDS) {
        inFlight++;
        payload[0] = issued++ & 0xff;
        log.append(payload).then(() => {
          inFlight--;
          if (issued < RECORDS) pump();
          else if (inFlight === 0) resolve();
        }, reject);
      }
    };
    pump();
  });
  await log.flush();
  const fillSecs = (performance.now() - t0) / 1000;
  const bytesOnDisk = log.stats().bytes_on_disk;
  await log.close();
  const droppedCache = dropPageCache();

  // 2. Replay from a fresh open, in a fresh process (so RSS reflects the reader alone).
  const child = spawnSync(Deno.execPath(), [
    "run",
    "-A",
    fileURLToPath(import.meta.url),
    "--replay",
    ROOT,
  ], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`replay child failed (${child.status})`);
  const rep = JSON.parse(child.stdout) as {
    n: number;
    readSecs: number;
    rssBefore: number;
    peakRss: number;
    check: number;
  };
  const { n, readSecs, rssBefore, peakRss, check } = rep;
  if (n !== RECORDS) throw new Error(`read ${n} records, expected ${RECORDS}`);

  const result = {
    date: new Date().toISOString(),
    runtime: `deno ${Deno.version.deno}`,
    records: RECORDS,
    recordBytes: SIZE,
    bytesOnDisk,
    fill: {
      fsync: "never (+1 final fdatasync)",
      seconds: round(fillSecs),
      msgPerSec: Math.round(RECORDS / fillSecs),
    },
    replay: {
      pageCacheDropped: droppedCache,
      tailCache: "disabled (fresh open, tailCacheBytes 0)",
      seconds: round(readSecs),
      msgPerSec: Math.round(n / readSecs),
      MBps: round(bytesOnDisk / readSecs / 1e6),
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peakRss),
      checksum: check,
    },
    loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
    targetMsgPerSec: 100_000,
    pass: n / readSecs >= 100_000,
  };
  console.log(JSON.stringify(result, null, 2));
  const outDir = new URL("./results/", import.meta.url);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(new URL("store_replay.json", outDir), JSON.stringify(result, null, 2));
  writeFileSync(
    new URL("store_replay.md", outDir),
    [
      "# store_replay: cold sequential replay of the segment log",
      "",
      `${result.date}, ${result.runtime}. ${RECORDS.toLocaleString("en")} records × ${SIZE} B ` +
      `(${mb(bytesOnDisk)} MiB of segments).`,
      "",
      "| phase | seconds | msg/s | notes |",
      "|---|---|---|---|",
      `| fill (fsync never) | ${result.fill.seconds} | ${
        result.fill.msgPerSec.toLocaleString("en")
      } | 8192 appends in flight |`,
      `| replay, fresh open | ${result.replay.seconds} | ${
        result.replay.msgPerSec.toLocaleString("en")
      } | ` +
      `${result.replay.MBps} MB/s; page cache ${
        droppedCache ? "dropped" : "NOT dropped (no permission)"
      }; ` +
      `tail cache off; own process: RSS ${result.replay.rssBeforeMB} MB at start, peak ${result.replay.peakRssMB} MB |`,
      "",
      `Target ≥ 100,000 msg/s: ${result.pass ? "met" : "NOT met"}. ` +
      `Load average (1 min): ${result.loadAvg1m} on 2 cores.`,
      "",
    ].join("\n"),
  );
} finally {
  rmSync(ROOT, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
