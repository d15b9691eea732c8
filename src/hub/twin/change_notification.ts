/**
 * Twin change notifications: when a client updates its reported properties, edgeHub routes a
 * message describing the change (source `/twinChangeNotifications`), so routes can forward it
 * upstream or to a module (`shared/spec/routing.md` §1).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { type HubMessage, SystemKey } from "../message.ts";
import type { TwinProps } from "./merge.ts";

/** The routed message for a reported-properties patch of `identityKey` (`dev` or `dev/mod`). */
export function twinChangeMessage(
  identityKey: string,
  patch: TwinProps,
  version: number,
): HubMessage {
  const [deviceId, moduleId] = identityKey.split("/");
  const systemProperties: Record<string, string> = {
    messageType: "twinChangeNotification",
    [SystemKey.messageSchema]: "twinChangeNotification",
    [SystemKey.connectionDeviceId]: deviceId,
    [SystemKey.contentType]: "application/json",
    [SystemKey.contentEncoding]: "utf-8",
    [SystemKey.enqueuedTime]: new Date().toISOString(),
    [SystemKey.edgeMessageId]: randomUUID(),
  };
  if (moduleId !== undefined) systemProperties[SystemKey.connectionModuleId] = moduleId;
  return {
    body: Buffer.from(JSON.stringify({ version, properties: { reported: patch } })),
    properties: {},
    systemProperties,
  };
}
