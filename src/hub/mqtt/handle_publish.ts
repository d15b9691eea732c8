/**
 * PUBLISH from a client: telemetry and module outputs (to the message sink, PUBACK after a
 * durable accept), twin GET and reported PATCH, and direct-method responses. Anything outside
 * the client's own topics disconnects it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import type mqtt from "mqtt-packet";
import { type HubMessage, SystemKey } from "../message.ts";
import { TwinPatchError } from "../twin/mod.ts";
import type { Connection } from "./connection.ts";
import { splitBag } from "./properties.ts";
import { parseInboundTopic, parsePropertyBag, twinResponseTopic } from "./topics.ts";

function payloadBytes(p: mqtt.IPublishPacket["payload"]): Uint8Array {
  return typeof p === "string" ? Buffer.from(p) : p;
}

/** An IoT Hub-style error body; Node's SDK fails a twin request only when it has `errorCode`. */
export function errorBody(errorCode: number, message: string): string {
  return JSON.stringify({
    errorCode,
    message,
    trackingId: randomUUID(),
    timestampUtc: new Date().toISOString(),
  });
}

export async function handlePublish(conn: Connection, packet: mqtt.IPublishPacket): Promise<void> {
  if (packet.qos === 2) return conn.protocolError("QoS 2 is not supported");
  const identity = conn.identity!;
  const payload = payloadBytes(packet.payload);
  const topic = parseInboundTopic(packet.topic);
  if (packet.qos === 1 && topic.kind !== "telemetry" && topic.kind !== "unknown") {
    // Twin and method publishes are QoS 0 from the Node and C SDKs, but a client that sends
    // them at QoS 1 still needs its PUBACK, in order with the others [MQTT-4.3.2].
    conn.track(Promise.resolve(), packet.messageId);
  }
  switch (topic.kind) {
    case "telemetry": {
      if (
        topic.deviceId !== identity.deviceId || (topic.moduleId ?? "") !== (identity.moduleId ?? "")
      ) {
        return conn.protocolError(`publish to another identity's topic '${packet.topic}'`);
      }
      if (payload.length > conn.services.limits.maxMessageBytes) {
        return conn.protocolError(
          `message of ${payload.length} bytes exceeds ${conn.services.limits.maxMessageBytes}`,
        );
      }
      const { properties, systemProperties } = splitBag(parsePropertyBag(topic.bag));
      systemProperties[SystemKey.connectionDeviceId] = identity.deviceId;
      if (identity.moduleId !== undefined) {
        systemProperties[SystemKey.connectionModuleId] = identity.moduleId;
      } else {
        delete systemProperties[SystemKey.outputName];
      }
      systemProperties[SystemKey.enqueuedTime] = new Date().toISOString();
      systemProperties[SystemKey.edgeMessageId] = randomUUID();
      const message: HubMessage = { body: payload, properties, systemProperties };
      conn.track(
        conn.services.sink.accept(message),
        packet.qos === 1 ? packet.messageId : undefined,
        payload.length,
      );
      return;
    }
    case "twin-get": {
      const twin = await conn.services.twins.get(conn.identityKey);
      conn.publishQos0(twinResponseTopic(200, topic.rid), JSON.stringify(twin));
      return;
    }
    case "twin-patch-reported": {
      let patch: unknown;
      try {
        patch = JSON.parse(new TextDecoder().decode(payload));
      } catch {
        conn.publishQos0(
          twinResponseTopic(400, topic.rid),
          errorBody(400004, "reported properties patch is not valid JSON"),
        );
        return;
      }
      try {
        const version = await conn.services.twins.patchReported(conn.identityKey, patch);
        conn.publishQos0(twinResponseTopic(204, topic.rid, version), "");
      } catch (e) {
        const bad = e instanceof TwinPatchError;
        conn.publishQos0(
          twinResponseTopic(bad ? 400 : 500, topic.rid),
          errorBody(bad ? 400004 : 500001, (e as Error).message),
        );
      }
      return;
    }
    case "method-response":
      conn.services.methods.complete(conn.identityKey, topic.rid, topic.status, payload);
      return;
    case "unknown":
      return conn.protocolError(`publish to unsupported topic '${packet.topic.slice(0, 200)}'`);
  }
}
