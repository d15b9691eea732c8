/**
 * What the MQTT head needs from the rest of the hub, as interfaces, so the protocol code is
 * independent of how authentication, storage, twins and methods are done.
 *
 * @module
 */
import type { IdentityId } from "../../identity/mod.ts";
import type { Logger } from "../../log/mod.ts";
import type { MessageSink } from "../message.ts";
import type { TwinStore } from "../twin/mod.ts";

/** The outcome of checking CONNECT credentials. */
export type AuthResult =
  | { ok: true; identity: IdentityId; expiresAtSecs: number }
  | { ok: false; returnCode: 2 | 3 | 4 | 5; reason: string };

/** Checks CONNECT credentials (SAS in the password). */
export interface Authenticator {
  authenticate(
    req: { clientId: string; username?: string; password?: Uint8Array },
  ): Promise<AuthResult>;
}

/** One message the hub sends to a client at QoS 1; `ack` runs when the client PUBACKs it. */
export interface OutboundMessage {
  topic: string;
  payload: Uint8Array;
  ack(): Promise<void> | void;
}

/**
 * A pull-based source of QoS 1 messages for one connected client (its C2D queue or a module
 * input endpoint). The connection pulls at most its free in-flight window, so a slow client
 * never grows the hub's memory: what it has not taken stays on disk.
 */
export interface DeliveryFeed {
  pull(max: number): Promise<OutboundMessage[]>;
  /** Calls `cb` when new messages may be available; returns an unsubscribe function. */
  onAvailable(cb: () => void): () => void;
  close(): void;
}

/** Opens the feeds a subscription asks for. */
export interface FeedSource {
  c2d(deviceId: string): DeliveryFeed;
  /** Module inputs; undefined until routing provides them. */
  inputs?(deviceId: string, moduleId: string): DeliveryFeed;
}

/** A connected client that can answer direct methods. */
export interface MethodResponder {
  sendRequest(method: string, rid: string, payload: Uint8Array): void;
}

/** Relays direct-method calls to connected clients and their answers back. */
export interface MethodRelayPort {
  register(identityKey: string, responder: MethodResponder): void;
  unregister(identityKey: string, responder: MethodResponder): void;
  complete(identityKey: string, rid: string, status: number, payload: Uint8Array): void;
}

export interface MqttLimits {
  maxMessageBytes: number;
  /** Inbound messages being stored before the socket is paused... */
  maxInflight: number;
  /** ... or their payload bytes. */
  maxInboundBytes: number;
  /** Outbound QoS 1 messages sent and not yet acknowledged, per client. */
  maxOutboundInflight: number;
  /** Payload bytes of those, per client. */
  maxOutboundBytes: number;
  maxKeepaliveSecs: number;
  connectTimeoutMs: number;
  maxConnections: number;
}

export interface HubServices {
  auth: Authenticator;
  sink: MessageSink;
  twins: TwinStore;
  methods: MethodRelayPort;
  feeds: FeedSource;
  limits: MqttLimits;
  log: Logger;
  /** Seconds since the epoch (injectable for tests). */
  nowSecs(): number;
}
