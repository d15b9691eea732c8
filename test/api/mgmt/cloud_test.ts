/**
 * Management API, the cloud side: twins (GET/PATCH and their refusals), direct methods
 * (offline 404, answered, timed out), C2D sends (202, 400, 403 when full, 404) and the
 * monitor's NDJSON stream.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import http from "node:http";
import type { DesiredPatch } from "../../../src/hub/twin/mod.ts";
import type { HubMessage } from "../../../src/hub/message.ts";
import { MAX_QUEUE_DEPTH } from "../../../src/hub/c2d/mod.ts";
import { CA_PEM, withServer } from "./_fixture.ts";

Deno.test("twins: GET and PATCH with versions; the desired event fires", () =>
  withServer(async ({ req, ctx }) => {
    assert.equal((await req("GET", "/twins/dev")).status, 404, "no identity, no twin");
    assert.equal((await req("PATCH", "/twins/dev", { desired: { a: 1 } })).status, 404);
    await req("POST", "/identities", { id: "dev" });
    await req("POST", "/identities", { id: "dev/mod" });
    assert.deepEqual(await req("GET", "/twins/dev"), {
      status: 200,
      body: { desired: { $version: 1 }, reported: { $version: 1 } },
    });
    const events: DesiredPatch[] = [];
    ctx.twins.on("desired", (e) => events.push(e));
    const r1 = await req("PATCH", "/twins/dev%2Fmod", { desired: { a: 1, o: { x: 1 } } });
    assert.deepEqual(r1, {
      status: 200,
      body: { desired: { a: 1, o: { x: 1 }, $version: 2 }, reported: { $version: 1 } },
    });
    const r2 = await req("PATCH", "/twins/dev%2Fmod", { desired: { a: null, o: { y: 2 } } });
    assert.deepEqual(r2.body.desired, { o: { x: 1, y: 2 }, $version: 3 });
    assert.deepEqual(events, [
      { id: "dev/mod", patch: { a: 1, o: { x: 1 } }, version: 2 },
      { id: "dev/mod", patch: { a: null, o: { y: 2 } }, version: 3 },
    ]);
  }));

Deno.test("twins: PATCH refusals are 400 naming the problem", async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["not JSON", "{desired:", /not valid JSON/],
    ["no desired", {}, /^desired: /],
    ["desired not an object", { desired: 5 }, /^desired: .*\(got 5\)/],
    ["desired an array", { desired: [1] }, /^desired: /],
    [
      "reported is not patchable here",
      { desired: {}, reported: {} },
      /Unrecognized key.*"reported"/,
    ],
    ["$ key", { desired: { $version: 4 } }, /key '\$version' may not start with \$/],
    ["dotted key", { desired: { "a.b": 1 } }, /key 'a\.b'/],
    ["too deep", { desired: nest(11) }, /nested deeper than 10/],
    ["too big", { desired: { s: "x".repeat(33 * 1024) } }, /larger than 32768 bytes/],
  ];
  await withServer(async ({ req }) => {
    await req("POST", "/identities", { id: "dev" });
    for (const [name, body, want] of cases) {
      await t.step(name, async () => {
        const r = await req("PATCH", "/twins/dev", body);
        assert.equal(r.status, 400);
        assert.match(r.body.message, want);
      });
    }
    assert.equal((await req("GET", "/twins/dev")).body.desired.$version, 1, "nothing applied");
  });
});

function nest(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

Deno.test("methods: offline 404, answered 200, bad body 400, unknown identity 404", () =>
  withServer(async ({ req, ctx }) => {
    assert.equal((await req("POST", "/methods/dev", { methodName: "m" })).status, 404);
    await req("POST", "/identities", { id: "dev" });
    const offline = await req("POST", "/methods/dev", { methodName: "reboot" });
    assert.equal(offline.status, 404);
    assert.equal(offline.body.errorCode, 404103);

    ctx.methods.register("dev", {
      sendRequest: (method, rid, payload) => {
        const echo = { method, got: JSON.parse(Buffer.from(payload).toString()) };
        setTimeout(() => ctx.methods.complete("dev", rid, 201, Buffer.from(JSON.stringify(echo))));
      },
    });
    const ok = await req("POST", "/methods/dev", { methodName: "echo", payload: { n: 1 } });
    assert.deepEqual(ok, {
      status: 200,
      body: { status: 201, payload: { method: "echo", got: { n: 1 } } },
    });

    const badName = await req("POST", "/methods/dev", { methodName: "a/b" });
    assert.equal(badName.status, 400);
    assert.equal(badName.body.errorCode, 400027);

    for (
      const body of [{}, { methodName: "m", responseTimeoutInSeconds: 0 }, {
        methodName: "m",
        responseTimeoutInSeconds: 301,
      }]
    ) {
      const r = await req("POST", "/methods/dev", body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
  }));

Deno.test("methods: no answer within the timeout is a 504", () =>
  withServer(async ({ req, ctx }) => {
    await req("POST", "/identities", { id: "dev" });
    ctx.methods.register("dev", { sendRequest: () => {} });
    const r = await req("POST", "/methods/dev", { methodName: "m", responseTimeoutInSeconds: 1 });
    assert.equal(r.status, 504);
    assert.equal(r.body.errorCode, 504101);
  }));

Deno.test("c2d: queued 202, modules 400, unknown 404, full 403", () =>
  withServer(async ({ req, ctx }) => {
    assert.equal((await req("POST", "/c2d/dev", { body: "x" })).status, 404);
    await req("POST", "/identities", { id: "dev" });
    await req("POST", "/identities", { id: "dev/mod" });
    const r = await req("POST", "/c2d/dev", {
      body: "hello",
      properties: { k: "v" },
      messageId: "mid-1",
      ttlSecs: 60,
    });
    assert.deepEqual(r, { status: 202, body: { messageId: "mid-1", queued: 1 } });
    const [m] = await ctx.c2d.feed("dev").pull(1);
    assert.equal(Buffer.from(m.payload).toString(), "hello");
    assert.match(m.topic, /^devices\/dev\/messages\/devicebound\/(.*&)?k=v(&|$)/);

    const toModule = await req("POST", "/c2d/dev%2Fmod", { body: "x" });
    assert.equal(toModule.status, 400);
    assert.match(toModule.body.message, /devices, not modules/);

    for (
      const body of [{}, { body: 5 }, { body: "x", ttlSecs: 0 }, {
        body: "x",
        properties: { a: 1 },
      }]
    ) {
      assert.equal((await req("POST", "/c2d/dev", body)).status, 400, JSON.stringify(body));
    }

    for (let i = 1; i < MAX_QUEUE_DEPTH; i++) await req("POST", "/c2d/dev", { body: `${i}` });
    const full = await req("POST", "/c2d/dev", { body: "one too many" });
    assert.equal(full.status, 403);
    assert.match(full.body.message, /already has 50 queued messages/);
  }));

Deno.test("ca-cert serves the CA as PEM", () =>
  withServer(async ({ req }) => {
    assert.deepEqual(await req("GET", "/ca-cert"), { status: 200, body: CA_PEM });
  }));

/** Opens the monitor stream; `lines` fills as NDJSON lines arrive. */
function openMonitor(socketPath: string, path = "/monitor") {
  const lines: unknown[] = [];
  let res: http.IncomingMessage | undefined;
  const ready = new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get({ socketPath, path }, (r) => {
      res = r;
      let buf = "";
      r.on("data", (c: Uint8Array) => {
        buf += Buffer.from(c).toString();
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) lines.push(JSON.parse(line));
        }
      });
      r.on("error", () => {});
      resolve(r);
    });
    req.on("error", reject);
  });
  return { lines, ready, close: () => res?.destroy() };
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function telemetry(device: string, body: string, contentType?: string): HubMessage {
  return {
    body: Buffer.from(body),
    properties: { app: "1" },
    systemProperties: {
      connectionDeviceId: device,
      ...(contentType ? { contentType } : {}),
    },
  };
}

Deno.test("monitor streams one JSON line per message, filtered by device", () =>
  withServer(async ({ socket, ctx }) => {
    const all = openMonitor(socket);
    const only = openMonitor(socket, "/monitor?device=b");
    const res = await all.ready;
    await only.ready;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "application/x-ndjson");
    assert.equal(ctx.monitor.listenerCount("message"), 2);

    ctx.monitor.emit("message", telemetry("a", '{"t":1}', "application/json"));
    ctx.monitor.emit("message", telemetry("b", "plain text"));
    await until(() => all.lines.length === 2 && only.lines.length === 1, "monitor lines");

    assert.deepEqual(all.lines[0], {
      event: {
        origin: "a",
        module: "",
        interface: "",
        component: "",
        payload: { t: 1 },
        properties: {
          system: { connectionDeviceId: "a", contentType: "application/json" },
          application: { app: "1" },
        },
      },
    });
    assert.equal((all.lines[1] as { event: { payload: unknown } }).event.payload, "plain text");
    assert.deepEqual(only.lines, [all.lines[1]]);

    all.close();
    only.close();
    await until(() => ctx.monitor.listenerCount("message") === 0, "listeners removed");
  }));
