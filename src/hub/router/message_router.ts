/**
 * The hub's message sink: evaluates the routes for each message, stores it once in the
 * segment log with the endpoints it goes to, and acknowledges it only when that append is
 * durable. Endpoints read it back through their own queues: module inputs as a delivery feed
 * for the module's connection, `$upstream` kept within TTL until an upstream takes it.
 *
 * Invariants:
 * - A message the router resolved `accept` for is in the log (durable under the fsync policy).
 * - Routes are replaced whole: a table that does not compile changes nothing.
 * - Queues of endpoints that remain across a route change keep their positions.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { Logger } from "../../log/mod.ts";
import type { HubMessage, MessageSink } from "../message.ts";
import type { MessageMonitor } from "../monitor.ts";
import { bagEntries, type DeliveryFeed, type OutboundMessage, topics } from "../mqtt/mod.ts";
import type { RouteTable } from "../routing/mod.ts";
import { encodeMessage, type SegmentLog } from "../store/mod.ts";
import { consumerName, EndpointQueue } from "./endpoint_queue.ts";
import { encodeRoutedRecord } from "./routed_record.ts";

const MODULE_INPUT = /^\/modules\/([^/]+)\/inputs\/([^/]+)$/;

export class MessageRouter implements MessageSink {
  private table?: RouteTable;
  private readonly queues = new Map<string, EndpointQueue>();
  /**
   * Queues of endpoints that remain but no longer at this priority, kept until drained
   * (routing.md §5.2): consumer name → log seq after which nothing is routed to them.
   */
  private readonly retiring = new Map<string, number>();
  private readonly appended = new EventEmitter();
  /** Messages that matched no route (they go nowhere, as in IoT Hub). */
  unrouted = 0;

  constructor(
    private readonly log: SegmentLog,
    private readonly monitor: MessageMonitor,
    private readonly logger: Logger,
    private defaultTtlSecs: number,
  ) {
    this.appended.setMaxListeners(0);
  }

  /** Sets `storeAndForwardConfiguration.timeToLiveSecs` for every queue (routes without a TTL). */
  setDefaultTtl(secs: number): void {
    this.defaultTtlSecs = secs;
    for (const q of this.queues.values()) q.defaultTtlSecs = secs;
  }

  /** Applies a compiled route table; creates queues for new endpoints, drops removed ones. */
  async setRoutes(table: RouteTable): Promise<void> {
    const wanted = new Map<string, { endpointKey: string; priority: number }>();
    for (const t of table.targets()) wanted.set(consumerName(t.endpointKey, t.priority), t);
    for (const [name, { endpointKey, priority }] of wanted) {
      if (this.queues.has(name)) continue;
      // A new endpoint starts at the end of the log: it gets messages routed from now on.
      const checkpoint = await this.log.addConsumer(name, this.log.lastSeq);
      this.queues.set(
        name,
        new EndpointQueue(this.log, endpointKey, priority, checkpoint, this.defaultTtlSecs),
      );
    }
    const endpoints = table.endpoints();
    for (const [name, q] of this.queues) {
      if (wanted.has(name)) {
        this.retiring.delete(name);
        continue;
      }
      if (endpoints.has(q.endpointKey)) {
        if (!this.retiring.has(name)) this.retiring.set(name, this.log.lastSeq);
        continue;
      }
      await this.dropQueue(name);
      this.logger.info("endpoint removed with its route", { endpoint: name });
    }
    for (const [name, checkpoint] of this.log.checkpoints.entries()) {
      if (wanted.has(name) || this.queues.has(name)) continue;
      // Left from before a restart: an endpoint that remains at another priority drains it.
      const at = name.lastIndexOf("@");
      const endpointKey = name.slice(0, at);
      const priority = Number(name.slice(at + 1));
      if (at > 0 && endpoints.has(endpointKey) && checkpoint < this.log.lastSeq) {
        this.queues.set(
          name,
          new EndpointQueue(this.log, endpointKey, priority, checkpoint, this.defaultTtlSecs),
        );
        this.retiring.set(name, this.log.lastSeq);
      } else await this.log.removeConsumer(name);
    }
    this.table = table;
    await this.dropDrained();
  }

  private async dropQueue(name: string): Promise<void> {
    await this.queues.get(name)?.close();
    this.queues.delete(name);
    this.retiring.delete(name);
    await this.log.removeConsumer(name);
  }

  /** Drops retiring queues whose checkpoint passed the last record routed to them. */
  private async dropDrained(): Promise<void> {
    for (const [name, lastSeq] of this.retiring) {
      if ((this.log.checkpoint(name) ?? 0) >= lastSeq) await this.dropQueue(name);
    }
  }

  async accept(message: HubMessage): Promise<void> {
    const matches = this.table?.match(message) ?? [];
    if (matches.length === 0) {
      this.unrouted++;
      this.monitor.emit("message", message);
      return;
    }
    const record = encodeRoutedRecord(
      matches.map((m) => ({
        endpointKey: m.endpointKey,
        priority: m.priority,
        timeToLiveSecs: m.timeToLiveSecs > 0 ? m.timeToLiveSecs : -1,
      })),
      encodeMessage(message),
    );
    const seq = this.log.offer(record);
    if (seq < 0) await this.log.append(record);
    else await this.log.durable(seq);
    this.monitor.emit("message", message);
    for (const m of matches) {
      if (m.endpoint.kind === "module-input") this.appended.emit(m.endpoint.moduleId);
    }
  }

  /** Queues of a module's inputs, highest priority (lowest number) first. */
  private inputQueues(moduleId: string): Array<{ input: string; queue: EndpointQueue }> {
    const out: Array<{ input: string; queue: EndpointQueue }> = [];
    for (const q of this.queues.values()) {
      const m = MODULE_INPUT.exec(q.endpointKey);
      if (m && m[1] === moduleId) out.push({ input: m[2], queue: q });
    }
    return out.sort((a, b) => a.queue.priority - b.queue.priority);
  }

  /**
   * The delivery feed for a module's connection: all of its inputs, in priority order. Routes
   * may change while it is open; queues are looked up on every pull.
   */
  inputsFeed(deviceId: string, moduleId: string): DeliveryFeed {
    const attached = new Set<EndpointQueue>();
    const current = () => {
      const qs = this.inputQueues(moduleId);
      for (const { queue } of qs) {
        if (!attached.has(queue)) {
          queue.rewind(); // a new reader starts again from the oldest unacknowledged message
          attached.add(queue);
        }
      }
      return qs;
    };
    current();
    return {
      pull: async (max: number): Promise<OutboundMessage[]> => {
        const out: OutboundMessage[] = [];
        for (const { input, queue } of current()) {
          if (out.length >= max) break;
          for (const { seq, message } of await queue.take(max - out.length)) {
            const bag = topics.formatPropertyBag(
              bagEntries(message.properties, message.systemProperties),
            );
            out.push({
              topic: topics.inputTopic(deviceId, moduleId, input, bag),
              payload: message.body,
              ack: () => queue.ack(seq),
            });
          }
        }
        if (this.retiring.size) await this.dropDrained();
        return out;
      },
      onAvailable: (cb) => {
        this.appended.on(moduleId, cb);
        return () => this.appended.off(moduleId, cb);
      },
      close: () => {
        for (const queue of attached) void queue.commit();
      },
    };
  }

  /** Messages dropped by route TTLs, per queue. */
  stats(): Record<string, { expired: number; checkpoint: number | undefined }> {
    const out: Record<string, { expired: number; checkpoint: number | undefined }> = {};
    for (const [name, q] of this.queues) {
      out[name] = { expired: q.expired, checkpoint: this.log.checkpoint(name) };
    }
    return out;
  }

  async close(): Promise<void> {
    for (const q of this.queues.values()) await q.close();
  }
}
