/**
 * A tiny Azure IoT device SDK client for smoke tests of a running ledge: connects over MQTT/TLS
 * with a device connection string, sends N telemetry messages (each `sendEvent` resolves on the
 * hub's PUBACK) and exits 0 only when every one was acknowledged. Used by
 * scripts/qemu-arm64-test.sh; the client is not what is under test there.
 *
 *   deno run -A scripts/sdk-telemetry.ts --cs "HostName=..." --ca ca.pem [--gateway HOST:PORT]
 *     [--count 10] [--timeout-ms 30000]
 *
 * `--gateway` overrides GatewayHostName (the SDK dials `mqtts://<GatewayHostName>`, and a
 * `:PORT` suffix reaches a hub that is not on 8883).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { Client, Message } from "azure-iot-device";
import { Mqtt } from "azure-iot-device-mqtt";

/** Sets or replaces `GatewayHostName` in a connection string. */
export function withGateway(cs: string, gateway: string): string {
  const parts = cs.split(";").filter((p) => p && !p.startsWith("GatewayHostName="));
  return [...parts, `GatewayHostName=${gateway}`].join(";");
}

function fail(message: string): never {
  console.error(`sdk-telemetry: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      cs: { type: "string" },
      ca: { type: "string" },
      gateway: { type: "string" },
      count: { type: "string", default: "10" },
      "timeout-ms": { type: "string", default: "30000" },
    },
    strict: true,
  });
  if (!values.cs) fail("--cs CONNECTION_STRING is required");
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) fail("--count: expected 1..10000");
  const timeoutMs = Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    fail("--timeout-ms: expected a positive integer");
  }
  const cs = values.gateway ? withGateway(values.cs, values.gateway) : values.cs;

  const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
  const client = Client.fromConnectionString(cs, Mqtt);
  if (values.ca) await client.setOptions({ ca: readFileSync(values.ca, "utf8") });
  const started = performance.now();
  await client.open();
  const connected = performance.now();
  for (let i = 0; i < count; i++) {
    const msg = new Message(JSON.stringify({ seq: i, temperature: 20 + i / 10 }));
    msg.contentType = "application/json";
    msg.contentEncoding = "utf-8";
    msg.properties.add("source", "sdk-telemetry");
    await client.sendEvent(msg);
  }
  const sent = performance.now();
  await client.close();
  clearTimeout(timer);
  console.log(
    `sdk-telemetry: ${count} messages acknowledged; connect ${
      Math.round(connected - started)
    } ms, ` +
      `send ${Math.round(sent - connected)} ms`,
  );
}

main().catch((e) => fail((e as Error).stack ?? String(e)));
