/**
 * The hub's message tap: every message the hub has accepted is announced here, so
 * `ledge monitor` can stream what arrives (like `az iot hub monitor-events`). Listeners that
 * cannot keep up are the API's problem: it drops their oldest lines, never the hub's data.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { HubMessage, MessageSink } from "./message.ts";

export class MessageMonitor extends EventEmitter<{ message: [HubMessage] }> {
  constructor() {
    super();
    this.setMaxListeners(0);
  }
}

/** A sink that only shows messages on the monitor (no routing configured). */
export class MonitorSink implements MessageSink {
  constructor(private readonly monitor: MessageMonitor) {}
  accept(message: HubMessage): Promise<void> {
    this.monitor.emit("message", message);
    return Promise.resolve();
  }
}

/** The JSON shape `ledge monitor` prints for one message. */
export function monitorEvent(m: HubMessage): Record<string, unknown> {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(m.body);
  let payload: unknown = text;
  if (m.systemProperties.contentType?.includes("json")) {
    try {
      payload = JSON.parse(text);
    } catch { /* keep the text */ }
  }
  return {
    event: {
      origin: m.systemProperties.connectionDeviceId,
      module: m.systemProperties.connectionModuleId ?? "",
      interface: m.systemProperties["iothub-interface-id"] ?? "",
      component: m.systemProperties["dt-subject"] ?? "",
      payload,
      properties: { system: m.systemProperties, application: m.properties },
    },
  };
}
