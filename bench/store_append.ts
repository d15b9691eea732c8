/**
 * Append throughput of the segment log: 256 B and 4 KiB records under each fsync policy,
 * with a window of appends in flight (many producers), next to the disk's sequential write
 * speed measured in the same run with `dd ... conv=fdatasync`, and the bytes the process
 * wrote per payload byte (from /proc/self/io). Writes bench/results/store_append.{json,md}.
 *
 * Usage: deno run -A bench/store_append.ts [--seconds 3] [--dir /path/on/the/disk/to/test]
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type FsyncPolicy, SegmentLog } from "../src/hub/store/mod.ts";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const SECONDS = Number(arg("seconds", "3"));
const ROOT = mkdtempSync(path.join(arg("dir", tmpdir()), "ledge-bench-append-"));
/** Appends in flight (many publishers with QoS 1 messages in flight): ~4 MiB of payload. */
const windowFor = (size: number) => Math.max(1024, Math.floor(4 * 1024 * 1024 / size));

interface ProcIo {
  wchar: number;
  write_bytes: number;
}

function procIo(): ProcIo | null {
  try {
    const t = readFileSync("/proc/self/io", "utf8");
    const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, "m").exec(t)?.[1] ?? NaN);
    return { wchar: get("wchar"), write_bytes: get("write_bytes") };
  } catch {
    return null;
  }
}

/** Runs dd with fdatasync in `dir`; returns MB/s (10^6 bytes) parsed from its summary line. */
function ddWriteSpeed(dir: string): { mbPerSec: number; line: string } {
  const file = path.join(dir, "dd.tmp");
  const r = spawnSync("dd", [
    "if=/dev/zero",
    `of=${file}`,
    "bs=1M",
    "count=256",
    "conv=fdatasync",
  ], { encoding: "utf8" });
  rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(`dd failed: ${r.stderr || r.error}`);
  const line = r.stderr.trim().split("\n").at(-1)!;
  // "268435456 bytes (268 MB, 256 MiB) copied, 1.2345 s, 217 MB/s"
  const m = /^(\d+) bytes .* copied, ([\d.]+) s,/.exec(line);
  if (!m) throw new Error(`cannot parse dd output: ${line}`);
  return { mbPerSec: Number(m[1]) / Number(m[2]) / 1e6, line };
}

interface CaseResult {
  policy: FsyncPolicy;
  recordBytes: number;
  records: number;
  seconds: number;
  recordsPerSec: number;
  payloadMBps: number;
  diskMBps: number;
  ratioToDd: number;
  batchWrites: number;
  batchSyncs: number;
  recordsPerSync: number | null;
  writeBytesPerPayloadByte: number | null;
  wcharPerPayloadByte: number | null;
}

async function runCase(policy: FsyncPolicy, size: number, ddMBps: number): Promise<CaseResult> {
  const dir = path.join(ROOT, `${policy}-${size}`);
  const log = await SegmentLog.open(dir, { fsync: policy, logger: quietLogger });
  const payload = new Uint8Array(size).fill(0x5a);
  const window = windowFor(size);
  const io0 = procIo();
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  let acked = 0, inFlight = 0, stopping = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const onAck = () => {
    acked++;
    inFlight--;
    if (!stopping && performance.now() >= deadline) stopping = true;
    if (!stopping) pump();
    else if (inFlight === 0) finish();
  };
  const onErr = (e: unknown) => {
    console.error(e);
    process.exit(1);
  };
  const pump = () => {
    while (inFlight < window) {
      inFlight++;
      log.append(payload).then(onAck, onErr);
    }
  };
  pump();
  await done;
  const secs = (performance.now() - t0) / 1000;
  const stats = log.stats();
  await log.close();
  const io1 = procIo();
  // Case directories are removed at the end: deleting (and, with `discard`, trimming) hundreds
  // of MB right before the next case would slow that case's syncs.
  const payloadBytes = acked * size;
  const diskBytes = acked * (size + 24);
  return {
    policy,
    recordBytes: size,
    records: acked,
    seconds: round(secs, 2),
    recordsPerSec: Math.round(acked / secs),
    payloadMBps: round(payloadBytes / secs / 1e6, 1),
    diskMBps: round(diskBytes / secs / 1e6, 1),
    ratioToDd: round(diskBytes / secs / 1e6 / ddMBps, 2),
    batchWrites: stats.batch_writes,
    batchSyncs: stats.batch_syncs,
    recordsPerSync: stats.batch_syncs ? Math.round(acked / stats.batch_syncs) : null,
    writeBytesPerPayloadByte: io0 && io1
      ? round((io1.write_bytes - io0.write_bytes) / payloadBytes, 3)
      : null,
    wcharPerPayloadByte: io0 && io1 ? round((io1.wchar - io0.wchar) / payloadBytes, 3) : null,
  };
}

const quietLogger = { info() {}, warn: console.error, error: console.error };

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

mkdirSync(ROOT, { recursive: true });
try {
  const dd = ddWriteSpeed(ROOT);
  await new Promise((r) => setTimeout(r, 3000)); // let the filesystem settle after dd's delete
  console.log(`dd: ${dd.line}`);
  const results: CaseResult[] = [];
  for (const size of [256, 4096]) {
    for (const policy of ["always", "interval", "never"] as FsyncPolicy[]) {
      const r = await runCase(policy, size, dd.mbPerSec);
      console.log(JSON.stringify(r));
      results.push(r);
    }
  }
  const dd2 = ddWriteSpeed(ROOT);
  const meta = {
    date: new Date().toISOString(),
    runtime: `deno ${Deno.version.deno}`,
    dir: ROOT,
    secondsPerCase: SECONDS,
    appendsInFlight: { 256: windowFor(256), 4096: windowFor(4096) },
    syncIntervalMs: 10,
    ddBefore: dd.line,
    ddAfter: dd2.line,
    ddMBps: round((dd.mbPerSec + dd2.mbPerSec) / 2, 1),
    loadAvg1m: round(loadavg()[0], 2),
  };
  const outDir = new URL("./results/", import.meta.url);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(new URL("store_append.json", outDir), JSON.stringify({ meta, results }, null, 2));
  const md = [
    "# store_append: SegmentLog append throughput",
    "",
    `${meta.date}, ${meta.runtime}, ${SECONDS} s per case, ${windowFor(256)} (256 B) / ` +
    `${windowFor(4096)} (4 KiB) appends in flight (~4 MiB), ` +
    `interval policy syncs every 10 ms. Disk: \`dd bs=1M count=256 conv=fdatasync\` in the ` +
    `same directory: ${dd.mbPerSec.toFixed(0)} MB/s before, ${
      dd2.mbPerSec.toFixed(0)
    } MB/s after. ` +
    `Load average (1 min) at the end: ${meta.loadAvg1m} on 2 cores.`,
    "",
    "| fsync | record | records/s | payload MB/s | on-disk MB/s | ÷ dd | writes | syncs | rec/sync | write_bytes/payload | wchar/payload |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.map((r) =>
      `| ${r.policy} | ${r.recordBytes} B | ${
        r.recordsPerSec.toLocaleString("en")
      } | ${r.payloadMBps} | ` +
      `${r.diskMBps} | ${r.ratioToDd} | ${r.batchWrites} | ${r.batchSyncs} | ${
        r.recordsPerSync ?? "–"
      } | ` +
      `${r.writeBytesPerPayloadByte ?? "n/a"} | ${r.wcharPerPayloadByte ?? "n/a"} |`
    ),
    "",
    "on-disk MB/s counts the 24-byte record header; ÷ dd compares it to dd's rate. " +
    "write_bytes/payload is from /proc/self/io (bytes sent to the block layer, incl. segment " +
    "index files and filesystem effects); wchar/payload counts bytes passed to write().",
    "",
  ].join("\n");
  writeFileSync(new URL("store_append.md", outDir), md);
  console.log(md);
} finally {
  rmSync(ROOT, { recursive: true, force: true });
}
