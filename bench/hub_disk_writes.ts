/**
 * Bytes ledge writes to disk per routed message, as a ratio to the payload (SD cards wear by
 * writes): a module publishes N QoS 1 messages that a route delivers to another module's
 * input; `write_bytes` of the ledge process (/proc/PID/io) before and after, for 256 B and
 * 4 KB payloads, with the consumer connected and with it offline (backlog kept on disk).
 *
 * Run: deno run -A bench/hub_disk_writes.ts   (about 1 minute; loopback only)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { moduleCredentials } from "./routed_wire.ts";
import { manifest } from "../test/fixtures/manifest.ts";
import { type Ledge, startLedge, waitFor } from "../test/helpers/ledge.ts";

const MESSAGES = 20_000;

function io(pid: number): { writeBytes: number; wchar: number } {
  const text = readFileSync(`/proc/${pid}/io`, "utf8");
  const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, "m").exec(text)![1]);
  return { writeBytes: get("write_bytes"), wchar: get("wchar") };
}

function connect(ledge: Ledge, moduleId: string, key: string) {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${ledge.mqttPort}`, {
    ...moduleCredentials(moduleId, key),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
  });
}

async function measure(size: number, consumerOnline: boolean) {
  const ledge = await startLedge({ log: { level: "info" } });
  try {
    const pub = JSON.parse((await ledge.cli("identity", "add", "edge1/pub", "--json")).stdout);
    const sub = JSON.parse((await ledge.cli("identity", "add", "edge1/sub", "--json")).stdout);
    const file = join(ledge.dir, "d.json");
    writeFileSync(
      file,
      JSON.stringify(manifest({
        routes: {
          r: `FROM /messages/modules/pub/* INTO BrokeredEndpoint("/modules/sub/inputs/in")`,
        },
      })),
    );
    await ledge.ok("deploy", file);
    let received = 0;
    const consumer = consumerOnline ? await connect(ledge, "sub", sub.primaryKey) : undefined;
    if (consumer) {
      consumer.on("message", () => received++);
      await consumer.subscribeAsync("devices/edge1/modules/sub/inputs/#", { qos: 1 });
    }
    const publisher = await connect(ledge, "pub", pub.primaryKey);
    const payload = new Uint8Array(size).fill(120);
    const pid = ledge.proc.pid!;
    await new Promise((r) => setTimeout(r, 1000)); // let start-up writes settle
    const before = io(pid);
    const started = Date.now();
    const window = 100;
    let sent = 0;
    const inflight = new Set<Promise<unknown>>();
    while (sent < MESSAGES) {
      const p = publisher.publishAsync(
        "devices/edge1/modules/pub/messages/events/%24.on=out",
        payload as unknown as Buffer,
        { qos: 1 },
      );
      inflight.add(p);
      p.finally(() => inflight.delete(p));
      sent++;
      if (inflight.size >= window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (consumer) await waitFor(() => received >= MESSAGES, 60_000, "delivery");
    await new Promise((r) => setTimeout(r, 500)); // last checkpoint commits
    const after = io(pid);
    const seconds = (Date.now() - started) / 1000;
    await publisher.endAsync();
    await consumer?.endAsync();
    const payloadBytes = MESSAGES * size;
    return {
      payloadBytes: size,
      consumer: consumerOnline ? "online" : "offline (backlog)",
      messages: MESSAGES,
      seconds: Number(seconds.toFixed(1)),
      writeBytesPerMessage: Math.round((after.writeBytes - before.writeBytes) / MESSAGES),
      writeBytesRatio: Number(((after.writeBytes - before.writeBytes) / payloadBytes).toFixed(3)),
      wcharRatio: Number(((after.wchar - before.wchar) / payloadBytes).toFixed(3)),
    };
  } finally {
    await ledge.cleanup();
  }
}

const rows = [];
for (const size of [256, 4096]) {
  for (const online of [true, false]) rows.push(await measure(size, online));
}
const md = [
  "# hub_disk_writes: bytes written to disk per routed message",
  "",
  `${
    new Date().toISOString()
  }; ${MESSAGES} QoS 1 messages module → route → module input, fsync always (default config).`,
  "`write_bytes` counts bytes the ledge process sent to the block layer (segment log, index,",
  "checkpoints, SQLite); `wchar` counts bytes passed to write(). Ratio = bytes / payload bytes.",
  "",
  "| payload | consumer | s | write_bytes per message | write_bytes / payload | wchar / payload |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${r.payloadBytes} B | ${r.consumer} | ${r.seconds} | ${r.writeBytesPerMessage} | ${r.writeBytesRatio} | ${r.wcharRatio} |`
  ),
  "",
  "Rerun: `deno run -A bench/hub_disk_writes.ts`",
].join("\n");
writeFileSync("bench/results/hub_disk_writes.json", JSON.stringify(rows, null, 2));
writeFileSync("bench/results/hub_disk_writes.md", md + "\n");
console.log(md);
