/**
 * Load generator for the memory benchmark and the constrained-memory test, run as its own
 * process so its heap never counts against ledge: optional idle connections, then publishers
 * sending QoS 1 telemetry (paced at a total rate, or as fast as a window of unacknowledged
 * messages allows) to a consumer that acknowledges at once. It checks that every PUBACKed
 * message arrives, in order per publisher. Without a consumer it fills a backlog until a
 * byte target. Raw MQTT over node:net, Nagle off, loopback only.
 *
 * Input: one JSON argument (LoadSpec). Output lines: `MARK idle` (idle clients connected),
 * `MARK load` (publishing starts), `TICK {json}` once a second, then `RESULT {json}`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type net from "node:net";
import process from "node:process";
import {
  connectClient,
  DISCONNECT,
  type OnPacket,
  PacketType,
  parsePublish,
  PublishTemplate,
  runAndReport,
  subscribeFrame,
  writePuback,
} from "./routed_wire.ts";
import type { ClientSpec } from "./memory_ledge.ts";

export interface LoadSpec {
  port: number;
  idle: ClientSpec[];
  /** How long to hold after the idle clients connect before publishing. */
  idleHoldMs: number;
  publishers: Array<ClientSpec & { topic: string }>;
  consumer?: ClientSpec & { filter: string };
  /** Total msg/s across publishers; 0 = as fast as `window` allows. */
  rate: number;
  window: number;
  payloadBytes: number;
  durationMs: number;
  /** Stop early once this many payload bytes were PUBACKed (backlog fill); 0 = no target. */
  targetBytes: number;
  drainMs: number;
}

export interface LoadOutcome {
  sent: number;
  acked: number;
  received: number;
  duplicates: number;
  lostAcked: number;
  outOfOrder: number;
  publishMs: number;
  ackedPerSec: number;
  receivedPerSec: number;
  errors: string[];
}

const spec: LoadSpec = JSON.parse(process.argv[2] ?? "{}");
const errors: string[] = [];
const note = (e: string) => void (errors.length < 20 && errors.push(e));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let publishing = true;

function open(c: ClientSpec, onPacket: OnPacket) {
  return connectClient({
    port: spec.port,
    client: c,
    keepalive: 600,
    connackTimeoutMs: 15_000,
    onPacket,
    onLost: (why, closed) => void ((!closed || publishing) && note(why)),
  });
}

const capacity = Math.ceil(
  (spec.rate > 0 ? spec.rate * (spec.durationMs / 1000) / spec.publishers.length : 2_000_000) *
    1.1,
) + 1000;

class Publisher {
  readonly acked = new Uint8Array(capacity);
  readonly received = new Uint8Array(capacity);
  readonly seqOfId = new Int32Array(65_536).fill(-1);
  readonly template: PublishTemplate;
  socket!: net.Socket;
  next = 0;
  inflight = 0;
  ackCount = 0;
  highestReceived = -1;
  private nextId = 1;

  constructor(readonly index: number, readonly client: ClientSpec & { topic: string }) {
    this.template = new PublishTemplate(client.topic, Math.max(8, spec.payloadBytes));
  }

  async connect(onAck: () => void): Promise<void> {
    this.socket = await open(this.client, (type, _f, body) => {
      if (type !== PacketType.puback) return;
      const id = body.readUInt16BE(0);
      const seq = this.seqOfId[id];
      if (seq < 0) return note(`${this.client.clientId}: PUBACK for unknown id ${id}`);
      this.seqOfId[id] = -1;
      this.acked[seq] = 1;
      this.ackCount++;
      this.inflight--;
      onAck();
    });
  }

  /** Sends up to `n` PUBLISHes (bounded by the window) in one write. */
  send(n: number): void {
    n = Math.min(n, spec.window - this.inflight, capacity - this.next);
    if (n <= 0 || this.socket.destroyed) return;
    const len = this.template.length;
    const buf = Buffer.allocUnsafe(n * len);
    for (let k = 0; k < n; k++) {
      let id = this.nextId;
      while (this.seqOfId[id] >= 0) id = id >= 65_535 ? 1 : id + 1;
      this.nextId = id >= 65_535 ? 1 : id + 1;
      const seq = this.next++;
      this.seqOfId[id] = seq;
      const p = this.template.fill(buf, k * len, id);
      buf.writeUInt32LE(this.index, p);
      buf.writeUInt32LE(seq, p + 4);
      buf.fill(0x61, p + 8, (k + 1) * len);
    }
    this.inflight += n;
    this.socket.write(buf);
  }
}

async function main(): Promise<LoadOutcome> {
  const idle: net.Socket[] = [];
  for (let i = 0; i < spec.idle.length; i += 20) {
    idle.push(...await Promise.all(spec.idle.slice(i, i + 20).map((c) => open(c, () => {}))));
  }
  if (spec.idle.length) {
    process.stdout.write("MARK idle\n");
    await sleep(spec.idleHoldMs);
  }
  const pubs = spec.publishers.map((p, i) => new Publisher(i, p));
  let received = 0, duplicates = 0, outOfOrder = 0;
  let consumer: net.Socket | undefined;
  if (spec.consumer) {
    const pending: Buffer[] = [];
    let subacked = () => {};
    const flush = () => {
      if (pending.length && consumer && !consumer.destroyed) consumer.write(Buffer.concat(pending));
      pending.length = 0;
    };
    consumer = await open(spec.consumer, (type, flags, body) => {
      if (type === PacketType.suback) return subacked();
      if (type !== PacketType.publish) return;
      const { qos, packetId, payload } = parsePublish(flags, body);
      if (qos > 0) {
        const a = Buffer.allocUnsafe(4);
        writePuback(a, 0, packetId);
        if (pending.push(a) === 1) queueMicrotask(flush);
      }
      const pub = pubs[payload.readUInt32LE(0)];
      const seq = payload.readUInt32LE(4);
      if (!pub || seq >= capacity) return note("consumer: bad payload header");
      if (pub.received[seq]++ > 0) return void duplicates++;
      received++;
      if (seq < pub.highestReceived) outOfOrder++;
      else pub.highestReceived = seq;
    });
    await new Promise<void>((ok) => {
      subacked = ok;
      consumer!.write(subscribeFrame(spec.consumer!.filter, 1));
    });
  }
  const target = spec.targetBytes;
  const ackedBytes = () => pubs.reduce((a, p) => a + p.ackCount, 0) * spec.payloadBytes;
  await Promise.all(pubs.map((p) =>
    p.connect(() => {
      if (spec.rate === 0 && publishing) p.send(spec.window);
    })
  ));
  await sleep(200);
  process.stdout.write("MARK load\n");
  const t0 = performance.now();
  const perPub = spec.rate / pubs.length;
  let lastTick = t0;
  if (spec.rate === 0) { for (const p of pubs) p.send(spec.window); }
  while (performance.now() - t0 < spec.durationMs && !(target > 0 && ackedBytes() >= target)) {
    const now = performance.now();
    if (spec.rate > 0) {
      const due = Math.floor(perPub * (now - t0) / 1000);
      for (const p of pubs) p.send(due - p.next);
    }
    if (now - lastTick >= 1000) {
      lastTick = now;
      const acked = pubs.reduce((a, p) => a + p.ackCount, 0);
      process.stdout.write(
        `TICK ${JSON.stringify({ t: Math.round(now - t0), acked, received })}\n`,
      );
    }
    await sleep(spec.rate > 0 ? 5 : 50);
  }
  publishing = false;
  const publishMs = performance.now() - t0;
  const sent = () => pubs.reduce((a, p) => a + p.next, 0);
  const acked = () => pubs.reduce((a, p) => a + p.ackCount, 0);
  const ackedAtStop = acked(), receivedAtStop = received;
  const d0 = performance.now();
  while (performance.now() - d0 < spec.drainMs) {
    if (acked() === sent() && (!consumer || received >= acked())) break;
    await sleep(20);
  }
  let lostAcked = 0;
  if (consumer) {
    for (const p of pubs) {
      for (let s = 0; s < p.next; s++) if (p.acked[s] && !p.received[s]) lostAcked++;
    }
  }
  for (const s of [...pubs.map((p) => p.socket), ...idle, ...(consumer ? [consumer] : [])]) {
    if (!s.destroyed) s.end(DISCONNECT);
  }
  return {
    sent: sent(),
    acked: acked(),
    received,
    duplicates,
    lostAcked,
    outOfOrder,
    publishMs: Math.round(publishMs),
    ackedPerSec: Math.round(ackedAtStop / (publishMs / 1000)),
    receivedPerSec: Math.round(receivedAtStop / (publishMs / 1000)),
    errors,
  };
}

runAndReport(main, spec.idleHoldMs + spec.durationMs + spec.drainMs + 60_000, errors);
