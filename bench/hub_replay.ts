/**
 * Issue 3 benchmark (c) end to end: a module is offline while 1,000,000 messages (256 B) are
 * routed to its input; then it connects and takes the whole backlog over MQTT (QoS 1, PUBACK
 * per message). Reports fill and replay msg/s and ledge's RSS during the replay (sampled every
 * 250 ms), which must stay bounded whatever the backlog.
 *
 * Run: deno run -A bench/hub_replay.ts [--messages N]   (loopback only, stops by itself)
 */
import { Buffer } from "node:buffer";
import { readFileSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { join } from "node:path";
import process from "node:process";
import { manifest } from "../test/fixtures/manifest.ts";
import { startLedge } from "../test/helpers/ledge.ts";
import {
  connectClient,
  moduleCredentials,
  type OnPacket,
  PacketType,
  parsePublish,
  PublishTemplate,
  subscribeFrame,
  writePuback,
} from "./routed_wire.ts";

const i = process.argv.indexOf("--messages");
const MESSAGES = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
const PUBLISHERS = 4;
const WINDOW = 1000;
const DEADLINE_MS = 300_000;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A raw MQTT connection for module `moduleId` of edge1; resolves after CONNACK. */
function open(port: number, moduleId: string, key: string, onPacket: OnPacket) {
  return connectClient({
    port,
    client: moduleCredentials(moduleId, key),
    keepalive: 0,
    connackTimeoutMs: 30_000,
    onPacket,
    onLost: () => {}, // the replay's own deadline reports a stall
  });
}

const ledge = await startLedge({
  store: { fsync: "never", max_bytes: 4 * 1024 ** 3 },
  log: { level: "info" },
});
const deadline = setTimeout(() => {
  console.error("hub_replay: deadline passed; stopping");
  ledge.cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);
try {
  const key = async (id: string) =>
    JSON.parse((await ledge.cli("identity", "add", `edge1/${id}`, "--json")).stdout)
      .primaryKey as string;
  const subKey = await key("sub");
  const pubKeys = await Promise.all(Array.from({ length: PUBLISHERS }, (_, n) => key(`pub${n}`)));
  const file = join(ledge.dir, "d.json");
  writeFileSync(
    file,
    JSON.stringify(manifest({
      routes: { r: `FROM /messages/modules/* INTO BrokeredEndpoint("/modules/sub/inputs/in")` },
    })),
  );
  await ledge.ok("deploy", file);
  // Register the consumer's session once, then leave: everything from now on is backlog.
  const first = await open(ledge.mqttPort, "sub", subKey, () => {});
  first.write(subscribeFrame("devices/edge1/modules/sub/inputs/#", 1));
  await new Promise((r) => setTimeout(r, 300));
  first.destroy();

  // Fill.
  const fillStart = Date.now();
  await Promise.all(pubKeys.map(async (k, n) => {
    const total = Math.floor(MESSAGES / PUBLISHERS) + (n < MESSAGES % PUBLISHERS ? 1 : 0);
    const tpl = new PublishTemplate(
      `devices/edge1/modules/pub${n}/messages/events/%24.on=out`,
      256,
    );
    let sent = 0, acked = 0, id = 0;
    let resume: () => void = () => {};
    const s = await open(ledge.mqttPort, `pub${n}`, k, (t) => {
      if (t === PacketType.puback && ++acked % 100 === 0) resume();
      if (t === PacketType.puback && acked === total) resume();
    });
    while (sent < total) {
      const batch = Math.min(total - sent, WINDOW - (sent - acked), 200);
      if (batch <= 0) {
        await new Promise<void>((r) => resume = r);
        continue;
      }
      const buf = Buffer.alloc(tpl.length * batch);
      for (let b = 0; b < batch; b++) {
        id = id >= 65535 ? 1 : id + 1;
        tpl.fill(buf, b * tpl.length, id);
      }
      s.write(buf);
      sent += batch;
    }
    while (acked < total) await new Promise<void>((r) => resume = r);
    s.destroy();
  }));
  const fillSecs = (Date.now() - fillStart) / 1000;
  const pid = ledge.proc.pid!;
  const rssBefore = rssMb(pid);

  // Replay to the reconnecting consumer.
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => done = r);
  const acks = Buffer.alloc(4 * 4096);
  let pending = 0;
  const consumer: { sock?: net.Socket } = {}; // set once connected; PUBACKs wait for it
  const flush = () => {
    if (pending && consumer.sock) {
      consumer.sock.write(Buffer.from(acks.subarray(0, pending * 4)));
    }
    pending = 0;
  };
  const replayStart = Date.now();
  const sock = consumer.sock = await open(ledge.mqttPort, "sub", subKey, (t, f, b) => {
    if (t !== PacketType.publish) return;
    const p = parsePublish(f, b);
    writePuback(acks, pending * 4, p.packetId);
    if (++pending === 4096) flush();
    if (++received >= MESSAGES) {
      flush();
      done();
    }
  });
  const flusher = setInterval(flush, 2);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMb(pid)), 250);
  sock.write(subscribeFrame("devices/edge1/modules/sub/inputs/#", 2));
  await finished;
  const replaySecs = (Date.now() - replayStart) / 1000;
  clearInterval(sampler);
  clearInterval(flusher);
  sock.destroy();

  const result = {
    date: new Date().toISOString(),
    messages: MESSAGES,
    payloadBytes: 256,
    fill: {
      seconds: fillSecs,
      msgPerSec: Math.round(MESSAGES / fillSecs),
      publishers: PUBLISHERS,
      fsync: "never",
    },
    replay: {
      seconds: replaySecs,
      msgPerSec: Math.round(MESSAGES / replaySecs),
      rssBeforeMb: Number(rssBefore.toFixed(1)),
      rssPeakMb: Number(Math.max(...samples).toFixed(1)),
      rssEndMb: Number((samples.at(-1) ?? NaN).toFixed(1)),
    },
  };
  const md = [
    "# hub_replay: a 1,000,000-message backlog replayed to a reconnecting module",
    "",
    `${result.date}. ${MESSAGES} × 256 B routed to an offline module's input (fill: ${PUBLISHERS} publishers, fsync never, ${result.fill.msgPerSec} msg/s), then the module connects and PUBACKs every message (QoS 1, ledge's default outbound window).`,
    "",
    "| replay s | msg/s | ledge RSS before / peak / end MB |",
    "|---|---|---|",
    `| ${
      replaySecs.toFixed(1)
    } | ${result.replay.msgPerSec} | ${result.replay.rssBeforeMb} / ${result.replay.rssPeakMb} / ${result.replay.rssEndMb} |`,
    "",
    "Rerun: `deno run -A bench/hub_replay.ts` (`--messages N` for a smaller run).",
  ].join("\n");
  writeFileSync("bench/results/hub_replay.json", JSON.stringify(result, null, 2));
  writeFileSync("bench/results/hub_replay.md", md + "\n");
  console.log(md);
} finally {
  clearTimeout(deadline);
  await ledge.cleanup();
}
