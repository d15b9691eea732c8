/**
 * CONNECT against a real `ledge run`: refused credentials (CONNACK code on the wire, the SDK's
 * open() rejecting, a log line naming the reason), expiry of an accepted token, session
 * takeover by a second connection with the same client id, and a flood of bad CONNECTs —
 * while a well-behaved SDK device keeps sending telemetry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { SharedAccessSignatureAuthenticationProvider } from "azure-iot-device";
import { resourceUri } from "../../../src/identity/sas.ts";
import { type Ledge, startLedge, waitFor } from "../../helpers/ledge.ts";
import { Client, Message, Mqtt, openDevice } from "../../helpers/sdk.ts";
import {
  connected,
  connectPacket,
  type Creds,
  credsFrom,
  logLines,
  RawClient,
  token,
} from "./_raw.ts";

const nowSecs = () => Math.floor(Date.now() / 1000);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The SDK's error for CONNACK 5 (`shared/spec/iothub-mqtt.md` §2.4). */
function refusedBySdk(e: Error): true {
  assert.equal(e.name, "UnauthorizedError", String(e));
  assert.match(e.message, /Connection refused: Not authorized/);
  return true;
}

/** An SDK device client that presents `sas` as is, dialling ledge's TLS port. */
async function sdkWithToken(sas: string, gateway: string, ca: string): Promise<Client> {
  const provider = SharedAccessSignatureAuthenticationProvider.fromSharedAccessSignature(sas);
  // The SAS provider takes the host from `sr` and has no gateway setting; point it at ledge.
  (provider as unknown as { _credentials: { gatewayHostName?: string } })._credentials
    .gatewayHostName = gateway;
  const client = new Client(new Mqtt(provider));
  await client.setOptions({ ca });
  return client;
}

Deno.test({
  name: "mqtt CONNECT: refusals, token expiry, takeover and a CONNECT flood",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const ledge: Ledge = await startLedge();
    let good: Client | undefined;
    try {
      const [goodCs, rawCs, otherCs, modCs, mod2Cs] = await Promise.all([
        ledge.addIdentity("good"),
        ledge.addIdentity("raw1"),
        ledge.addIdentity("raw2"),
        ledge.addIdentity("raw1/m1").catch(async () => {
          // A module needs its device first; retry once raw1 surely exists.
          await new Promise((r) => setTimeout(r, 200));
          return ledge.addIdentity("raw1/m1");
        }),
        ledge.addIdentity("raw1/m2").catch(async () => {
          await new Promise((r) => setTimeout(r, 200));
          return ledge.addIdentity("raw1/m2");
        }),
      ]);
      const raw: Creds = credsFrom(rawCs);
      const other: Creds = credsFrom(otherCs);
      const mod: Creds = credsFrom(modCs);
      const mod2: Creds = credsFrom(mod2Cs);
      const plain = { port: ledge.mqttPort };
      const secure = { port: ledge.mqttsPort, ca: ledge.ca() };
      good = await openDevice(goodCs, ledge.ca());
      let sent = 0;
      const goodStillWorks = (after: string) =>
        withTimeout(
          good!.sendEvent(new Message(JSON.stringify({ after, n: ++sent }))),
          5_000,
          `good client's telemetry after ${after}`,
        );
      const logged = (...parts: Array<string | RegExp>) =>
        waitFor(
          () => logLines(ledge.log(), ...parts).length > 0,
          3_000,
          `log line ${parts.join(" … ")}`,
        );

      await t.step("refused credentials → CONNACK code, close, log line", async () => {
        const cases: Array<{
          name: string;
          creds: Creds;
          over?: Parameters<typeof connectPacket>[1];
          code: number;
          reason: string;
        }> = [
          {
            name: "wrong key",
            creds: raw,
            over: { password: token(raw, { key: other.key }) },
            code: 5,
            reason: "signature does not match",
          },
          {
            name: "expired beyond the 300 s skew",
            creds: raw,
            over: { password: token(raw, { expirySecs: nowSecs() - 400 }) },
            code: 5,
            reason: "SAS token has expired",
          },
          {
            name: "another device's valid token",
            creds: raw,
            over: { password: token(other) },
            code: 5,
            reason: "SAS token is for another device",
          },
          {
            name: "another module's token",
            creds: mod,
            over: {
              password: token(mod, {
                resource: resourceUri(mod.host, "raw1", "m2"),
                key: mod2.key,
              }),
            },
            code: 5,
            reason: "SAS token is for another module",
          },
          {
            name: "device-scoped token for a module",
            creds: mod,
            over: { password: token(raw) },
            code: 5,
            reason: "device-scoped SAS token presented for a module",
          },
          {
            name: "wrong host",
            creds: raw,
            over: { password: token(raw, { resource: resourceUri("evil.example", "raw1") }) },
            code: 5,
            reason: "SAS token is for host 'evil.example'",
          },
          {
            name: "client id not matching the username",
            creds: raw,
            over: { clientId: "raw2" },
            code: 5,
            reason: "client id does not match the username",
          },
          {
            name: "unknown identity",
            creds: { ...raw, deviceId: "ghost", clientId: "ghost" },
            code: 5,
            reason: "unknown identity 'ghost'",
          },
          {
            name: "no password",
            creds: raw,
            over: { password: Buffer.alloc(0) },
            code: 5,
            reason: "no SAS token",
          },
          {
            name: "unparsable username",
            creds: raw,
            over: { username: "raw1" },
            code: 4,
            reason: "no query part",
          },
          {
            name: "empty client id",
            creds: raw,
            over: { clientId: "", clean: true },
            code: 2,
            reason: "empty client id",
          },
        ];
        for (const c of cases) {
          const client = await RawClient.open(plain);
          client.send(connectPacket(c.creds, c.over));
          const ack = await client.next("connack");
          assert.equal(ack.returnCode, c.code, c.name);
          await client.waitClosed();
          await logged("connection refused", `returnCode=${c.code}`, c.reason);
        }
        await goodStillWorks("refused CONNECTs");
      });

      await t.step(
        "a token within the skew connects, and is dropped when it runs out",
        async () => {
          const c = await connected(secure, raw, {
            password: Buffer.from(token(raw, { expirySecs: nowSecs() - 298 })),
          });
          await c.waitClosed(5_000);
          await logged("client disconnected", "client=raw1", "SAS token expired");
          await goodStillWorks("token expiry");
        },
      );

      await t.step("the SDK's open() rejects a wrong key and an expired token", async () => {
        const wrongKey = Client.fromConnectionString(
          `HostName=localhost;DeviceId=raw1;SharedAccessKey=${other.key};GatewayHostName=${ledge.gateway}`,
          Mqtt,
        );
        await wrongKey.setOptions({ ca: ledge.ca() });
        await assert.rejects(withTimeout(wrongKey.open(), 20_000, "SDK open"), refusedBySdk);
        await wrongKey.close().catch(() => {});
        const expired = await sdkWithToken(
          token(raw, { expirySecs: nowSecs() - 400 }),
          ledge.gateway,
          ledge.ca(),
        );
        await assert.rejects(withTimeout(expired.open(), 20_000, "SDK open"), refusedBySdk);
        await expired.close().catch(() => {});
        // The same path with a fresh token connects: the refusal above was the token.
        const fresh = await sdkWithToken(token(raw), ledge.gateway, ledge.ca());
        await withTimeout(fresh.open(), 20_000, "SDK open");
        await fresh.sendEvent(new Message("fresh"));
        await fresh.close();
        await goodStillWorks("SDK refusals");
      });

      await t.step("a second connection with the same client id takes over", async () => {
        const first = await connected(plain, raw);
        first.send({
          cmd: "subscribe",
          messageId: 1,
          subscriptions: [{ topic: "devices/raw1/messages/devicebound/#", qos: 1 }],
        });
        await first.next("suback");
        const second = await connected(secure, raw); // over the other listener, clean=0
        await first.waitClosed(3_000);
        assert.equal(second.closed, false);
        assert.equal(
          (await second.next("connack")).sessionPresent,
          true,
          "clean=0 keeps the session",
        );
        await logged("session taken over by a new connection", "client=raw1");
        await logged("client disconnected", "client=raw1", "taken over by a new connection");
        // The successor works.
        second.send({ cmd: "pingreq" });
        await second.next("pingresp");
        const third = await connected(plain, raw, { clean: true });
        await second.waitClosed(3_000);
        assert.equal((await third.next("connack")).sessionPresent, false, "clean=1 starts afresh");
        third.destroy();
        await goodStillWorks("takeover");
      });

      await t.step(
        "a flood of 300 bad CONNECTs: all refused, the hub stays responsive",
        async () => {
          const N = 300;
          const refusedBefore = logLines(ledge.log(), "connection refused").length;
          const badPacket = connectPacket(raw, { password: token(raw, { key: other.key }) });
          const started = Date.now();
          const latencies: number[] = [];
          let flooding = true;
          const prober = (async () => {
            while (flooding) {
              const t0 = Date.now();
              await goodStillWorks("during the flood");
              latencies.push(Date.now() - t0);
              await new Promise((r) => setTimeout(r, 50));
            }
          })();
          const outcomes = await Promise.all(
            Array.from({ length: N }, async () => {
              const c = await RawClient.open(plain);
              c.send(badPacket);
              await c.waitClosed(20_000);
              return c.packets.find((p) => p.cmd === "connack");
            }),
          );
          const floodMs = Date.now() - started;
          flooding = false;
          await prober;
          const codes = outcomes.map((a) => a?.cmd === "connack" ? a.returnCode : "none");
          assert.equal(
            codes.filter((c) => c === 5).length,
            N,
            `codes: ${JSON.stringify(codes.filter((c) => c !== 5))}`,
          );
          await waitFor(
            () => logLines(ledge.log(), "connection refused").length - refusedBefore >= N,
            5_000,
            "a refusal logged per CONNECT",
          );
          assert.ok(latencies.length >= 1);
          const worst = Math.max(...latencies);
          console.log(
            `flood: ${N} refused in ${floodMs} ms; good client PUBACK latency worst ${worst} ms over ${latencies.length} sends`,
          );
          assert.ok(worst < 3_000, `telemetry stayed responsive (worst ${worst} ms)`);
          await goodStillWorks("flood");
        },
      );

      assert.equal(ledge.proc.exitCode, null, "ledge is still running");
    } finally {
      await good?.close().catch(() => {});
      await ledge.cleanup();
    }
  },
});
