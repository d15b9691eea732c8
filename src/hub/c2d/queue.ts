/**
 * Cloud-to-device messages: a durable per-device queue (SQLite) that `ledge send` fills and
 * a connected device drains at QoS 1. A message leaves the queue only when the device PUBACKs
 * it (MQTT's "complete"), so it survives disconnects and restarts. Like IoT Hub, at most 50
 * messages wait per device and each expires after its TTL.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import * as z from "zod";
import type { Db } from "../../db/mod.ts";
import { type HubMessage, SystemKey } from "../message.ts";
import { bagEntries, type DeliveryFeed, type OutboundMessage, topics } from "../mqtt/mod.ts";

export const MAX_QUEUE_DEPTH = 50;
export const DEFAULT_C2D_TTL_SECS = 3600;

/** The queue is full (IoT Hub 403004 DeviceMaximumQueueDepthExceeded). */
export class QueueFullError extends Error {
  override name = "QueueFullError";
}

const storedMessage = z.object({
  body: z.string(),
  properties: z.record(z.string(), z.string()),
  systemProperties: z.record(z.string(), z.string()),
});

function encode(m: HubMessage): Uint8Array {
  return Buffer.from(JSON.stringify({
    body: Buffer.from(m.body).toString("base64"),
    properties: m.properties,
    systemProperties: m.systemProperties,
  }));
}

function decode(bytes: Uint8Array): HubMessage {
  const v = storedMessage.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
  return { ...v, body: Buffer.from(v.body, "base64") };
}

export class C2dQueue {
  private readonly events = new EventEmitter();

  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {
    this.events.setMaxListeners(0);
  }

  /** Enqueues run one at a time, so the depth check and the insert cannot interleave. */
  private enqueueTail: Promise<unknown> = Promise.resolve();

  /** Queues a message for `deviceId`; returns its message id. */
  enqueue(
    deviceId: string,
    body: Uint8Array,
    properties: Record<string, string>,
    opts: { messageId?: string; ttlSecs?: number } = {},
  ): Promise<string> {
    const run = this.enqueueTail.then(() => this.insert(deviceId, body, properties, opts));
    this.enqueueTail = run.catch(() => {});
    return run;
  }

  private async insert(
    deviceId: string,
    body: Uint8Array,
    properties: Record<string, string>,
    opts: { messageId?: string; ttlSecs?: number },
  ): Promise<string> {
    await this.purgeExpired(deviceId);
    const depth = await this.db.selectFrom("c2d_messages")
      .select((eb) => eb.fn.countAll<number>().as("n")).where("device_id", "=", deviceId)
      .executeTakeFirstOrThrow();
    if (Number(depth.n) >= MAX_QUEUE_DEPTH) {
      throw new QueueFullError(
        `device '${deviceId}' already has ${MAX_QUEUE_DEPTH} queued messages`,
      );
    }
    const messageId = opts.messageId ?? randomUUID();
    const now = this.now();
    const ttl = opts.ttlSecs ?? DEFAULT_C2D_TTL_SECS;
    const message: HubMessage = {
      body,
      properties,
      systemProperties: {
        [SystemKey.messageId]: messageId,
        [SystemKey.to]: `/devices/${deviceId}/messages/deviceBound`,
        [SystemKey.expiryTime]: new Date(now + ttl * 1000).toISOString(),
      },
    };
    await this.db.insertInto("c2d_messages").values({
      device_id: deviceId,
      message: encode(message),
      enqueued_at: new Date(now).toISOString(),
      expires_at: new Date(now + ttl * 1000).toISOString(),
    } as never).execute();
    this.events.emit(deviceId);
    return messageId;
  }

  /** Messages waiting for `deviceId`. */
  async depth(deviceId: string): Promise<number> {
    const r = await this.db.selectFrom("c2d_messages")
      .select((eb) => eb.fn.countAll<number>().as("n")).where("device_id", "=", deviceId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  private async purgeExpired(deviceId: string): Promise<void> {
    await this.db.deleteFrom("c2d_messages").where("device_id", "=", deviceId)
      .where("expires_at", "<", new Date(this.now()).toISOString()).execute();
  }

  /** A delivery feed for one connection of `deviceId`: redelivers what was never acknowledged. */
  feed(deviceId: string): DeliveryFeed {
    let cursor = 0;
    return {
      pull: async (max: number): Promise<OutboundMessage[]> => {
        await this.purgeExpired(deviceId);
        const rows = await this.db.selectFrom("c2d_messages").select(["seq", "message"])
          .where("device_id", "=", deviceId).where("seq", ">", cursor).orderBy("seq")
          .limit(max).execute();
        if (rows.length) cursor = rows[rows.length - 1].seq;
        return rows.map((r) => {
          const m = decode(r.message);
          const bag = topics.formatPropertyBag(bagEntries(m.properties, m.systemProperties));
          return {
            topic: topics.c2dTopic(deviceId, bag),
            payload: m.body,
            ack: async () => {
              await this.db.deleteFrom("c2d_messages").where("seq", "=", r.seq).execute();
            },
          };
        });
      },
      onAvailable: (cb) => {
        this.events.on(deviceId, cb);
        return () => this.events.off(deviceId, cb);
      },
      close: () => {},
    };
  }
}
