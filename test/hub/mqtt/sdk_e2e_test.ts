/**
 * The official Azure IoT SDK (device Client and ModuleClient over MQTT/TLS, unmodified)
 * against a real `ledge run`, driven through the `ledge` CLI like a user would: telemetry seen
 * by `ledge monitor`, twins, desired patches, direct methods, C2D, and refused credentials.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { buildSasToken, resourceUri } from "../../../src/identity/mod.ts";
import { DENO, MAIN, startLedge, waitFor } from "../../helpers/ledge.ts";
import mqtt from "mqtt";
import { cb, Client, Message, Mqtt, openDevice, openModule } from "../../helpers/sdk.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("SDK device and module clients work end to end through ledge", opts, async (t) => {
  const ledge = await startLedge();
  try {
    const devCs = await ledge.addIdentity("dev1");
    assert.match(
      devCs,
      /^HostName=localhost;DeviceId=dev1;SharedAccessKey=[^;]+;GatewayHostName=localhost:\d+$/,
    );
    await ledge.addIdentity("edge1/filter");
    const modCs = await ledge.ok("identity", "show", "edge1/filter", "--json");
    const modConn = JSON.parse(modCs).connectionString as string;
    assert.match(modConn, /ModuleId=filter/);
    const ca = (await ledge.ok("ca-cert")) + "\n";

    // `ledge monitor` runs as its own process, as a user would run it.
    const monitor = spawn(DENO, [
      "run",
      "-A",
      "--quiet",
      MAIN,
      "monitor",
      "--config",
      ledge.configPath,
    ], {
      cwd: ledge.dir,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let monitorOut = "";
    monitor.stdout.on("data", (d) => monitorOut += d);
    monitor.stderr.on("data", (d) => monitorOut += d);
    await waitFor(() => monitorOut.includes("Starting event monitor"), 15_000, "monitor start");
    await new Promise((r) => setTimeout(r, 300));

    const device = await openDevice(devCs, ca);
    const module = await openModule(modConn, ca);
    try {
      await t.step("telemetry with properties reaches ledge monitor", async () => {
        const m = new Message(JSON.stringify({ temperature: 21.5 }));
        m.messageId = "msg-1";
        m.contentType = "application/json";
        m.contentEncoding = "utf-8";
        m.properties.add("alert", "high temp");
        await device.sendEvent(m);
        await module.sendOutputEvent("out1", new Message("from module"));
        await waitFor(
          () => monitorOut.includes("from module"),
          10_000,
          "module message on monitor",
        );
        const events = monitorOut.split(/\n(?=\{)/).filter((s) => s.startsWith("{")).map((s) =>
          JSON.parse(s)
        );
        const dev = events.find((e) => e.event.origin === "dev1");
        assert.ok(dev, monitorOut);
        assert.deepEqual(dev.event.payload, { temperature: 21.5 });
        assert.equal(dev.event.properties.application.alert, "high temp");
        assert.equal(dev.event.properties.system.messageId, "msg-1");
        assert.equal(dev.event.properties.system.contentType, "application/json");
        assert.equal(dev.event.properties.system.connectionDeviceId, "dev1");
        const mod = events.find((e) => e.event.module === "filter");
        assert.equal(mod.event.origin, "edge1");
        assert.equal(mod.event.properties.system.outputName, "out1");
        assert.equal(mod.event.properties.system.connectionModuleId, "filter");
      });

      await t.step("twin: get, reported patch, desired patch notification", async () => {
        // deno-lint-ignore no-explicit-any -- SDK twin type
        const twin: any = await cb((done) => device.getTwin(done));
        assert.equal(twin.properties.desired.$version, 1);
        await cb((done) =>
          twin.properties.reported.update({ firmware: "1.2.3", nested: { a: 1 } }, done)
        );
        const shown = JSON.parse(await ledge.ok("twin", "show", "dev1"));
        assert.equal(shown.reported.firmware, "1.2.3");
        assert.equal(shown.reported.$version, 2);

        const patches: unknown[] = [];
        twin.on("properties.desired", (d: unknown) => patches.push(d));
        await new Promise((r) => setTimeout(r, 300)); // the SDK subscribes asynchronously
        await ledge.ok("twin", "update", "dev1", "--desired", '{"interval": 30}');
        await waitFor(
          () => patches.some((p) => (p as { interval?: number }).interval === 30),
          10_000,
          "desired patch",
        );
        assert.equal(twin.properties.desired.interval, 30);

        // deno-lint-ignore no-explicit-any -- SDK twin type
        const mtwin: any = await cb((done) => module.getTwin(done));
        await cb((done) => mtwin.properties.reported.update({ ready: true }, done));
        const mshown = JSON.parse(await ledge.ok("twin", "show", "edge1/filter"));
        assert.equal(mshown.reported.ready, true);
      });

      await t.step("direct method called with ledge invoke", async () => {
        device.onDeviceMethod("reboot", (req, res) => {
          res.send(
            200,
            { rebooting: true, delay: (req.payload as { delay: number }).delay },
            () => {},
          );
        });
        module.onMethod("ping", (_req, res) => res!.send(201, "pong", () => {}));
        await new Promise((r) => setTimeout(r, 500));
        const out = JSON.parse(
          await ledge.ok("invoke", "dev1", "reboot", "--payload", '{"delay":5}'),
        );
        assert.deepEqual(out, { status: 200, payload: { rebooting: true, delay: 5 } });
        const mout = JSON.parse(await ledge.ok("invoke", "edge1/filter", "ping"));
        assert.deepEqual(mout, { status: 201, payload: "pong" });
      });

      await t.step("offline target and timeout give IoT Hub errors, not a hang", async () => {
        await ledge.addIdentity("ghost");
        const offline = await ledge.cli("invoke", "ghost", "reboot");
        assert.equal(offline.code, 1);
        assert.equal(JSON.parse(offline.stdout).status, 404);
        device.onDeviceMethod("slow", () => {/* never answers */});
        await new Promise((r) => setTimeout(r, 300));
        const slow = await ledge.cli("invoke", "dev1", "slow", "--timeout", "1");
        assert.equal(slow.code, 1);
        assert.equal(JSON.parse(slow.stdout).status, 504);
      });

      await t.step("C2D message sent with ledge send, also when queued while offline", async () => {
        // deno-lint-ignore no-explicit-any -- SDK message type
        const received: any[] = [];
        device.on("message", (msg) => {
          received.push(msg);
          device.complete(msg, () => {});
        });
        await new Promise((r) => setTimeout(r, 300));
        await ledge.ok("send", "dev1", "--body", "hello device", "--prop", "color=blue");
        await waitFor(() => received.length === 1, 10_000, "C2D message");
        assert.equal(received[0].data.toString(), "hello device");
        assert.equal(received[0].properties.getValue("color"), "blue");
        assert.ok(received[0].messageId);

        await device.close();
        await ledge.ok("send", "dev1", "--body", "while offline");
        const again = Client.fromConnectionString(devCs, Mqtt);
        await again.setOptions({ ca });
        const got: string[] = [];
        again.on("message", (msg) => {
          got.push(msg.data.toString());
          again.complete(msg, () => {});
        });
        await again.open();
        await waitFor(() => got.includes("while offline"), 10_000, "queued C2D message");
        await again.close();
      });
    } finally {
      await device.close().catch(() => {});
      await module.close().catch(() => {});
      monitor.kill();
    }
  } finally {
    await ledge.cleanup();
  }
});

Deno.test("wrong key, expired token and another identity's token are refused", opts, async () => {
  const ledge = await startLedge();
  try {
    const cs = await ledge.addIdentity("dev1");
    await ledge.addIdentity("dev2");
    const ca = (await ledge.ok("ca-cert")) + "\n";
    const wrongKey = cs.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${btoa("x".repeat(32))}`);
    await assert.rejects(openDevice(wrongKey, ca), /nauthorized|Not authorized/i);

    // The SDK only builds tokens from keys, so hand-made tokens go over a plain MQTT client
    // with exactly the SDK's username and client id.
    const key = /SharedAccessKey=([^;]+)/.exec(cs)![1];
    const connectWith = (deviceId: string, password: string) =>
      mqtt.connectAsync(`mqtts://localhost:${ledge.mqttsPort}`, {
        ca,
        clientId: deviceId,
        username: `localhost/${deviceId}/?api-version=2021-04-12`,
        password,
        protocolVersion: 4,
        clean: false,
        reconnectPeriod: 0,
      });
    const past = Math.floor(Date.now() / 1000) - 3600;
    await assert.rejects(
      connectWith("dev1", buildSasToken(resourceUri("localhost", "dev1"), key, past)),
      /Not authorized/,
    );
    const future = Math.floor(Date.now() / 1000) + 3600;
    await assert.rejects(
      connectWith("dev2", buildSasToken(resourceUri("localhost", "dev1"), key, future)),
      /Not authorized/,
    );
    const good = await connectWith(
      "dev1",
      buildSasToken(resourceUri("localhost", "dev1"), key, future),
    );
    await good.endAsync();

    const log = ledge.log();
    assert.match(log, /signature does not match/);
    assert.match(log, /has expired/);
    assert.match(log, /another device/);

    // and the right key still works
    const ok = await openDevice(cs, ca);
    await ok.sendEvent(new Message("still fine"));
    await ok.close();
  } finally {
    await ledge.cleanup();
  }
});
