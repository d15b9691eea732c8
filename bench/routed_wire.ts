/**
 * Minimal MQTT 3.1.1 wire helpers for the routed throughput load generator: a framer that
 * splits a byte stream into packets without copying whole packets where it can, hand-built
 * QoS 1 PUBLISH and PUBACK frames (the hot path), mqtt-packet for the rare packets
 * (CONNECT, SUBSCRIBE, DISCONNECT), connecting a client, and the RESULT protocol the load
 * generators (routed_loadgen.ts, memory_loadgen.ts) report with. Loopback benchmarking only.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import process from "node:process";
import mqtt from "mqtt-packet";
import { buildSasToken, resourceUri } from "../src/identity/mod.ts";

/** MQTT control packet types used here. */
export const PacketType = {
  connack: 2,
  publish: 3,
  puback: 4,
  suback: 9,
  pingresp: 13,
} as const;

/** One framed packet: type, the low flag bits, and its variable header + payload. */
export type OnPacket = (type: number, flags: number, body: Buffer) => void;

/** Splits a byte stream into MQTT packets; keeps at most one partial packet. */
export class WireFramer {
  private rest: Buffer | null = null;

  constructor(private readonly onPacket: OnPacket) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let off = 0;
    const n = buf.length;
    while (off < n) {
      if (n - off < 2) break;
      let len = 0, mul = 1, i = off + 1, complete = false;
      for (; i < n && i < off + 5; i++) {
        const b = buf[i];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i >= off + 5) throw new Error("malformed remaining length");
        break;
      }
      if (n - i < len) break;
      const h = buf[off];
      this.onPacket(h >> 4, h & 0x0f, buf.subarray(i, i + len));
      off = i + len;
    }
    if (off < n) this.rest = Buffer.from(buf.subarray(off));
  }
}

function remainingLengthBytes(len: number): number[] {
  const out: number[] = [];
  do {
    let b = len % 128;
    len = Math.floor(len / 128);
    if (len > 0) b |= 0x80;
    out.push(b);
  } while (len > 0);
  return out;
}

/**
 * A QoS 1 PUBLISH frame template for one topic and payload size: `fill` writes one frame
 * with the given packet id into a buffer and returns the payload's offset in it.
 */
export class PublishTemplate {
  readonly frame: Buffer;
  readonly idOffset: number;
  readonly payloadOffset: number;

  constructor(topic: string, payloadBytes: number) {
    const t = Buffer.from(topic, "utf8");
    const remaining = 2 + t.length + 2 + payloadBytes;
    const header = [0x32, ...remainingLengthBytes(remaining)];
    this.frame = Buffer.alloc(header.length + remaining);
    this.frame.set(header, 0);
    this.frame.writeUInt16BE(t.length, header.length);
    t.copy(this.frame, header.length + 2);
    this.idOffset = header.length + 2 + t.length;
    this.payloadOffset = this.idOffset + 2;
  }

  get length(): number {
    return this.frame.length;
  }

  /** Copies the template to `dst` at `at`, sets the packet id; returns the payload offset. */
  fill(dst: Buffer, at: number, packetId: number): number {
    this.frame.copy(dst, at);
    dst.writeUInt16BE(packetId, at + this.idOffset);
    return at + this.payloadOffset;
  }
}

/** Writes a PUBACK for `packetId` at `at` (4 bytes). */
export function writePuback(dst: Buffer, at: number, packetId: number): void {
  dst[at] = 0x40;
  dst[at + 1] = 2;
  dst.writeUInt16BE(packetId, at + 2);
}

/** A PUBLISH body parsed just enough: QoS, packet id and payload (a view, not a copy). */
export function parsePublish(
  flags: number,
  body: Buffer,
): { qos: number; packetId: number; payload: Buffer } {
  const qos = (flags >> 1) & 3;
  const tlen = body.readUInt16BE(0);
  let off = 2 + tlen;
  let packetId = 0;
  if (qos > 0) {
    packetId = body.readUInt16BE(off);
    off += 2;
  }
  return { qos, packetId, payload: body.subarray(off) };
}

/** CONNECT for MQTT 3.1.1. */
export function connectFrame(o: {
  clientId: string;
  username?: string;
  password?: string;
  clean: boolean;
  keepalive: number;
}): Buffer {
  return mqtt.generate({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: o.clean,
    keepalive: o.keepalive,
    clientId: o.clientId,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: Buffer.from(o.password) } : {}),
  });
}

/** SUBSCRIBE to one topic filter at QoS 1. */
export function subscribeFrame(topic: string, packetId: number): Buffer {
  return mqtt.generate({
    cmd: "subscribe",
    messageId: packetId,
    subscriptions: [{ topic, qos: 1 }],
  });
}

/** DISCONNECT. */
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** What a load generator's client needs to CONNECT (SAS credentials for ledge). */
export interface WireClient {
  clientId: string;
  username?: string;
  password?: string;
}

/**
 * MQTT credentials of module `moduleId` of device edge1 on a ledge whose hostname is localhost
 * (the benchmarks' setup): IoT Hub's client id and user name, a SAS token valid `ttlSecs`.
 */
export function moduleCredentials(
  moduleId: string,
  key: string,
  ttlSecs = 3600,
): Required<WireClient> {
  return {
    clientId: `edge1/${moduleId}`,
    username: `localhost/edge1/${moduleId}/?api-version=2021-04-12`,
    password: buildSasToken(
      resourceUri("localhost", "edge1", moduleId),
      key,
      Math.floor(Date.now() / 1000) + ttlSecs,
    ),
  };
}

/**
 * Opens a loopback TCP connection to `port`, sends CONNECT (persistent session) and resolves
 * with the socket once CONNACK accepts it; packets after that go to `onPacket`. A socket error
 * (`closed` false) or the close (`closed` true) after the CONNACK goes to `onLost`; the caller
 * decides whether it matters.
 */
export function connectClient(o: {
  port: number;
  client: WireClient;
  keepalive: number;
  connackTimeoutMs: number;
  onPacket: OnPacket;
  onLost: (why: string, closed: boolean) => void;
}): Promise<net.Socket> {
  const id = o.client.clientId;
  return new Promise((ok, fail) => {
    const s = net.connect({ host: "127.0.0.1", port: o.port });
    s.setNoDelay(true);
    const timer = setTimeout(
      () => fail(new Error(`${id}: no CONNACK in ${o.connackTimeoutMs / 1000} s`)),
      o.connackTimeoutMs,
    );
    let connected = false;
    const framer = new WireFramer((type, flags, body) => {
      if (connected) return o.onPacket(type, flags, body);
      clearTimeout(timer);
      if (type !== PacketType.connack || body[1] !== 0) {
        s.destroy();
        return fail(new Error(`${id}: CONNACK ${type}/${body[1]}`));
      }
      connected = true;
      ok(s);
    });
    s.on("data", (d: Buffer) => framer.push(d));
    s.on("error", (e) => {
      clearTimeout(timer);
      if (connected) o.onLost(`${id}: ${e.message}`, false);
      else fail(e);
    });
    s.on("close", () => connected && o.onLost(`${id}: socket closed by broker`, true));
    s.once(
      "connect",
      () => s.write(connectFrame({ ...o.client, clean: false, keepalive: o.keepalive })),
    );
  });
}

/**
 * Runs a load generator's `main` and prints its outcome as one `RESULT {json}` line (what the
 * parent process parses), or `{fatal, errors}` if it throws or outlives `budgetMs`; then exits.
 */
export function runAndReport<T>(main: () => Promise<T>, budgetMs: number, errors: string[]): void {
  const report = (r: unknown, code: number) => {
    clearTimeout(hardStop);
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
    setTimeout(() => process.exit(code), 100); // let stdout drain
  };
  const hardStop = setTimeout(() => {
    process.stdout.write(
      `RESULT ${JSON.stringify({ fatal: "load generator timed out", errors })}\n`,
    );
    process.exit(2);
  }, budgetMs);
  main().then((r) => report(r, 0), (e) => report({ fatal: String(e), errors }, 1));
}
