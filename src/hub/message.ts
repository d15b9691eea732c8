/**
 * The hub's message model: what a device or module sent, as routing, the store and every
 * protocol head see it. Property values are strings, as in IoT Hub; system property keys use
 * edgeHub's names (`messageId`, `cid`, `contentType`, `connectionDeviceId`, `outputName`, ...),
 * see `shared/spec/routing.md` §3.
 *
 * @module
 */

/** System property keys as edgeHub stores them (routing.md §3). */
export const SystemKey = {
  messageId: "messageId",
  correlationId: "cid",
  userId: "userId",
  to: "to",
  ack: "ack",
  contentType: "contentType",
  contentEncoding: "contentEncoding",
  expiryTime: "absolute-expiry-time",
  creationTime: "creationTime",
  messageSchema: "messageSchema",
  operation: "operation",
  outputName: "outputName",
  inputName: "inputName",
  connectionDeviceId: "connectionDeviceId",
  connectionModuleId: "connectionModuleId",
  enqueuedTime: "enqueuedTime",
  edgeMessageId: "edgeMessageId",
  interfaceId: "iothub-interface-id",
  componentName: "dt-subject",
} as const;

/** A message as the hub carries it. */
export interface HubMessage {
  /** Raw payload bytes; the hub never interprets them except for `$body` route queries. */
  body: Uint8Array;
  /** Application (user) properties. */
  properties: Record<string, string>;
  /** System properties, keyed by {@link SystemKey} values. */
  systemProperties: Record<string, string>;
}

/** Where a message should go; implemented by the router (issue 3), used by protocol heads. */
export interface MessageSink {
  /**
   * Accepts one message from an authenticated client. Resolves once the message is durably
   * accepted (a QoS 1 PUBACK may then be sent); rejects when it cannot be (e.g. disk full).
   */
  accept(message: HubMessage): Promise<void>;
}
