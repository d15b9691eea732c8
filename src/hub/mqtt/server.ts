/**
 * The MQTT endpoint: TLS and plain listeners, the table of connected clients (one connection
 * per client id; a new one takes over), persistent sessions, and the dispatch of each packet
 * type to its handler. Desired-property patches fan out from here to subscribed clients.
 *
 * @module
 */
import net from "node:net";
import tls from "node:tls";
import type mqtt from "mqtt-packet";
import type { DesiredPatch } from "../twin/mod.ts";
import { Connection, type ConnectionRegistry, type SessionState } from "./connection.ts";
import { handleConnect } from "./handle_connect.ts";
import { handlePublish } from "./handle_publish.ts";
import {
  applySubscriptions,
  handleSubscribe,
  handleUnsubscribe,
  wantsDesired,
} from "./handle_subscribe.ts";
import type { HubServices } from "./services.ts";
import { desiredPatchTopic } from "./topics.ts";

export interface ListenOptions {
  /** host:port for MQTT over TLS. */
  mqtts?: { host: string; port: number; key: string; cert: string };
  /** host:port for plain MQTT. */
  mqtt?: { host: string; port: number };
}

/** Splits `host:port` / `[v6]:port`. */
export function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
}

export class MqttServer implements ConnectionRegistry {
  private readonly clients = new Map<string, Connection>();
  private readonly sessions = new Map<string, SessionState>();
  private readonly all = new Set<Connection>();
  private readonly servers: net.Server[] = [];
  private readonly offDesired: () => void;

  constructor(private readonly services: HubServices) {
    const onDesired = (p: DesiredPatch) => this.notifyDesired(p);
    services.twins.on("desired", onDesired);
    this.offDesired = () => services.twins.off("desired", onDesired);
  }

  /** Starts the listeners; resolves with the bound addresses (port 0 picks a free port). */
  async listen(opts: ListenOptions): Promise<{ mqtts?: number; mqtt?: number }> {
    const bound: { mqtts?: number; mqtt?: number } = {};
    if (opts.mqtts) {
      const server = tls.createServer({ key: opts.mqtts.key, cert: opts.mqtts.cert });
      server.on("secureConnection", (s) => this.accept(s));
      server.on("tlsClientError", (err, s) => {
        this.services.log.debug("TLS handshake failed", {
          remote: `${s.remoteAddress}:${s.remotePort}`,
          error: err.message,
        });
        s.destroy();
      });
      bound.mqtts = await this.bind(server, opts.mqtts.host, opts.mqtts.port);
    }
    if (opts.mqtt) {
      const server = net.createServer((s) => this.accept(s));
      bound.mqtt = await this.bind(server, opts.mqtt.host, opts.mqtt.port);
    }
    return bound;
  }

  /** Replaces the TLS certificate for new connections (after a renewal). */
  setCertificate(key: string, cert: string): void {
    for (const s of this.servers) {
      if (s instanceof tls.Server) s.setSecureContext({ key, cert });
    }
  }

  private bind(server: net.Server, host: string, port: number): Promise<number> {
    server.on("error", (e) => this.services.log.error("listener error", { error: e.message }));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.all.size >= this.services.limits.maxConnections) {
      this.services.log.warn("connection limit reached; refusing", {
        remote: socket.remoteAddress,
      });
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this.services);
    this.all.add(conn);
    conn.onPacket = (c, p) => this.dispatch(c, p);
    conn.onClose = (c) => this.detach(c);
  }

  private async dispatch(conn: Connection, packet: mqtt.Packet): Promise<void> {
    switch (packet.cmd) {
      case "connect":
        if (conn.state !== "awaiting-connect") {
          return conn.protocolError("second CONNECT [MQTT-3.1.0-2]");
        }
        if (await handleConnect(conn, packet, this)) applySubscriptions(conn);
        return;
      case "publish":
        return await handlePublish(conn, packet);
      case "puback":
        return conn.acknowledged(packet.messageId ?? 0);
      case "subscribe":
        return handleSubscribe(conn, packet);
      case "unsubscribe":
        return handleUnsubscribe(conn, packet);
      case "pingreq":
        conn.send({ cmd: "pingresp" });
        return;
      case "disconnect":
        return conn.close("client sent DISCONNECT");
      default:
        return conn.protocolError(`unexpected ${packet.cmd} packet from a client`);
    }
  }

  /** Registers a connected client; closes an older connection with the same client id. */
  attach(conn: Connection): SessionState | undefined {
    const old = this.clients.get(conn.clientId);
    if (old && old !== conn) {
      old.log.info("session taken over by a new connection", { client: conn.clientId });
      this.clients.delete(conn.clientId);
      // Keep the old connection's session for a clean=0 successor [MQTT-3.1.2-4].
      if (!old.cleanSession) {
        this.sessions.set(conn.clientId, { subscriptions: new Map(old.subscriptions) });
      }
      old.close("taken over by a new connection with the same client id");
    }
    this.clients.set(conn.clientId, conn);
    if (conn.cleanSession) {
      this.sessions.delete(conn.clientId);
      return undefined;
    }
    return this.sessions.get(conn.clientId);
  }

  detach(conn: Connection): void {
    this.all.delete(conn);
    // Also for a taken-over connection: method calls must not be sent to a closed socket.
    if (conn.identityKey) this.services.methods.unregister(conn.identityKey, conn);
    if (!conn.clientId || this.clients.get(conn.clientId) !== conn) return;
    this.clients.delete(conn.clientId);
    if (conn.cleanSession) this.sessions.delete(conn.clientId);
    else this.sessions.set(conn.clientId, { subscriptions: new Map(conn.subscriptions) });
  }

  private notifyDesired(p: DesiredPatch): void {
    const conn = this.clients.get(p.id);
    if (!conn || conn.state !== "connected" || !wantsDesired(conn)) return;
    conn.publishQos0(
      desiredPatchTopic(p.version),
      JSON.stringify({ ...p.patch, $version: p.version }),
    );
  }

  /** Whether a client with this identity key is connected now. */
  isConnected(identityKey: string): boolean {
    return this.clients.get(identityKey)?.state === "connected";
  }

  /** Connections open now (connected or awaiting CONNECT). */
  get connectionCount(): number {
    return this.all.size;
  }

  async close(): Promise<void> {
    this.offDesired();
    for (const c of [...this.all]) c.close("server shutting down");
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
