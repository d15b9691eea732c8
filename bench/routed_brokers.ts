/**
 * The brokers compared by bench/routed_throughput.ts, each started fresh on a free loopback
 * port in its own temp directory: ledge (a real `ledge run` with a fan-in route deployed),
 * Eclipse Mosquitto with `persistence true` and raised queue limits, and aedes with LevelDB
 * persistence in its own process. Each gives the load generator its client credentials and
 * topics, and the pid whose memory and CPU the benchmark samples.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import { join } from "node:path";
import process from "node:process";
import { manifest } from "../test/fixtures/manifest.ts";
import { DENO, freePort, ROOT, startLedge } from "../test/helpers/ledge.ts";
import type { ClientSpec } from "./routed_loadgen.ts";
import { moduleCredentials } from "./routed_wire.ts";

export const MOSQUITTO = "/usr/sbin/mosquitto";

/** What the load generator needs from a running broker. */
export interface RunningBroker {
  /** Which product: "ledge", "mosquitto", "aedes". */
  key: string;
  name: string;
  /** Durability setting the figure was taken with, in words. */
  durability: string;
  pid: number;
  port: number;
  publishers: Array<ClientSpec & { topic: string }>;
  consumer: ClientSpec & { filter: string };
  stop(): Promise<void>;
}

function waitExit(p: ChildProcess, ms: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      ok();
    }, ms);
    p.once("exit", () => {
      clearTimeout(t);
      ok();
    });
  });
}

function waitForLine(p: ChildProcess, re: RegExp, what: string, ms = 20_000): Promise<void> {
  return new Promise((ok, fail) => {
    let text = "";
    const t = setTimeout(() => fail(new Error(`${what} did not start:\n${text}`)), ms);
    const on = (d: Buffer) => {
      text += d;
      if (re.test(text)) {
        clearTimeout(t);
        ok();
      }
    };
    p.stdout?.on("data", on);
    p.stderr?.on("data", on);
    p.once("exit", (c) => {
      clearTimeout(t);
      fail(new Error(`${what} exited ${c}:\n${text}`));
    });
  });
}

/** Removes a temp dir; retries while a just-stopped broker's last files settle. */
async function removeDir(dir: string): Promise<void> {
  for (let i = 0;; i++) {
    try {
      return rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if (i >= 10) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Resolves once `port` accepts a TCP connection (the process must stay up). */
async function waitForPort(p: ChildProcess, port: number, what: string): Promise<void> {
  let text = "";
  p.stderr?.on("data", (d) => text += d);
  const start = Date.now();
  for (;;) {
    if (p.exitCode !== null) throw new Error(`${what} exited ${p.exitCode}:\n${text}`);
    const up = await new Promise<boolean>((ok) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        ok(true);
      });
      s.on("error", () => ok(false));
    });
    if (up) return;
    if (Date.now() - start > 10_000) throw new Error(`${what} did not listen:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ledge with one route from every module's outputs to `consumer`'s input `in`. */
export async function startLedgeBroker(
  fsync: "always" | "interval",
  publishers: number,
  profileDir?: string,
  probeOut?: string,
  maxInflight?: number,
): Promise<RunningBroker> {
  // With a profile dir, the daemon runs under V8's sampling profiler (`--prof`); its tick log
  // is copied there on stop (process it with `node --prof-process FILE`).
  if (profileDir) process.env.DENO_V8_FLAGS = "--prof";
  const ledge = await startLedge({
    store: { fsync },
    log: { level: "info" },
    ...(maxInflight ? { mqtt: { max_outbound_inflight: maxInflight } } : {}),
  });
  if (profileDir) delete process.env.DENO_V8_FLAGS;
  const stop = async () => {
    const pid = ledge.proc.pid;
    await ledge.stop();
    if (profileDir) {
      mkdirSync(profileDir, { recursive: true });
      for (const f of readdirSync(ledge.dir)) {
        if (f.includes(`-${pid}-`) && f.endsWith(".log")) {
          copyFileSync(join(ledge.dir, f), join(profileDir, `ledge-${fsync}-${pid}.v8.log`));
        }
      }
    }
    await ledge.cleanup();
  };
  try {
    const ids = ["consumer", ...Array.from({ length: publishers }, (_, i) => `pub${i}`)];
    const conns = await Promise.all(ids.map((m) => ledge.addIdentity(`edge1/${m}`)));
    const file = join(ledge.dir, "deployment.json");
    writeFileSync(
      file,
      JSON.stringify(manifest({
        routes: {
          fanIn: `FROM /messages/modules/* INTO BrokeredEndpoint("/modules/consumer/inputs/in")`,
        },
      })),
    );
    const out = await ledge.ok("deploy", file);
    if (!/^200/.test(out)) throw new Error(`deploy: ${out}`);
    if (probeOut) {
      // Same data dir, identities and routes, run under bench/routed_probe.ts's counters.
      await ledge.stop();
      const proc = spawn(
        DENO,
        ["run", "-A", "--quiet", join(ROOT, "bench/routed_probe.ts"), "--config"]
          .concat(ledge.configPath),
        {
          cwd: ledge.dir,
          env: { ...process.env, NO_COLOR: "1", ROUTED_PROBE_OUT: probeOut },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      ledge.proc = proc;
      await waitForLine(proc, /ledge is running/, "ledge under the probe", 30_000);
    }
    const spec = (m: string, i: number): ClientSpec => {
      const key = /SharedAccessKey=([^;]+)/.exec(conns[i])?.[1];
      if (!key) throw new Error(`no SharedAccessKey in ${conns[i]}`);
      return moduleCredentials(m, key);
    };
    const intervalMs = 10; // config default of store.fsync_interval_ms
    return {
      key: "ledge",
      name: `ledge (fsync ${fsync}${maxInflight ? `, max_outbound_inflight ${maxInflight}` : ""})`,
      durability: fsync === "always"
        ? "PUBACK after write + fdatasync of the batch (group commit)"
        : `PUBACK after the next fdatasync (syncs at most every ${intervalMs} ms)`,
      pid: ledge.proc.pid!,
      port: ledge.mqttPort,
      publishers: ids.slice(1).map((m, k) => ({
        ...spec(m, k + 1),
        topic: `devices/edge1/modules/${m}/messages/events/%24.on=out`,
      })),
      consumer: { ...spec("consumer", 0), filter: "devices/edge1/modules/consumer/inputs/#" },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function plainClients(publishers: number): Pick<RunningBroker, "publishers" | "consumer"> {
  return {
    publishers: Array.from({ length: publishers }, (_, i) => ({
      clientId: `pub${i}`,
      topic: "bench/fanin",
    })),
    consumer: { clientId: "consumer", filter: "bench/fanin" },
  };
}

/** Mosquitto with persistence and limits raised so it does not drop acknowledged messages. */
export async function startMosquitto(
  publishers: number,
  maxInflight = 100,
): Promise<RunningBroker> {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} missing: run scripts/bench-peers.sh`);
  const dir = mkdtempSync(join(tmpdir(), "ledge-bench-mosq-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "set_tcp_nodelay true",
      "persistence true",
      `persistence_location ${dir}/`,
      "persistence_file mosquitto.db",
      // Stock limits (20 in flight, 1000 queued) silently drop most of an acknowledged
      // fan-in; the window matches ledge's outbound max_inflight (100).
      `max_inflight_messages ${maxInflight}`,
      "max_queued_messages 0",
      "max_queued_bytes 0",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      // As root, mosquitto would switch to user `mosquitto`, who cannot write the temp dir.
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      "",
    ].join("\n"),
  );
  const proc = spawn(MOSQUITTO, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  await waitForPort(proc, port, "mosquitto");
  return {
    key: "mosquitto",
    name: `Mosquitto (persistence true${
      maxInflight !== 100 ? `, max_inflight ${maxInflight}` : ""
    })`,
    durability: "in memory; snapshot to disk only at autosave/exit, no fsync per message",
    pid: proc.pid!,
    port,
    ...plainClients(publishers),
    async stop() {
      proc.kill("SIGTERM");
      await waitExit(proc, 15_000); // it writes its persistence file on exit
      await removeDir(dir);
    },
  };
}

/** aedes + LevelDB persistence, in its own Deno process. */
export async function startAedesLevel(publishers: number): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-bench-aedes-"));
  const port = await freePort();
  const proc = spawn(
    DENO,
    ["run", "-A", "--quiet", join(ROOT, "bench/routed_aedes_server.ts"), String(port), dir],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  await waitForLine(proc, /aedes listening/, "aedes");
  return {
    key: "aedes",
    name: "aedes + LevelDB",
    durability: "LevelDB writes without fsync (sync: false)",
    pid: proc.pid!,
    port,
    ...plainClients(publishers),
    async stop() {
      proc.kill("SIGTERM");
      await waitExit(proc, 15_000); // it writes its persistence file on exit
      await removeDir(dir);
    },
  };
}
