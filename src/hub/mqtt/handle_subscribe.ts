/**
 * SUBSCRIBE and UNSUBSCRIBE: authorize each filter against the identity's own topics (0x80
 * for anything else), then turn the subscription set into features: the C2D feed, the module
 * input feed, direct methods and desired-property notifications.
 *
 * @module
 */
import type mqtt from "mqtt-packet";
import type { Connection } from "./connection.ts";
import { maySubscribe, topicMatches } from "./topics.ts";

const probe = {
  c2d: (d: string) => `devices/${d}/messages/devicebound/x`,
  inputs: (d: string, m: string) => `devices/${d}/modules/${m}/inputs/x/y`,
  methods: "$iothub/methods/POST/x/",
};

function subscribed(conn: Connection, topic: string): boolean {
  for (const f of conn.subscriptions.keys()) if (topicMatches(f, topic)) return true;
  return false;
}

/** Opens or closes feeds and method registration to match the current subscriptions. */
export function applySubscriptions(conn: Connection): void {
  const { deviceId, moduleId } = conn.identity!;
  const services = conn.services;
  if (moduleId === undefined) {
    if (subscribed(conn, probe.c2d(deviceId))) {
      conn.addFeed("c2d", () => services.feeds.c2d(deviceId));
    } else conn.removeFeed("c2d");
  } else if (services.feeds.inputs) {
    if (subscribed(conn, probe.inputs(deviceId, moduleId))) {
      conn.addFeed("inputs", () => services.feeds.inputs!(deviceId, moduleId));
    } else conn.removeFeed("inputs");
  }
  if (subscribed(conn, probe.methods)) services.methods.register(conn.identityKey, conn);
  else services.methods.unregister(conn.identityKey, conn);
}

/** Whether the client wants desired-property notifications. */
export function wantsDesired(conn: Connection): boolean {
  return subscribed(conn, "$iothub/twin/PATCH/properties/desired/?$version=1");
}

export function handleSubscribe(conn: Connection, packet: mqtt.ISubscribePacket): void {
  const granted: number[] = [];
  for (const { topic, qos } of packet.subscriptions) {
    if (maySubscribe(conn.identity!, topic)) {
      const q = qos >= 1 ? 1 : 0;
      conn.subscriptions.set(topic, q);
      granted.push(q);
    } else {
      conn.log.warn("subscription refused", { client: conn.clientId, filter: topic });
      granted.push(0x80);
    }
  }
  conn.send({ cmd: "suback", messageId: packet.messageId, granted });
  applySubscriptions(conn);
}

export function handleUnsubscribe(conn: Connection, packet: mqtt.IUnsubscribePacket): void {
  for (const t of packet.unsubscriptions) conn.subscriptions.delete(t);
  conn.send({ cmd: "unsuback", messageId: packet.messageId, granted: [] });
  applySubscriptions(conn);
}
