/**
 * Which steps of ledge's startup bring pages of the deno executable into memory. A fresh
 * process (run from source, so module loading is Deno's CLI loader) performs the daemon's
 * startup steps one at a time and, after each, reads from /proc/self/smaps how much of the
 * executable's code (r-xp) and read-only data (r--p) is resident, and its anonymous memory.
 * Code pages, once touched, stay resident (clean, shared, reclaimable under pressure), so the
 * increments attribute the `file` part of ledge's RSS. Loopback only; ~5 s.
 *
 * Run: `deno run -A bench/memory_text_pages.ts` (prints JSON); used by bench/memory.ts.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DENO, ROOT } from "../test/helpers/ledge.ts";

export interface TextPagesStep {
  step: string;
  /** Resident MiB of the executable's code, read-only data, and anonymous memory. */
  code: number;
  rodata: number;
  anon: number;
}

function resident(): Omit<TextPagesStep, "step"> {
  const exe = readFileSync("/proc/self/maps", "utf8").split("\n")
    .find((l) => l.includes("r-xp") && l.endsWith(process.execPath))?.split(/\s+/).pop();
  let kind = "", code = 0, rodata = 0, anon = 0;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const m = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      kind = m[2] === exe ? m[1] : m[2] === "" ? "anon" : "";
      continue;
    }
    if (!line.startsWith("Rss:")) continue;
    const mib = Number(line.split(/\s+/)[1]) / 1024;
    if (kind === "r-xp") code += mib;
    else if (kind === "r--p") rodata += mib;
    else if (kind === "anon") anon += mib;
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  return { code: r(code), rodata: r(rodata), anon: r(anon) };
}

/** The child: ledge's startup, step by step. */
async function child(dir: string): Promise<void> {
  const steps: TextPagesStep[] = [];
  const mark = (step: string) => steps.push({ step, ...resident() });
  mark("deno started, nothing imported");
  const { loadConfig } = await import("../src/config/mod.ts");
  mark("config module loaded (zod, js-yaml)");
  const cfgPath = join(dir, "config.yaml");
  writeFileSync(cfgPath, `data_dir: ${dir}/data\nmoby: { socket: null }\n`);
  loadConfig(cfgPath);
  mark("config parsed");
  const { openDatabase } = await import("../src/db/mod.ts");
  const db = await openDatabase(join(dir, "state.db"));
  mark("SQLite opened, migrations run (kysely, node:sqlite)");
  const { Pki } = await import("../src/identity/pki/mod.ts");
  await new Pki(join(dir, "pki")).ensure({ hostname: "localhost", deviceId: "edge1" });
  mark("PKI: EC keys generated, certificates signed");
  const { SegmentLog } = await import("../src/hub/store/mod.ts");
  const log = await SegmentLog.open(join(dir, "messages"), {});
  for (let i = 0; i < 2000; i++) await log.append(new Uint8Array(256));
  mark("message log opened, 2,000 fsynced appends");
  await import("../src/hub/mqtt/mod.ts");
  const net = await import("node:net");
  const server = net.createServer(() => {}).listen(0, "127.0.0.1");
  mark("MQTT modules loaded, TCP listener");
  const tls = await import("node:tls");
  const http = await import("node:http");
  const mgmt = http.createServer(() => {}).listen(join(dir, "mgmt.sock"));
  tls.createSecureContext({});
  mark("TLS context, HTTP on a unix socket");
  server.close();
  mgmt.close();
  await log.close();
  await db.destroy();
  console.log("STEPS " + JSON.stringify(steps));
}

/** Runs the child and returns its steps. */
export function textPages(): TextPagesStep[] {
  const dir = mkdtempSync(join(tmpdir(), "ledge-textpages-"));
  try {
    const r = spawnSync(DENO, ["run", "-A", "--quiet", import.meta.filename!, "--child", dir], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("STEPS "));
    if (!line) throw new Error(`text pages probe failed: ${r.stderr}`);
    return JSON.parse(line.slice(6));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const i = process.argv.indexOf("--child");
  if (i >= 0) {
    mkdirSync(process.argv[i + 1], { recursive: true });
    await child(process.argv[i + 1]);
    process.exit(0);
  } else {
    console.log(JSON.stringify(textPages(), null, 1));
  }
}
