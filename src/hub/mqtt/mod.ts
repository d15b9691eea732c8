/**
 * The hub's MQTT 3.1.1 endpoint, as the Azure IoT SDKs expect it.
 *
 * @module
 */
export { type ListenOptions, MqttServer, parseHostPort } from "./server.ts";
export type {
  Authenticator,
  AuthResult,
  DeliveryFeed,
  FeedSource,
  HubServices,
  MethodRelayPort,
  MethodResponder,
  MqttLimits,
  OutboundMessage,
} from "./services.ts";
export * as topics from "./topics.ts";
export { bagEntries, splitBag } from "./properties.ts";
export { FramingError, PacketFramer, readRemainingLength } from "./framing.ts";
