/**
 * Test helper: a raw MQTT 3.1.1 client over node:net / node:tls that sends hand-made
 * packets (or arbitrary bytes) and records what the hub answers and when it closes the
 * socket. Also builds SAS CONNECTs for identities added to a test ledge.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import mqtt from "mqtt-packet";
import { parseConnectionString } from "../../../src/identity/connection_string.ts";
import { buildSasToken, resourceUri } from "../../../src/identity/sas.ts";

export interface RawOptions {
  port: number;
  /** Connect over TLS trusting this CA (server name `localhost`). */
  ca?: string;
}

/** One raw connection; `packets` collects everything the hub sent. */
export class RawClient {
  readonly packets: mqtt.Packet[] = [];
  readonly parseErrors: Error[] = [];
  closedAt?: number;
  readonly openedAt = Date.now();
  private readonly parser = mqtt.parser({ protocolVersion: 4 });
  private waiters: Array<() => void> = [];

  /** `127.0.0.1:PORT` as the hub logs this client before it has a client id. */
  readonly remote: string;

  private constructor(readonly socket: net.Socket) {
    this.remote = `127.0.0.1:${socket.localPort}`;
    this.parser.on("packet", (p) => {
      this.packets.push(p);
      this.wake();
    });
    this.parser.on("error", (e) => this.parseErrors.push(e));
    socket.on("data", (d: Buffer) => this.parser.parse(d));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closedAt = Date.now();
      this.wake();
    });
  }

  /** Opens a TCP (or TLS) connection to 127.0.0.1. */
  static open(opts: RawOptions): Promise<RawClient> {
    return new Promise((ok, fail) => {
      const socket = opts.ca
        ? tls.connect({ host: "127.0.0.1", port: opts.port, ca: opts.ca, servername: "localhost" })
        : net.connect({ host: "127.0.0.1", port: opts.port });
      const ready = opts.ca ? "secureConnect" : "connect";
      socket.once(ready, () => ok(new RawClient(socket)));
      socket.once("error", fail);
    });
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(packet: mqtt.Packet): void {
    this.socket.write(mqtt.generate(packet));
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Waits for the first packet of kind `cmd` the hub sent. */
  async next<C extends mqtt.Packet["cmd"]>(
    cmd: C,
    timeoutMs = 5_000,
  ): Promise<Extract<mqtt.Packet, { cmd: C }>> {
    await this.until(() => this.packets.some((p) => p.cmd === cmd), timeoutMs, cmd);
    return this.packets.find((p) => p.cmd === cmd) as Extract<mqtt.Packet, { cmd: C }>;
  }

  /** Waits until the hub closes the socket; returns ms since the connection opened. */
  async waitClosed(timeoutMs = 5_000): Promise<number> {
    await this.until(() => this.closed, timeoutMs, "the hub to close the connection");
    return this.closedAt! - this.openedAt;
  }

  /** True if the socket is still open after `ms`. */
  async staysOpen(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Credentials parsed from a connection string `ledge identity add` printed. */
export interface Creds {
  deviceId: string;
  moduleId?: string;
  key: string;
  host: string;
  clientId: string;
}

export function credsFrom(connectionString: string): Creds {
  const c = parseConnectionString(connectionString);
  return {
    deviceId: c.deviceId,
    ...(c.moduleId === undefined ? {} : { moduleId: c.moduleId }),
    key: c.sharedAccessKey,
    host: c.hostName,
    clientId: c.moduleId === undefined ? c.deviceId : `${c.deviceId}/${c.moduleId}`,
  };
}

/** A SAS token for `creds`, optionally for another resource/key/expiry. */
export function token(
  creds: Creds,
  over: { resource?: string; key?: string; expirySecs?: number } = {},
): string {
  return buildSasToken(
    over.resource ?? resourceUri(creds.host, creds.deviceId, creds.moduleId),
    over.key ?? creds.key,
    over.expirySecs ?? Math.floor(Date.now() / 1000) + 3600,
  );
}

/** A CONNECT as the Node SDK sends it (clean=0, keep-alive 180), with a SAS password. */
export function connectPacket(
  creds: Creds,
  over: Omit<Partial<mqtt.IConnectPacket>, "password"> & { password?: string | Buffer } = {},
): mqtt.IConnectPacket {
  const { password, ...rest } = over;
  return {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: false,
    keepalive: 180,
    clientId: creds.clientId,
    username: `${creds.host}/${creds.clientId}/?api-version=2021-04-12&DeviceClientType=raw-test`,
    password: Buffer.from(password ?? token(creds)),
    ...rest,
  };
}

/** Opens a raw connection and completes CONNECT; fails unless CONNACK is 0. */
export async function connected(
  opts: RawOptions,
  creds: Creds,
  over: Partial<mqtt.IConnectPacket> = {},
): Promise<RawClient> {
  const c = await RawClient.open(opts);
  c.send(connectPacket(creds, over));
  const ack = await c.next("connack");
  if (ack.returnCode !== 0) throw new Error(`CONNACK ${ack.returnCode} for ${creds.clientId}`);
  return c;
}

/** Lines of `log` that contain every one of `parts`. */
export function logLines(log: string, ...parts: Array<string | RegExp>): string[] {
  return log.split("\n").filter((l) =>
    parts.every((p) => (typeof p === "string" ? l.includes(p) : p.test(l)))
  );
}
