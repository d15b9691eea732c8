/**
 * Where ledge's idle megabytes come from: each probe is a throwaway script that imports one
 * dependency (or a part of ledge), touches it, listens with a `node:net` server, and after
 * settling reports its own VmRSS. Differences against the bare `node:net` probe attribute
 * memory to that import. Scripts live in a temp directory and run with the repo's deno.json
 * import map; the dockerode 3 vs 4 pair runs without config straight from npm: specifiers.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DENO, ROOT } from "../test/helpers/ledge.ts";

export interface Probe {
  name: string;
  /** Import lines and a statement touching the import. */
  code: string;
  /** Run outside the repo config (plain npm: specifiers, no lock file). */
  noConfig?: boolean;
}

export interface ProbeResult {
  name: string;
  rss: number;
  anon: number;
  file: number;
  error?: string;
}

const LISTEN = `import net from "node:net";
net.createServer(() => {}).listen(0, "127.0.0.1");`;

const REPORT = `import { readFileSync } from "node:fs";
setTimeout(() => {
  const s = readFileSync("/proc/self/status", "utf8");
  const kb = (k) => Number(new RegExp("^" + k + ":\\\\s+(\\\\d+)", "m").exec(s)[1]) / 1024;
  console.log("MEM " + JSON.stringify({ rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") }));
  Deno.exit(0);
}, SETTLE_MS);`;

/** The probes of the report, cheapest first. */
export function probes(root: string): Probe[] {
  const src = (p: string) => JSON.stringify(join(root, p));
  return [
    { name: "empty script, no config (no npm resolution)", code: "", noConfig: true },
    { name: "empty script with the repo's deno.json", code: "" },
    { name: "node:net server", code: LISTEN },
    { name: "+ node:tls", code: `${LISTEN}\nimport tls from "node:tls"; tls.createServer({});` },
    {
      name: "+ node:http",
      code: `${LISTEN}\nimport http from "node:http"; http.createServer(() => {});`,
    },
    {
      name: "+ node:sqlite",
      code: `${LISTEN}\nimport { DatabaseSync } from "node:sqlite"; new DatabaseSync(":memory:");`,
    },
    {
      name: "+ zod 4",
      code: `${LISTEN}\nimport { z } from "zod"; z.object({ a: z.string() }).parse({ a: "x" });`,
    },
    { name: "+ kysely", code: `${LISTEN}\nimport { Kysely } from "kysely"; String(Kysely);` },
    { name: "+ js-yaml", code: `${LISTEN}\nimport yaml from "js-yaml"; yaml.load("a: 1");` },
    { name: "+ mqtt-packet", code: `${LISTEN}\nimport mqtt from "mqtt-packet"; mqtt.parser({});` },
    {
      name: "+ all of the hub's dependencies (no ledge code)",
      code: `${LISTEN}
import tls from "node:tls"; import http from "node:http"; import { DatabaseSync } from "node:sqlite";
import { z } from "zod"; import { Kysely } from "kysely"; import yaml from "js-yaml";
import mqtt from "mqtt-packet";
[tls, http, DatabaseSync, z, Kysely, yaml, mqtt].map((x) => typeof x).join();`,
    },
    {
      name: "+ ledge daemon modules loaded, not started (moby.socket null)",
      code: `${LISTEN}\nimport { startDaemon } from ${
        src("src/daemon/daemon.ts")
      }; String(startDaemon);`,
    },
    {
      name: "+ ledge agent modules (src/agent, dockerode 3)",
      code: `${LISTEN}\nimport * as a from ${src("src/agent/mod.ts")}; String(a.Agent);`,
    },
    {
      name: "+ readable-stream@4 (what mqtt-packet's bl pulls in; npm:, no config)",
      code: `${LISTEN}\nimport { Readable } from "npm:readable-stream@4.8.0"; new Readable();`,
      noConfig: true,
    },
    {
      name: "+ dockerode@3.3.5 (npm:, no config)",
      code:
        `${LISTEN}\nimport D from "npm:dockerode@3.3.5"; new D({ socketPath: "/nonexistent" });`,
      noConfig: true,
    },
    {
      name: "+ dockerode@4 (npm:, no config)",
      code: `${LISTEN}\nimport D from "npm:dockerode@4"; new D({ socketPath: "/nonexistent" });`,
      noConfig: true,
    },
  ];
}

function runProbe(dir: string, p: Probe, index: number, settleMs: number): Promise<ProbeResult> {
  const file = join(dir, `probe_${index}.ts`);
  writeFileSync(file, `${p.code}\n${REPORT.replace("SETTLE_MS", String(settleMs))}\n`);
  const args = p.noConfig
    ? ["run", "-A", "--quiet", "--no-config", "--no-lock", file]
    : ["run", "-A", "--quiet", "--config", join(ROOT, "deno.json"), file];
  return new Promise((ok) => {
    const child = spawn(DENO, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => out += d);
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", () => {
      clearTimeout(timer);
      const m = /MEM (\{.*\})/.exec(out);
      if (!m) return ok({ name: p.name, rss: 0, anon: 0, file: 0, error: out.slice(0, 300) });
      ok({ name: p.name, ...JSON.parse(m[1]) });
    });
  });
}

/** Runs every probe, two at a time (each measures only itself). */
export async function attribute(settleMs = 3000): Promise<ProbeResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-mem-probe-"));
  try {
    const list = probes(ROOT);
    // Warm Deno's caches (npm resolution, transpile) so no probe measures a first download.
    await Promise.all(list.map((p, i) => runProbe(dir, { ...p, code: p.code }, 100 + i, 0)));
    const out: ProbeResult[] = new Array(list.length);
    for (let i = 0; i < list.length; i += 2) {
      await Promise.all(
        [i, i + 1].filter((k) => k < list.length).map(async (k) => {
          out[k] = await runProbe(dir, list[k], k, settleMs);
        }),
      );
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
