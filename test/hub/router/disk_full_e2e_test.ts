/**
 * A full disk under the message log: QoS 1 publishers stop getting PUBACKs (back-pressure,
 * never a false acknowledgement), ledge logs a clear error and keeps serving, and when space
 * returns it accepts messages again — and every acknowledged message is delivered.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import mqtt from "mqtt";
import { buildSasToken, resourceUri } from "../../../src/identity/mod.ts";
import { manifest } from "../../fixtures/manifest.ts";
import { startLedge, waitFor } from "../../helpers/ledge.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return true;
  } catch (e) {
    const why = `cannot mount a tmpfs (${(e as Error).message.split("\n")[0]})`;
    if (process.env.CI === "true") throw new Error(`disk-full test needs root and mount: ${why}`);
    console.error(`\n!!! SKIPPING disk-full e2e test: ${why}\n`);
    return false;
  }
}

function moduleClient(port: number, deviceId: string, moduleId: string, key: string) {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `${deviceId}/${moduleId}`,
    username: `localhost/${deviceId}/${moduleId}/?api-version=2021-04-12`,
    password: buildSasToken(
      resourceUri("localhost", deviceId, moduleId),
      key,
      Math.floor(Date.now() / 1000) + 3600,
    ),
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  return Promise.race([p, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms))]);
}

Deno.test(
  "a full disk gives back-pressure and a clear error; ledge resumes when space returns",
  opts,
  async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "ledge-full-"));
    if (!mountTmpfs(storeDir, "1m")) return rmSync(storeDir, { recursive: true });
    const ledge = await startLedge({
      store: { dir: storeDir, segment_bytes: 65536, max_bytes: 1 << 30, fsync: "always" },
      log: { level: "info" },
    });
    try {
      const pub = JSON.parse((await ledge.cli("identity", "add", "edge1/pub", "--json")).stdout);
      const sink = JSON.parse((await ledge.cli("identity", "add", "edge1/sink", "--json")).stdout);
      const file = join(ledge.dir, "d.json");
      writeFileSync(
        file,
        JSON.stringify(manifest({
          routes: {
            r: `FROM /messages/modules/pub/* INTO BrokeredEndpoint("/modules/sink/inputs/in")`,
          },
        })),
      );
      await ledge.ok("deploy", file);

      const publisher = await moduleClient(ledge.mqttPort, "edge1", "pub", pub.primaryKey);
      const topic = "devices/edge1/modules/pub/messages/events/%24.on=out";
      const payload = (n: number) => JSON.stringify({ n, pad: "x".repeat(4000) });
      const acked: number[] = [];
      let n = 0;
      // Fill the 1 MB disk: publishes stop being acknowledged.
      for (; n < 2000; n++) {
        const r = await withTimeout(publisher.publishAsync(topic, payload(n), { qos: 1 }), 3000);
        if (r === "timeout") break;
        acked.push(n);
      }
      assert.ok(n < 2000, "the disk never filled");
      assert.ok(acked.length > 50, `only ${acked.length} messages fit`);
      await waitFor(() => /full|ENOSPC|no space/i.test(ledge.log()), 5000, "a disk-full log line");

      // ledge still serves: another client connects and is answered.
      const probe = await moduleClient(ledge.mqttPort, "edge1", "sink", sink.primaryKey);
      await probe.endAsync();

      // Space returns: appends resume by themselves.
      execFileSync("mount", ["-o", "remount,size=64m", storeDir]);
      let resumed = false;
      for (let i = 0; i < 20 && !resumed; i++) {
        const m = 100_000 + i;
        const r = await withTimeout(publisher.publishAsync(topic, payload(m), { qos: 1 }), 3000);
        if (r !== "timeout") {
          acked.push(m);
          resumed = true;
        }
      }
      assert.ok(resumed, "appends did not resume after space returned");
      await publisher.endAsync(true);

      // Every acknowledged message reaches the consumer.
      const consumer = await moduleClient(ledge.mqttPort, "edge1", "sink", sink.primaryKey);
      const got = new Set<number>();
      consumer.on("message", (_t, body) => got.add(JSON.parse(body.toString()).n));
      await consumer.subscribeAsync("devices/edge1/modules/sink/inputs/#", { qos: 1 });
      await waitFor(() => acked.every((a) => got.has(a)), 20_000, "all acknowledged messages");
      await consumer.endAsync();
    } finally {
      await ledge.cleanup();
      for (const args of [[storeDir], [storeDir], ["-l", storeDir]]) {
        try {
          execFileSync("umount", args, { stdio: "pipe" });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 500)); // busy for a moment after ledge exits
        }
      }
      rmSync(storeDir, { recursive: true, force: true });
    }
  },
);
