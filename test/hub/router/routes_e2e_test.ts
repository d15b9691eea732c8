/**
 * Module to module through IoT Hub routes, with the official SDK's ModuleClient: outputs reach
 * inputs through a route with a WHERE clause on an application property and on `$body`,
 * messages that match nothing go nowhere, and a module that was offline gets its whole backlog
 * in order — also across a restart of ledge.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { manifest } from "../../fixtures/manifest.ts";
import { startLedge, waitFor } from "../../helpers/ledge.ts";
import { Message, openModule } from "../../helpers/sdk.ts";
import type { ModuleClient } from "../../helpers/sdk.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function jsonMessage(body: unknown, props: Record<string, string>): Message {
  const m = new Message(JSON.stringify(body));
  m.contentType = "application/json";
  m.contentEncoding = "utf-8";
  for (const [k, v] of Object.entries(props)) m.properties.add(k, v);
  return m;
}

function collect(
  client: ModuleClient,
): Array<{ input: string; body: string; props: Record<string, string> }> {
  const got: Array<{ input: string; body: string; props: Record<string, string> }> = [];
  client.on("inputMessage", (input: string, msg: Message) => {
    const props: Record<string, string> = {};
    for (let i = 0; i < msg.properties.count(); i++) {
      const p = msg.properties.getItem(i);
      props[p.key] = p.value;
    }
    got.push({ input, body: msg.data.toString(), props });
    client.complete(msg, () => {});
  });
  return got;
}

Deno.test(
  "routes carry module outputs to module inputs, with backlog for an offline module",
  opts,
  async (t) => {
    const ledge = await startLedge();
    try {
      const a = JSON.parse(
        await ledge.cli("identity", "add", "edge1/moduleA", "--json").then((r) => r.stdout),
      );
      const b = JSON.parse(
        await ledge.cli("identity", "add", "edge1/moduleB", "--json").then((r) => r.stdout),
      );
      const ca = ledge.ca();
      const file = join(ledge.dir, "deployment.json");
      writeFileSync(
        file,
        JSON.stringify(manifest({
          routes: {
            hot: {
              route:
                `FROM /messages/modules/moduleA/outputs/out1 WHERE level = 'critical' AND $body.temperature > 30 INTO BrokeredEndpoint("/modules/moduleB/inputs/input1")`,
              priority: 0,
            },
            toCloud: `FROM /messages/modules/moduleA/outputs/telemetry INTO $upstream`,
          },
        })),
      );
      assert.match(await ledge.ok("deploy", file), /^200/);

      const sender = await openModule(a.connectionString, ca);
      let receiver = await openModule(b.connectionString, ca);
      let got = collect(receiver);
      await new Promise((r) => setTimeout(r, 500)); // let the SDK subscribe to inputs

      await t.step(
        "matching messages arrive with their properties; others go nowhere",
        async () => {
          await sender.sendOutputEvent(
            "out1",
            jsonMessage({ temperature: 35 }, { level: "critical", n: "1" }),
          );
          await sender.sendOutputEvent(
            "out1",
            jsonMessage({ temperature: 20 }, { level: "critical", n: "2" }),
          );
          await sender.sendOutputEvent(
            "out1",
            jsonMessage({ temperature: 40 }, { level: "info", n: "3" }),
          );
          await sender.sendOutputEvent(
            "other",
            jsonMessage({ temperature: 50 }, { level: "critical", n: "4" }),
          );
          await sender.sendOutputEvent(
            "out1",
            jsonMessage({ temperature: 31 }, { level: "critical", n: "5" }),
          );
          await waitFor(() => got.length >= 2, 10_000, "routed messages");
          await new Promise((r) => setTimeout(r, 500));
          assert.deepEqual(got.map((g) => g.props.n), ["1", "5"]);
          assert.equal(got[0].input, "input1");
          assert.deepEqual(JSON.parse(got[0].body), { temperature: 35 });
          assert.equal(got[0].props.level, "critical");
          assert.equal(got[0].props["$.cdid"], "edge1");
          assert.equal(got[0].props["$.cmid"], "moduleA");
        },
      );

      await t.step("an offline module gets its whole backlog in order", async () => {
        await receiver.close();
        for (let i = 0; i < 50; i++) {
          await sender.sendOutputEvent(
            "out1",
            jsonMessage({ temperature: 100 + i }, { level: "critical", n: `b${i}` }),
          );
        }
        receiver = await openModule(b.connectionString, ca);
        got = collect(receiver);
        await waitFor(() => got.length >= 50, 15_000, "backlog");
        assert.deepEqual(got.map((g) => g.props.n), Array.from({ length: 50 }, (_, i) => `b${i}`));
      });

      await t.step("the backlog survives a kill -9 of ledge", async () => {
        await receiver.close();
        for (let i = 0; i < 20; i++) {
          await sender.sendOutputEvent(
            "out1",
            jsonMessage({ temperature: 200 + i }, { level: "critical", n: `k${i}` }),
          );
        }
        await sender.close();
        await ledge.kill();
        await ledge.restart();
        receiver = await openModule(b.connectionString, ca);
        got = collect(receiver);
        await waitFor(() => got.length >= 20, 15_000, "backlog after restart");
        await new Promise((r) => setTimeout(r, 300));
        // at-least-once: everything acknowledged arrives, in order, duplicates only at the front
        const ns = got.map((g) => g.props.n).filter((n) => n.startsWith("k"));
        assert.deepEqual(ns, Array.from({ length: 20 }, (_, i) => `k${i}`));
        await receiver.close();
      });
    } finally {
      await ledge.cleanup();
    }
  },
);

Deno.test("a deployment with a bad route is refused whole and names the route", opts, async () => {
  const ledge = await startLedge();
  try {
    const file = join(ledge.dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify(manifest({
        routes: {
          good: "FROM /messages/* INTO $upstream",
          broken: "FROM /messages/* WHERE (a = INTO $upstream",
        },
      })),
    );
    const r = await ledge.cli("deploy", file);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken/);
    assert.match(r.stderr, /column/);
  } finally {
    await ledge.cleanup();
  }
});
