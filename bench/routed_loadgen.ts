/**
 * Load generator for bench/routed_throughput.ts, run as its own process: N publishers keep up
 * to W QoS 1 PUBLISHes in flight each, one consumer (persistent session, QoS 1) receives them
 * and acknowledges at once. Every payload carries (send time, publisher, sequence), so the
 * consumer measures end-to-end latency and, after a drain, which PUBACKed messages never
 * arrived. Raw frames over node:net with Nagle off on every socket; loopback only.
 *
 * Input: one JSON argument (LoadConfig). Output: `MARK start|end` lines when the measured
 * window opens and closes, then one `RESULT {json}` line (LoadResult).
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
  type WireClient,
  writePuback,
} from "./routed_wire.ts";

export type ClientSpec = WireClient;

export interface LoadConfig {
  port: number;
  publishers: Array<ClientSpec & { topic: string }>;
  consumer: ClientSpec & { filter: string };
  window: number;
  payloadBytes: number;
  warmupMs: number;
  durationMs: number;
  /** Longest wait for outstanding PUBACKs and deliveries after publishing stops. */
  drainMs: number;
  /** A drain also ends after this long without a new delivery. */
  drainIdleMs: number;
  /** Upper bound of messages per publisher (memory for the loss bitmaps). */
  maxPerPublisher: number;
  /** Paced load: messages per second per publisher (still at most `window` in flight). */
  ratePerPublisher?: number;
}

export interface LoadResult {
  measuredMs: number;
  /** Messages received by the consumer inside the measured window, per second. */
  receivedPerSec: number;
  /** PUBACKs received inside the measured window, per second. */
  ackedPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; samples: number };
  sent: number;
  acked: number;
  received: number;
  duplicates: number;
  /** PUBACKed messages the consumer never received (after the drain). */
  lostAcked: number;
  lostPerPublisher: number[];
  /** Messages sent but never PUBACKed (still in flight when the drain ended). */
  unacked: number;
  drainMs: number;
  qos0Deliveries: number;
  loadgenCpuMs: number;
  errors: string[];
}

const cfg: LoadConfig = JSON.parse(process.argv[2] ?? "{}");
const errors: string[] = [];
const now = () => performance.now();

/** Latency histogram: 10 µs buckets below 100 ms, 1 ms buckets up to 120 s. */
class Histogram {
  private readonly fine = new Uint32Array(10_000);
  private readonly coarse = new Uint32Array(120_000);
  count = 0;
  max = 0;
  add(ms: number): void {
    this.count++;
    if (ms > this.max) this.max = ms;
    if (ms < 100) this.fine[Math.max(0, Math.floor(ms * 100))]++;
    else this.coarse[Math.min(this.coarse.length - 1, Math.floor(ms))]++;
  }
  quantile(q: number): number {
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.fine.length; i++) {
      seen += this.fine[i];
      if (seen >= want) return (i + 1) / 100;
    }
    for (let i = 100; i < this.coarse.length; i++) {
      seen += this.coarse[i];
      if (seen >= want) return i + 1;
    }
    return this.max;
  }
}

const hist = new Histogram();
let windowOpen = false;
let publishing = true;
let inWindowReceived = 0, inWindowAcked = 0, received = 0, duplicates = 0, qos0 = 0;
let lastDelivery = now();
let paceStart = now();

function openSocket(spec: ClientSpec, onPacket: OnPacket): Promise<net.Socket> {
  return connectClient({
    port: cfg.port,
    client: spec,
    keepalive: 300,
    connackTimeoutMs: 10_000,
    onPacket,
    onLost: (why, closed) => void ((!closed || publishing) && errors.push(why)),
  });
}

class Publisher {
  readonly acked: Uint8Array;
  readonly received: Uint8Array;
  private readonly seqOfId = new Int32Array(65_536).fill(-1);
  private readonly template: PublishTemplate;
  private socket!: net.Socket;
  nextSeq = 0;
  inflight = 0;
  ackCount = 0;
  private nextId = 1;
  private refillQueued = false;

  constructor(readonly index: number, readonly spec: ClientSpec & { topic: string }) {
    this.acked = new Uint8Array(cfg.maxPerPublisher);
    this.received = new Uint8Array(cfg.maxPerPublisher);
    this.template = new PublishTemplate(spec.topic, cfg.payloadBytes);
  }

  async connect(): Promise<void> {
    this.socket = await openSocket(this.spec, (type, _flags, body) => {
      if (type !== PacketType.puback) return;
      const id = body.readUInt16BE(0);
      const seq = this.seqOfId[id];
      if (seq < 0) return void errors.push(`${this.spec.clientId}: PUBACK for unknown id ${id}`);
      this.seqOfId[id] = -1;
      this.acked[seq] = 1;
      this.ackCount++;
      this.inflight--;
      if (windowOpen) inWindowAcked++;
      // Refill once per received chunk, not per PUBACK: one write carries many PUBLISHes.
      if (publishing && !this.refillQueued) {
        this.refillQueued = true;
        queueMicrotask(() => {
          this.refillQueued = false;
          if (publishing) this.fill();
        });
      }
    });
  }

  /** Sends PUBLISHes until W are in flight, in one write. */
  fill(): void {
    let n = Math.min(cfg.window - this.inflight, cfg.maxPerPublisher - this.nextSeq);
    if (cfg.ratePerPublisher) {
      n = Math.min(n, Math.floor((now() - paceStart) / 1000 * cfg.ratePerPublisher) - this.nextSeq);
    }
    if (n <= 0 || this.socket.destroyed) return;
    const len = this.template.length;
    const buf = Buffer.allocUnsafe(n * len);
    const t = now();
    for (let k = 0; k < n; k++) {
      let id = this.nextId;
      while (this.seqOfId[id] >= 0) id = id >= 65_535 ? 1 : id + 1;
      this.nextId = id >= 65_535 ? 1 : id + 1;
      const seq = this.nextSeq++;
      this.seqOfId[id] = seq;
      const p = this.template.fill(buf, k * len, id);
      buf.writeDoubleLE(t, p);
      buf.writeUInt32LE(this.index, p + 8);
      buf.writeUInt32LE(seq, p + 12);
      buf.fill(0x61, p + 16, p + cfg.payloadBytes);
    }
    this.inflight += n;
    this.socket.write(buf);
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end(DISCONNECT);
  }
}

const publishers = cfg.publishers.map((p, i) => new Publisher(i, p));

async function connectConsumer(): Promise<net.Socket> {
  let subacked: (() => void) | undefined;
  const ref: { socket?: net.Socket } = {};
  const pending: Buffer[] = [];
  const sock = await openSocket(cfg.consumer, (type, flags, body) => {
    if (type === PacketType.suback) {
      if (body[2] === 0x80) errors.push("consumer: SUBSCRIBE refused");
      subacked?.();
      return;
    }
    if (type !== PacketType.publish) return;
    const { qos, packetId, payload } = parsePublish(flags, body);
    if (qos === 0) qos0++;
    else {
      const a = Buffer.allocUnsafe(4);
      writePuback(a, 0, packetId);
      pending.push(a);
      if (pending.length === 1) queueMicrotask(flushAcks);
    }
    if (payload.length !== cfg.payloadBytes) {
      if (errors.length < 20) errors.push(`consumer: payload of ${payload.length} bytes`);
      return;
    }
    const t = now();
    lastDelivery = t;
    const sent = payload.readDoubleLE(0);
    const pub = publishers[payload.readUInt32LE(8)];
    const seq = payload.readUInt32LE(12);
    if (!pub || seq >= cfg.maxPerPublisher) {
      if (errors.length < 20) errors.push(`consumer: bad payload header`);
      return;
    }
    if (pub.received[seq]++ > 0) duplicates++;
    else received++;
    if (windowOpen) {
      inWindowReceived++;
      hist.add(t - sent);
    }
  });
  ref.socket = sock;
  function flushAcks() {
    const s = ref.socket;
    if (pending.length && s && !s.destroyed) s.write(Buffer.concat(pending));
    pending.length = 0;
  }
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("consumer: no SUBACK in 10 s")), 10_000);
    subacked = () => {
      clearTimeout(timer);
      ok();
    };
    sock.write(subscribeFrame(cfg.consumer.filter, 1));
  });
  return sock;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<LoadResult> {
  const cpu0 = process.cpuUsage();
  const consumer = await connectConsumer();
  await Promise.all(publishers.map((p) => p.connect()));
  await sleep(200); // let brokers settle routes/subscriptions
  paceStart = now();
  for (const p of publishers) p.fill();
  const pacer = cfg.ratePerPublisher
    ? setInterval(() => {
      if (publishing) { for (const p of publishers) p.fill(); }
    }, 2)
    : undefined;
  await sleep(cfg.warmupMs);
  windowOpen = true;
  process.stdout.write("MARK start\n");
  const t0 = now();
  await sleep(cfg.durationMs);
  windowOpen = false;
  const measuredMs = now() - t0;
  process.stdout.write("MARK end\n");
  publishing = false;
  clearInterval(pacer);
  const d0 = now();
  const sent = () => publishers.reduce((a, p) => a + p.nextSeq, 0);
  const acked = () => publishers.reduce((a, p) => a + p.ackCount, 0);
  lastDelivery = now();
  while (now() - d0 < cfg.drainMs) {
    if (acked() === sent() && received >= acked()) break;
    if (now() - lastDelivery > cfg.drainIdleMs && acked() === sent()) break;
    await sleep(20);
  }
  const drainMs = now() - d0;
  const lostPerPublisher = publishers.map((p) => {
    let lost = 0;
    for (let s = 0; s < p.nextSeq; s++) if (p.acked[s] && !p.received[s]) lost++;
    return lost;
  });
  for (const p of publishers) p.close();
  if (!consumer.destroyed) consumer.end(DISCONNECT);
  const cpu = process.cpuUsage(cpu0);
  return {
    measuredMs,
    receivedPerSec: inWindowReceived / (measuredMs / 1000),
    ackedPerSec: inWindowAcked / (measuredMs / 1000),
    latencyMs: {
      p50: hist.quantile(0.5),
      p90: hist.quantile(0.9),
      p99: hist.quantile(0.99),
      max: hist.max,
      samples: hist.count,
    },
    sent: sent(),
    acked: acked(),
    received,
    duplicates,
    lostAcked: lostPerPublisher.reduce((a, b) => a + b, 0),
    lostPerPublisher,
    unacked: sent() - acked(),
    drainMs,
    qos0Deliveries: qos0,
    loadgenCpuMs: (cpu.user + cpu.system) / 1000,
    errors,
  };
}

runAndReport(main, cfg.warmupMs + cfg.durationMs + cfg.drainMs + 30_000, errors);
