/**
 * CONNECT: protocol level, client id, credentials, session takeover, keep-alive and token
 * expiry (`shared/spec/iothub-mqtt.md` §2).
 *
 * @module
 */
import type mqtt from "mqtt-packet";
import { formatIdentityId, MAX_CLOCK_SKEW_SECS } from "../../identity/mod.ts";
import type { Connection, ConnectionRegistry } from "./connection.ts";

/** Handles the first packet of a connection. */
export async function handleConnect(
  conn: Connection,
  packet: mqtt.IConnectPacket,
  registry: ConnectionRegistry,
): Promise<boolean> {
  const refuse = (returnCode: number, reason: string) => {
    conn.log.warn("connection refused", {
      client: packet.clientId || conn.remote,
      returnCode,
      reason,
    });
    conn.send({ cmd: "connack", returnCode, sessionPresent: false });
    conn.close(reason); // [MQTT-3.2.2-5]
    return false;
  };
  if (packet.protocolVersion !== 4) {
    return refuse(1, `unsupported protocol level ${packet.protocolVersion}`);
  }
  if (!packet.clientId) return refuse(2, "empty client id");

  if (packet.clientId.length > 256) return refuse(2, "client id longer than 256 characters");
  let result;
  try {
    result = await conn.services.auth.authenticate({
      clientId: packet.clientId,
      username: packet.username,
      password: packet.password,
    });
  } catch (e) {
    // The registry could not answer (e.g. database error): the server is unavailable, the
    // client's credentials are not to blame.
    conn.log.error("authentication failed with an error", { error: String(e) });
    return refuse(3, "server unavailable");
  }
  if (conn.state === "closed") return false;
  if (!result.ok) return refuse(result.returnCode, result.reason);

  conn.clientId = packet.clientId;
  conn.identity = result.identity;
  conn.identityKey = formatIdentityId(result.identity);
  conn.cleanSession = packet.clean !== false;
  conn.state = "connected";
  const session = registry.attach(conn);
  const sessionPresent = !conn.cleanSession && session !== undefined;
  if (sessionPresent) conn.subscriptions = new Map(session.subscriptions);

  const limits = conn.services.limits;
  const requested = packet.keepalive ?? 0;
  const keepAlive = requested === 0 ? 0 : Math.min(requested, limits.maxKeepaliveSecs);
  conn.startKeepAlive(keepAlive);
  const msLeft = (result.expiresAtSecs + MAX_CLOCK_SKEW_SECS - conn.services.nowSecs()) * 1000;
  conn.expireAt(msLeft);

  conn.send({ cmd: "connack", returnCode: 0, sessionPresent });
  conn.log.info("client connected", {
    client: conn.clientId,
    remote: conn.remote,
    clean: conn.cleanSession,
    keepAlive,
  });
  return true;
}
