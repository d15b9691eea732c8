/**
 * Bad input against a real `ledge run`: each misbehaving raw client gets a clear outcome
 * (CONNACK code, SUBACK 0x80 or a disconnect, and a log line naming the reason), while a
 * well-behaved SDK device connected the whole time keeps sending telemetry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import mqtt from "mqtt-packet";
import { type Ledge, startLedge, waitFor } from "../../helpers/ledge.ts";
import { type Client, Message, openDevice } from "../../helpers/sdk.ts";
import { connected, connectPacket, type Creds, credsFrom, logLines, RawClient } from "./_raw.ts";

const PUBACK_TIMEOUT_MS = 5_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

Deno.test({
  name: "mqtt bad input: offenders get a clear outcome, a good SDK client keeps working",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const ledge: Ledge = await startLedge({ mqtt: { connect_timeout_ms: 500 } });
    let good: Client | undefined;
    try {
      const [goodCs, rawCs, otherCs] = await Promise.all([
        ledge.addIdentity("good"),
        ledge.addIdentity("raw1"),
        ledge.addIdentity("raw2"),
      ]);
      const raw: Creds = credsFrom(rawCs);
      const other: Creds = credsFrom(otherCs);
      const plain = { port: ledge.mqttPort };
      const secure = { port: ledge.mqttsPort, ca: ledge.ca() };
      good = await openDevice(goodCs, ledge.ca());
      let sent = 0;
      /** The well-behaved client's telemetry still gets its PUBACK. */
      const goodStillWorks = async (after: string) => {
        await withTimeout(
          good!.sendEvent(new Message(JSON.stringify({ after, n: ++sent }))),
          PUBACK_TIMEOUT_MS,
          `good client's telemetry after ${after}`,
        );
      };
      /** Waits for a daemon log line containing all `parts`. */
      const logged = (...parts: Array<string | RegExp>) =>
        waitFor(
          () => logLines(ledge.log(), ...parts).length > 0,
          3_000,
          `log line ${parts.join(" … ")}`,
        );

      await goodStillWorks("start");

      await t.step("malformed remaining length (5 bytes) → disconnected", async () => {
        const c = await RawClient.open(plain);
        c.write(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]));
        await c.waitClosed();
        assert.equal(c.packets.length, 0);
        await logged("disconnecting client", c.remote, "malformed remaining length");
        await goodStillWorks("bad remaining length");
      });

      await t.step("garbage fixed header (reserved packet type 0) → disconnected", async () => {
        const c = await RawClient.open(plain);
        c.write(Uint8Array.from([0x00, 0x00]));
        await c.waitClosed();
        await logged("disconnecting client", c.remote, "malformed packet");
        await goodStillWorks("packet type 0");
      });

      await t.step("an HTTP request on the MQTT port → disconnected", async () => {
        // "GE" reads as a PUBACK header with a 69-byte body: a short request never completes
        // that "packet", so the connect timeout ends it; a long one fails to parse at once.
        const short = await RawClient.open(plain);
        short.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        await short.waitClosed();
        await logged("disconnecting client", short.remote, "no CONNECT within 500 ms");
        const long = await RawClient.open(plain);
        long.write(`GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ${"x".repeat(80)}\r\n\r\n`);
        await long.waitClosed();
        assert.ok(long.closedAt! - long.openedAt < 450, "closed before the connect timeout");
        await logged(
          "disconnecting client",
          long.remote,
          "malformed packet: Invalid header flag bits",
        );
        await goodStillWorks("HTTP request");
      });

      await t.step("CONNECT with an invalid protocol name → disconnected", async () => {
        const c = await RawClient.open(plain);
        const bytes = mqtt.generate(connectPacket(raw));
        const at = bytes.indexOf("MQTT");
        bytes.write("MQTX", at);
        c.write(bytes);
        await c.waitClosed();
        assert.equal(c.packets.length, 0, "no CONNACK 0");
        await logged("disconnecting client", c.remote, "Invalid protocolId");
        await goodStillWorks("bad protocol name");
      });

      await t.step("CONNECT for MQTT 5 → CONNACK 1 (unacceptable protocol version)", async () => {
        const c = await RawClient.open(plain);
        c.send(connectPacket(raw, { protocolVersion: 5 }));
        assert.equal((await c.next("connack")).returnCode, 1);
        await c.waitClosed();
        await logged("connection refused", "returnCode=1", "unsupported protocol level 5");
        await goodStillWorks("MQTT 5");
      });

      await t.step("a packet before CONNECT → disconnected", async () => {
        const c = await RawClient.open(plain);
        c.send({ cmd: "pingreq" });
        await c.waitClosed();
        assert.equal(c.packets.length, 0);
        await logged("disconnecting client", c.remote, "first packet was pingreq");
        await goodStillWorks("packet before CONNECT");
      });

      await t.step("truncated CONNECT then close → logged, nothing leaks", async () => {
        const c = await RawClient.open(plain);
        const bytes = mqtt.generate(connectPacket(raw));
        const remote = c.remote;
        c.socket.end(bytes.subarray(0, 20));
        await c.waitClosed();
        await logged(remote, "in the middle of a packet (20 bytes received)");
        await goodStillWorks("truncated CONNECT");
      });

      await t.step("truncated PUBLISH from a connected client then close → logged", async () => {
        const c = await connected(plain, raw);
        const bytes = mqtt.generate({
          cmd: "publish",
          topic: `devices/${raw.deviceId}/messages/events/`,
          payload: Buffer.alloc(1000),
          qos: 1,
          messageId: 1,
        } as mqtt.IPublishPacket);
        c.socket.end(bytes.subarray(0, 500));
        await c.waitClosed();
        await logged(
          "client disconnected",
          `client=${raw.clientId}`,
          "in the middle of a packet (500 bytes received)",
        );
        await goodStillWorks("truncated PUBLISH");
      });

      await t.step("oversize PUBLISH (256 KiB + 1 body) → disconnected, no PUBACK", async () => {
        const c = await connected(plain, raw);
        c.send({
          cmd: "publish",
          topic: `devices/${raw.deviceId}/messages/events/`,
          payload: Buffer.alloc(262_145, 0x41),
          qos: 1,
          messageId: 7,
        } as mqtt.IPublishPacket);
        await c.waitClosed();
        assert.ok(!c.packets.some((p) => p.cmd === "puback"), "no PUBACK for an oversize message");
        await logged(
          "disconnecting client",
          `client=${raw.clientId}`,
          "message of 262145 bytes exceeds 262144",
        );
        await goodStillWorks("oversize PUBLISH");
      });

      await t.step("PUBLISH announcing 2 MB → refused from its header alone", async () => {
        const c = await connected(plain, raw);
        // Fixed header for a 2 MB QoS 1 PUBLISH, then only a little of its body.
        c.write(Uint8Array.from([0x32, 0x80, 0x80, 0x80, 0x01, 0x00, 0x01, 0x61]));
        await c.waitClosed();
        assert.ok(!c.packets.some((p) => p.cmd === "puback"));
        await logged(
          "disconnecting client",
          `client=${raw.clientId}`,
          /packet of 2097157 bytes exceeds the limit/,
        );
        await goodStillWorks("2 MB header");
      });

      await t.step("QoS 2 PUBLISH → disconnected, no PUBREC", async () => {
        const c = await connected(plain, raw);
        c.send({
          cmd: "publish",
          topic: `devices/${raw.deviceId}/messages/events/`,
          payload: Buffer.from("x"),
          qos: 2,
          messageId: 3,
        } as mqtt.IPublishPacket);
        await c.waitClosed();
        assert.ok(!c.packets.some((p) => p.cmd === "pubrec" || p.cmd === "puback"));
        await logged("disconnecting client", `client=${raw.clientId}`, "QoS 2 is not supported");
        await goodStillWorks("QoS 2");
      });

      await t.step("publishing to another device's telemetry topic → disconnected", async () => {
        const c = await connected(plain, raw);
        const topic = `devices/${other.deviceId}/messages/events/`;
        c.send(
          {
            cmd: "publish",
            topic,
            payload: Buffer.from("spoof"),
            qos: 1,
            messageId: 1,
          } as mqtt.IPublishPacket,
        );
        await c.waitClosed();
        assert.ok(!c.packets.some((p) => p.cmd === "puback"));
        await logged(
          "disconnecting client",
          `client=${raw.clientId}`,
          "publish to another identity's topic",
          topic,
        );
        // Also a module topic under its own device id.
        const c2 = await connected(plain, raw);
        c2.send({
          cmd: "publish",
          topic: `devices/${raw.deviceId}/modules/m1/messages/events/`,
          payload: Buffer.from("spoof"),
          qos: 1,
          messageId: 1,
        } as mqtt.IPublishPacket);
        await c2.waitClosed();
        assert.ok(!c2.packets.some((p) => p.cmd === "puback"));
        await goodStillWorks("spoofed telemetry");
      });

      await t.step("publishing to an unsupported topic → disconnected", async () => {
        const c = await connected(plain, raw);
        c.send(
          {
            cmd: "publish",
            topic: "some/other/topic",
            payload: Buffer.from("x"),
            qos: 0,
          } as mqtt.IPublishPacket,
        );
        await c.waitClosed();
        await logged(
          "disconnecting client",
          `client=${raw.clientId}`,
          "publish to unsupported topic 'some/other/topic'",
        );
        await goodStillWorks("unsupported topic");
      });

      await t.step(
        "subscribing to another device's topics → SUBACK 0x80, connection stays",
        async () => {
          const c = await connected(plain, raw);
          c.send({
            cmd: "subscribe",
            messageId: 11,
            subscriptions: [
              { topic: `devices/${raw.deviceId}/messages/devicebound/#`, qos: 1 },
              { topic: `devices/${other.deviceId}/messages/devicebound/#`, qos: 1 },
              { topic: "$iothub/twin/res/#", qos: 0 },
              { topic: "#", qos: 0 },
              { topic: `devices/${other.deviceId}/modules/m1/inputs/#`, qos: 1 },
            ],
          });
          const ack = await c.next("suback");
          assert.equal(ack.messageId, 11);
          assert.deepEqual(ack.granted, [1, 0x80, 0, 0x80, 0x80]);
          await logged(
            "subscription refused",
            `client=${raw.clientId}`,
            `filter=devices/${other.deviceId}/messages/devicebound/#`,
          );
          assert.ok(await c.staysOpen(200), "a refused filter does not close the connection");
          c.destroy();
          await goodStillWorks("foreign subscription");
        },
      );

      await t.step("twin and method publishes at QoS 1 get their PUBACK", async () => {
        // Node and C use QoS 0 here; a QoS 1 publish must still be acked [MQTT-4.3.2].
        const c = await connected(plain, raw);
        c.send({
          cmd: "subscribe",
          messageId: 1,
          subscriptions: [{ topic: "$iothub/twin/res/#", qos: 0 }],
        });
        await c.next("suback");
        c.send({
          cmd: "publish",
          topic: "$iothub/twin/GET/?$rid=q1",
          payload: Buffer.from(" "),
          qos: 1,
          messageId: 21,
        } as mqtt.IPublishPacket);
        c.send({
          cmd: "publish",
          topic: "$iothub/methods/res/200/?$rid=nobody",
          payload: Buffer.from("{}"),
          qos: 1,
          messageId: 22,
        } as mqtt.IPublishPacket);
        const twin = await c.next("publish");
        assert.equal(twin.topic, "$iothub/twin/res/200/?$rid=q1");
        await waitFor(
          () => c.packets.filter((p) => p.cmd === "puback").length === 2,
          3_000,
          "2 PUBACKs",
        );
        const acks = c.packets.filter((p) => p.cmd === "puback").map((p) => p.messageId);
        assert.deepEqual(acks, [21, 22]);
        assert.equal(c.closed, false);
        c.destroy();
        await goodStillWorks("QoS 1 twin publish");
      });

      await t.step("a second CONNECT on one connection → disconnected", async () => {
        const c = await connected(plain, raw);
        c.send(connectPacket(raw));
        await c.waitClosed();
        await logged("disconnecting client", `client=${raw.clientId}`, "second CONNECT");
        await goodStillWorks("second CONNECT");
      });

      await t.step(
        "a client that never sends CONNECT is closed after connect_timeout_ms",
        async () => {
          const c = await RawClient.open(plain);
          const ms = await c.waitClosed(3_000);
          assert.ok(ms >= 450 && ms < 2_000, `closed after ${ms} ms (timeout 500 ms)`);
          await logged("disconnecting client", c.remote, "no CONNECT within 500 ms");
          // Same over TLS, after a completed handshake.
          const s = await RawClient.open(secure);
          const ms2 = await s.waitClosed(3_000);
          assert.ok(ms2 >= 450 && ms2 < 2_000, `TLS: closed after ${ms2} ms`);
          await goodStillWorks("silent client");
        },
      );

      await t.step("keep-alive 1 s then silence → closed after ~1.5 s", async () => {
        const c = await connected(plain, raw, { keepalive: 1 });
        const since = Date.now();
        await c.waitClosed(4_000);
        const ms = c.closedAt! - since;
        assert.ok(ms >= 1_400 && ms <= 2_600, `closed after ${ms} ms`);
        await logged("client disconnected", `client=${raw.clientId}`, "keep-alive expired");
        // A client that pings stays.
        const p = await connected(plain, raw, { keepalive: 1 });
        for (let i = 0; i < 6; i++) {
          await new Promise((r) => setTimeout(r, 400));
          p.send({ cmd: "pingreq" });
        }
        assert.equal(p.closed, false, "a pinging client is kept");
        assert.ok(p.packets.filter((x) => x.cmd === "pingresp").length >= 5);
        p.destroy();
        await goodStillWorks("keep-alive expiry");
      });

      await t.step("garbage bytes on the TLS port → handshake fails, logged", async () => {
        const before = logLines(ledge.log(), "TLS handshake failed").length;
        const sock = net.connect({ host: "127.0.0.1", port: ledge.mqttsPort });
        await new Promise<void>((ok, fail) => {
          sock.once("connect", ok);
          sock.once("error", fail);
        });
        sock.on("error", () => {});
        sock.resume(); // read (and drop) the TLS alert so "close" can fire
        sock.write(Buffer.from("\x10\x0d\x00\x04MQTT\x04\x02\x00\x0a\x00\x01x garbage garbage"));
        await new Promise<void>((ok) => {
          sock.once("close", () => ok());
          setTimeout(() => ok(), 3_000);
        });
        assert.ok(sock.destroyed, "the hub closed the socket");
        await waitFor(
          () => logLines(ledge.log(), "TLS handshake failed").length > before,
          3_000,
          "TLS log",
        );
        // MQTT garbage inside a good TLS session.
        const s = await RawClient.open(secure);
        s.write(Uint8Array.from([0xf0, 0x00]));
        await s.waitClosed();
        await logged("disconnecting client", s.remote, "malformed packet");
        await goodStillWorks("TLS garbage");
      });

      assert.equal(ledge.proc.exitCode, null, "ledge is still running");
    } finally {
      await good?.close().catch(() => {});
      await ledge.cleanup();
    }
  },
});
