/**
 * One client connection: the per-connection state machine (awaiting CONNECT → connected →
 * closed), packet framing and parsing, ordered QoS 1 acknowledgements, back-pressure, and
 * the pull-based outbound window. Packet meanings live in the handler files; this file only
 * moves bytes and keeps state.
 *
 * Invariants:
 * - PUBACKs go out in the order the PUBLISHes came in [MQTT-4.6.0-2], and only after the
 *   sink has durably accepted the message.
 * - The hub never buffers more than one packet per client on input, and never more than
 *   `maxOutboundInflight` messages (and `maxOutboundBytes`) unacknowledged per client on
 *   output; what it has not taken stays on disk.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import mqtt from "mqtt-packet";
import type { IdentityId } from "../../identity/mod.ts";
import type { Logger } from "../../log/mod.ts";
import { FramingError, PacketFramer } from "./framing.ts";
import type { DeliveryFeed, HubServices, MethodResponder, OutboundMessage } from "./services.ts";

// mqtt-packet otherwise fills a cache of 65,536 two-byte Buffers on the first packet it
// writes: ~9 MB of heap on a 512 MB device to save one tiny allocation per packet.
mqtt.writeToStream.cacheNumbers = false;

export type ConnectionState = "awaiting-connect" | "connected" | "closed";

/** Persistent-session state kept across reconnects of a clean=0 client. */
export interface SessionState {
  subscriptions: Map<string, 0 | 1>;
}

/** The hub-side registry the connection reports to (session takeover, desired patches). */
export interface ConnectionRegistry {
  attach(conn: Connection): SessionState | undefined;
  detach(conn: Connection): void;
}

/** mqtt-packet needs a Buffer; wrap a Uint8Array's bytes without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** MQTT allows topics up to 65535 bytes; the framer admits the message limit plus that. */
const TOPIC_ALLOWANCE = 65_535 + 16;

export class Connection implements MethodResponder {
  state: ConnectionState = "awaiting-connect";
  clientId = "";
  identity?: IdentityId;
  identityKey = "";
  cleanSession = true;
  subscriptions = new Map<string, 0 | 1>();
  readonly log: Logger;
  readonly remote: string;

  private readonly framer: PacketFramer;
  private readonly parser = mqtt.parser({ protocolVersion: 4 });
  private readonly ackQueue: Array<{ messageId: number; done: boolean; send: boolean }> = [];
  private pendingAccepts = 0;
  private pendingBytes = 0;
  private paused = false;
  private nextPacketId = 1;
  private readonly inflight = new Map<number, OutboundMessage>();
  private inflightBytes = 0;
  readonly feeds = new Map<string, { feed: DeliveryFeed; off: () => void }>();
  private pumping = false;
  private pumpAgain = false;
  // One handle per purpose, replaced rather than accumulated: a connection lives for months
  // and its keep-alive check runs every half period.
  private connectTimer?: ReturnType<typeof setTimeout>;
  private keepAliveTimer?: ReturnType<typeof setTimeout>;
  private expiryTimer?: ReturnType<typeof setTimeout>;
  private keepAliveMs = 0;
  private lastActivity = Date.now();
  /** Set by the connect handler: what runs each packet. */
  onPacket: (conn: Connection, packet: mqtt.Packet) => void | Promise<void> = () => {};
  onClose: (conn: Connection) => void = () => {};

  constructor(readonly socket: Socket, readonly services: HubServices) {
    this.remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.log = services.log.child("mqtt");
    this.framer = new PacketFramer(services.limits.maxMessageBytes + TOPIC_ALLOWANCE);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => this.onData(chunk));
    socket.on("error", (err) => this.lost(`socket error: ${err.message}`));
    socket.on("close", () => this.lost("socket closed"));
    socket.on("drain", () => this.schedulePump());
    this.parser.on("packet", (p) => this.dispatch(p));
    this.parser.on("error", (err) => this.protocolError(`malformed packet: ${err.message}`));
    this.connectTimer = setTimeout(() => {
      if (this.state === "awaiting-connect") {
        this.protocolError(`no CONNECT within ${services.limits.connectTimeoutMs} ms`);
      }
    }, services.limits.connectTimeoutMs);
  }

  /** The peer went away; says so if it left half a packet or never got connected. */
  private lost(reason: string): void {
    if (this.state === "closed") return;
    const partial = this.framer.buffered;
    const why = partial > 0
      ? `${reason} in the middle of a packet (${partial} bytes received)`
      : reason;
    if (this.state === "awaiting-connect") {
      this.log.debug("connection closed before CONNECT completed", {
        remote: this.remote,
        reason: why,
      });
    }
    this.close(why);
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === "closed") return;
    this.lastActivity = Date.now();
    let packets: Uint8Array[];
    try {
      packets = this.framer.push(chunk);
    } catch (e) {
      if (e instanceof FramingError) return this.protocolError(e.message);
      throw e;
    }
    for (const p of packets) {
      if ((this.state as ConnectionState) === "closed") return;
      // PUBACK (0x40, length 2, packet id) is most of what a consuming module sends: take it
      // without building a packet object and a promise for each [MQTT-3.4].
      if (p.length === 4 && p[0] === 0x40 && p[1] === 2 && this.state === "connected") {
        this.acknowledged((p[2] << 8) | p[3]);
        continue;
      }
      this.parser.parse(p as Parameters<typeof this.parser.parse>[0]);
    }
  }

  private dispatch(packet: mqtt.Packet): void {
    if (this.state === "closed") return;
    if (this.state === "awaiting-connect" && packet.cmd !== "connect") {
      return this.protocolError(`first packet was ${packet.cmd}, not CONNECT [MQTT-3.1.0-1]`);
    }
    Promise.resolve(this.onPacket(this, packet)).catch((e) => {
      this.log.error("packet handler failed", { client: this.clientId, error: String(e) });
      this.close("internal error");
    });
  }

  /** Logs and disconnects a client that broke the protocol; others carry on. */
  protocolError(reason: string): void {
    if (this.state === "closed") return;
    this.log.warn("disconnecting client", { client: this.clientId || this.remote, reason });
    this.close(reason);
  }

  /** Writes one packet; returns false if the socket wants a drain. */
  send(packet: mqtt.Packet): boolean {
    if (this.state === "closed" || this.socket.destroyed) return false;
    return this.socket.write(mqtt.generate(packet));
  }

  startKeepAlive(seconds: number): void {
    if (seconds === 0) return;
    this.keepAliveMs = seconds * 1000;
    const check = () => {
      if (this.state === "closed") return;
      // [MQTT-3.1.2-24]: one and a half times the keep-alive without a packet.
      if (Date.now() - this.lastActivity > this.keepAliveMs * 1.5) {
        return this.close("keep-alive expired");
      }
      this.keepAliveTimer = setTimeout(check, this.keepAliveMs / 2);
    };
    clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = setTimeout(check, this.keepAliveMs / 2);
  }

  /** Closes the connection when the client's token expires (plus the allowed skew). */
  expireAt(msFromNow: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => this.close("SAS token expired"),
      Math.min(msFromNow, 2 ** 31 - 1),
    );
  }

  // --- inbound QoS 1: ordered acks and back-pressure -------------------------------------

  /**
   * Tracks an accept in progress; the PUBACK (if `qos1`) goes out in arrival order. Reading
   * pauses while too many messages (or bytes) of this client wait to be stored.
   */
  track(accepted: Promise<void>, messageId: number | undefined, bytes = 0): void {
    const entry = { messageId: messageId ?? 0, done: false, send: messageId !== undefined };
    this.ackQueue.push(entry);
    this.pendingAccepts++;
    this.pendingBytes += bytes;
    const limits = this.services.limits;
    if (
      !this.paused &&
      (this.pendingAccepts >= limits.maxInflight || this.pendingBytes >= limits.maxInboundBytes)
    ) {
      this.paused = true;
      this.socket.pause();
    }
    accepted.then(
      () => {
        entry.done = true;
      },
      (e) => {
        // Not acknowledged: the client's own timeout resends it. Never ack what we lost.
        entry.done = true;
        entry.send = false;
        this.log.warn("message not accepted; no PUBACK", {
          client: this.clientId,
          error: String(e),
        });
      },
    ).finally(() => {
      this.pendingAccepts--;
      this.pendingBytes -= bytes;
      this.flushAcks();
      if (
        this.paused && this.pendingAccepts < limits.maxInflight / 2 &&
        this.pendingBytes < limits.maxInboundBytes / 2
      ) {
        this.paused = false;
        this.socket.resume();
      }
    });
  }

  private flushAcks(): void {
    // Corked: the PUBACKs released together leave in one writev, not one write each.
    this.socket.cork();
    while (this.ackQueue.length && this.ackQueue[0].done) {
      const e = this.ackQueue.shift()!;
      if (e.send) this.send({ cmd: "puback", messageId: e.messageId });
    }
    this.socket.uncork();
  }

  // --- outbound QoS 1: feeds and the in-flight window -------------------------------------

  /** Opens a feed (C2D or inputs) unless one is open, and starts pulling from it. */
  addFeed(name: string, open: () => DeliveryFeed): void {
    if (this.feeds.has(name)) return;
    const feed = open();
    const off = feed.onAvailable(() => this.schedulePump());
    this.feeds.set(name, { feed, off });
    this.schedulePump();
  }

  removeFeed(name: string): void {
    const f = this.feeds.get(name);
    if (!f) return;
    f.off();
    f.feed.close();
    this.feeds.delete(name);
  }

  schedulePump(): void {
    if (this.state !== "connected") return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pump().catch((e) => {
      this.log.error("delivery failed", { client: this.clientId, error: String(e) });
    }).finally(() => {
      this.pumping = false;
    });
  }

  private async pump(): Promise<void> {
    do {
      this.pumpAgain = false;
      for (const { feed } of [...this.feeds.values()]) {
        if (this.state !== "connected" || this.socket.writableNeedDrain) return;
        const limits = this.services.limits;
        const free = limits.maxOutboundInflight - this.inflight.size;
        if (free <= 0 || this.inflightBytes >= limits.maxOutboundBytes) return;
        const batch = await feed.pull(free);
        this.socket.cork(); // one writev for the batch
        for (const m of batch) this.publishQos1(m);
        this.socket.uncork();
        if (batch.length === free) this.pumpAgain = true;
      }
    } while (this.pumpAgain);
  }

  private publishQos1(m: OutboundMessage): void {
    let id = this.nextPacketId;
    while (this.inflight.has(id)) id = id >= 65535 ? 1 : id + 1;
    this.nextPacketId = id >= 65535 ? 1 : id + 1;
    this.inflight.set(id, m);
    this.inflightBytes += m.payload.length;
    this.send({
      cmd: "publish",
      topic: m.topic,
      payload: asBuffer(m.payload),
      qos: 1,
      messageId: id,
      retain: false,
      dup: false,
    } as mqtt.IPublishPacket);
  }

  /** A PUBACK from the client completes one outbound message. */
  acknowledged(messageId: number): void {
    const m = this.inflight.get(messageId);
    if (!m) return;
    this.inflight.delete(messageId);
    this.inflightBytes -= m.payload.length;
    // Refill in half-window batches (of whichever limit binds): one log read per batch, not
    // one per acknowledgement.
    const limits = this.services.limits;
    const used = Math.max(
      this.inflight.size / limits.maxOutboundInflight,
      this.inflightBytes / limits.maxOutboundBytes,
    );
    const refill = used <= 0.5;
    const done = m.ack();
    if (!(done instanceof Promise)) {
      if (refill) this.schedulePump();
      return;
    }
    done.catch((e) => this.log.error("ack failed", { client: this.clientId, error: String(e) }))
      .finally(() => {
        if (refill) this.schedulePump();
      });
  }

  /** Publishes at QoS 0 (twin responses, desired patches, method requests). */
  publishQos0(topic: string, payload: Uint8Array | string): void {
    this.send({
      cmd: "publish",
      topic,
      payload: typeof payload === "string" ? payload : asBuffer(payload),
      qos: 0,
      retain: false,
      dup: false,
    } as mqtt.IPublishPacket);
  }

  sendRequest(method: string, rid: string, payload: Uint8Array): void {
    this.publishQos0(`$iothub/methods/POST/${method}/?$rid=${rid}`, payload);
  }

  /** Closes once; releases feeds (their unacknowledged messages stay queued for next time). */
  close(reason: string): void {
    if (this.state === "closed") return;
    const wasConnected = this.state === "connected";
    this.state = "closed";
    for (const t of [this.connectTimer, this.keepAliveTimer, this.expiryTimer]) clearTimeout(t);
    for (const name of [...this.feeds.keys()]) this.removeFeed(name);
    this.inflight.clear();
    this.inflightBytes = 0;
    if (!this.socket.destroyed) {
      // end() lets a final packet (a refusing CONNACK) reach the client; destroy soon after
      // in case the peer never reads.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref?.();
    }
    if (wasConnected) this.log.info("client disconnected", { client: this.clientId, reason });
    this.onClose(this);
  }
}
