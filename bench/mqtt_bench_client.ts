/**
 * A lean MQTT 3.1.1 load client for the hub benchmarks: raw mqtt-packet over node:net or
 * node:tls, loopback only. It connects with a SAS password and publishes QoS 1 telemetry
 * with a bounded window of unacknowledged messages, recording PUBACK latencies.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import mqtt from "mqtt-packet";

export interface BenchConnectOptions {
  port: number;
  /** Use TLS trusting this CA (server name `localhost`). */
  ca?: string;
  clientId: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

export interface PublishResult {
  acks: number;
  /** PUBACK latencies in ms. Bounded: one per acknowledged message of this run. */
  latencies: Float64Array;
}

export class BenchClient {
  private readonly parser = mqtt.parser({ protocolVersion: 4 });
  private onPuback: (id: number) => void = () => {};

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => this.parser.parse(d));
    this.parser.on("packet", (p) => {
      if (p.cmd === "puback") this.onPuback(p.messageId ?? 0);
    });
  }

  /** Connects and completes CONNECT; rejects unless CONNACK is 0. */
  static connect(o: BenchConnectOptions): Promise<BenchClient> {
    return new Promise((ok, fail) => {
      const socket = o.ca
        ? tls.connect({ host: "127.0.0.1", port: o.port, ca: o.ca, servername: "localhost" })
        : net.connect({ host: "127.0.0.1", port: o.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        fail(new Error(`${o.clientId}: no CONNACK within ${o.timeoutMs ?? 10_000} ms`));
      }, o.timeoutMs ?? 10_000);
      const parser = mqtt.parser({ protocolVersion: 4 });
      const onData = (d: Buffer) => parser.parse(d);
      parser.once("packet", (p) => {
        clearTimeout(timer);
        socket.off("data", onData);
        if (p.cmd !== "connack" || p.returnCode !== 0) {
          socket.destroy();
          return fail(new Error(`${o.clientId}: ${p.cmd} ${JSON.stringify(p)}`));
        }
        ok(new BenchClient(socket));
      });
      socket.on("data", onData);
      socket.once("error", (e) => {
        clearTimeout(timer);
        fail(e);
      });
      socket.once(o.ca ? "secureConnect" : "connect", () => {
        socket.write(mqtt.generate({
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 4,
          clean: false,
          keepalive: 180,
          clientId: o.clientId,
          username: o.username,
          password: Buffer.from(o.password),
        }));
      });
    });
  }

  /**
   * Publishes QoS 1 `payload` to `topic` keeping up to `window` unacknowledged, until
   * `untilMs` (epoch ms); then waits (bounded) for the outstanding PUBACKs.
   */
  publishFor(
    topic: string,
    payload: Uint8Array,
    window: number,
    untilMs: number,
  ): Promise<PublishResult> {
    const template = mqtt.generate({
      cmd: "publish",
      topic,
      payload: Buffer.from(payload),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    } as mqtt.IPublishPacket);
    // Fixed header (1 + length bytes), topic length (2) and topic, then the packet id.
    const topicBytes = Buffer.byteLength(topic);
    const remaining = 2 + topicBytes + 2 + payload.length;
    const rlBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
    const idOffset = 1 + rlBytes + 2 + topicBytes;
    const sentAt = new Float64Array(65_536);
    const latencies: number[] = [];
    let nextId = 1;
    let inflight = 0;
    let corked = false;
    return new Promise((ok) => {
      const finish = () => {
        this.onPuback = () => {};
        clearTimeout(guard);
        ok({ acks: latencies.length, latencies: Float64Array.from(latencies) });
      };
      const guard = setTimeout(finish, untilMs - Date.now() + 10_000);
      const sendOne = () => {
        const id = nextId;
        nextId = nextId >= 65_535 ? 1 : nextId + 1;
        const packet = Buffer.from(template);
        packet.writeUInt16BE(id, idOffset);
        sentAt[id] = performance.now();
        inflight++;
        // Coalesce the writes of one event-loop turn into one socket write.
        if (!corked) {
          corked = true;
          this.socket.cork();
          queueMicrotask(() => {
            corked = false;
            this.socket.uncork();
          });
        }
        this.socket.write(packet);
      };
      this.onPuback = (id) => {
        inflight--;
        latencies.push(performance.now() - sentAt[id]);
        if (Date.now() < untilMs) sendOne();
        else if (inflight === 0) finish();
      };
      for (let i = 0; i < window; i++) sendOne();
    });
  }

  close(): Promise<void> {
    return new Promise((ok) => {
      if (this.socket.destroyed) return ok();
      this.socket.once("close", () => ok());
      this.socket.end(mqtt.generate({ cmd: "disconnect" }));
      setTimeout(() => {
        this.socket.destroy();
        ok();
      }, 2_000);
    });
  }
}
