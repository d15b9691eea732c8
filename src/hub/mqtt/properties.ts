/**
 * Mapping between MQTT property bags and the hub's message model: `$.mid` ↔ `messageId`,
 * `$.ct` ↔ `contentType`, ... (`shared/spec/iothub-mqtt.md` §4). Pure.
 *
 * @module
 */
import { SystemKey } from "../message.ts";

/** Bag key (without `$.`) → system property key. */
const inbound: Record<string, string> = {
  mid: SystemKey.messageId,
  cid: SystemKey.correlationId,
  uid: SystemKey.userId,
  to: SystemKey.to,
  ct: SystemKey.contentType,
  ce: SystemKey.contentEncoding,
  exp: SystemKey.expiryTime,
  ctime: SystemKey.creationTime,
  on: SystemKey.outputName,
  ifid: SystemKey.interfaceId,
  sub: SystemKey.componentName,
  schema: SystemKey.messageSchema,
};

/** System properties delivered to clients (C2D, inputs), in this order. */
const outbound: Array<[string, string]> = [
  [SystemKey.messageId, "mid"],
  [SystemKey.correlationId, "cid"],
  [SystemKey.userId, "uid"],
  [SystemKey.to, "to"],
  [SystemKey.contentType, "ct"],
  [SystemKey.contentEncoding, "ce"],
  [SystemKey.expiryTime, "exp"],
  [SystemKey.creationTime, "ctime"],
  [SystemKey.messageSchema, "schema"],
  [SystemKey.connectionDeviceId, "cdid"],
  [SystemKey.connectionModuleId, "cmid"],
];

/** Splits a parsed bag into application and system properties. */
export function splitBag(bag: Map<string, string>): {
  properties: Record<string, string>;
  systemProperties: Record<string, string>;
} {
  const properties: Record<string, string> = {};
  const systemProperties: Record<string, string> = {};
  for (const [k, v] of bag) {
    if (k.startsWith("$.")) {
      const name = k.slice(2);
      systemProperties[inbound[name] ?? name] = v;
    } else if (k === "dt-subject") {
      systemProperties[SystemKey.componentName] = v;
    } else {
      properties[k] = v;
    }
  }
  return { properties, systemProperties };
}

/** The bag entries for a delivered message: system keys as `$.x`, then application keys. */
export function bagEntries(
  properties: Record<string, string>,
  systemProperties: Record<string, string>,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [sys, short] of outbound) {
    const v = systemProperties[sys];
    if (v !== undefined) out.push([`$.${short}`, v]);
  }
  for (const [k, v] of Object.entries(properties)) out.push([k, v]);
  return out;
}
