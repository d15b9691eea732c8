/**
 * Management API, deployments and modules: 503 without an agent, the agent's answers with
 * one, log query parameters (400 naming the parameter), streamed logs, deploy statuses, and
 * `parseSince` vectors.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import http from "node:http";
import { type ModulesPort, parseSince } from "../../../src/api/mgmt/mod.ts";
import { ApiError } from "../../../src/api/mgmt/router.ts";
import { withServer } from "./_fixture.ts";

Deno.test("without an agent every module route is a 503", async (t) => {
  await withServer(async ({ req }) => {
    for (
      const [method, path] of [
        ["GET", "/modules"],
        ["POST", "/modules/m/restart"],
        ["GET", "/modules/m/logs"],
        ["GET", "/modules/m/logs?tail=5&follow=true"],
      ]
    ) {
      await t.step(`${method} ${path}`, async () => {
        const r = await req(method, path);
        assert.equal(r.status, 503);
        assert.match(r.body.message, /agent is not running/);
      });
    }
  });
});

Deno.test("deploy passes the manifest on and answers 200 with its IoT Edge result code", () =>
  withServer(async ({ req, deployed }) => {
    const ok = await req("POST", "/deploy", { manifest: { modulesContent: {} } });
    assert.deepEqual(ok, { status: 200, body: { code: 200, description: "ok" } });
    const bad = await req("POST", "/deploy", { manifest: { bad: true } });
    assert.deepEqual(bad, { status: 200, body: { code: 400, description: "manifest refused" } });
    assert.deepEqual(deployed, [{ modulesContent: {} }, { bad: true }]);
    assert.equal((await req("POST", "/deploy", "nope")).status, 400);
    assert.equal(deployed.length, 2);
  }));

/** A fake agent: one module `m`; logs yield `lines`, forever when following. */
class FakeAgent implements ModulesPort {
  restarted: string[] = [];
  logCalls: Array<{ name: string; tail?: number; since?: number; follow: boolean }> = [];
  aborted = false;
  list() {
    return Promise.resolve([{ name: "m", status: "running" }]);
  }
  restart(name: string) {
    if (name !== "m") return Promise.reject(new ApiError(404, `module '${name}' not found`));
    this.restarted.push(name);
    return Promise.resolve();
  }
  async *logs(
    name: string,
    opts: { tail?: number; since?: number; follow: boolean; signal: AbortSignal },
  ): AsyncIterable<Uint8Array> {
    if (name !== "m") throw new ApiError(404, `module '${name}' not found`);
    this.logCalls.push({ name, tail: opts.tail, since: opts.since, follow: opts.follow });
    yield Buffer.from("line 1\n");
    yield Buffer.from("line 2\n");
    while (opts.follow && !opts.signal.aborted) {
      await new Promise((r) => setTimeout(r, 5));
      if (!opts.signal.aborted) yield Buffer.from("more\n");
    }
    this.aborted = opts.signal.aborted;
  }
}

Deno.test("with an agent: list, restart, logs", () => {
  const agent = new FakeAgent();
  return withServer(async ({ req }) => {
    assert.deepEqual(await req("GET", "/modules"), {
      status: 200,
      body: { modules: [{ name: "m", status: "running" }] },
    });
    assert.equal((await req("POST", "/modules/m/restart")).status, 204);
    assert.deepEqual(agent.restarted, ["m"]);
    assert.equal((await req("POST", "/modules/zz/restart")).status, 404);

    const logs = await req("GET", "/modules/m/logs?tail=10&since=1700000000");
    assert.deepEqual(logs, { status: 200, body: "line 1\nline 2\n" });
    assert.deepEqual(agent.logCalls.at(-1), {
      name: "m",
      tail: 10,
      since: 1_700_000_000,
      follow: false,
    });
    await req("GET", "/modules/m/logs");
    assert.deepEqual(agent.logCalls.at(-1), {
      name: "m",
      tail: undefined,
      since: undefined,
      follow: false,
    });
    const unknown = await req("GET", "/modules/zz/logs");
    assert.deepEqual(unknown, { status: 404, body: { message: "module 'zz' not found" } });
  }, { modules: agent });
});

Deno.test("log parameters are checked, naming the parameter", async (t) => {
  const cases: Array<[string, string]> = [
    ["tail=-1", "invalid parameter: tail"],
    ["tail=ten", "invalid parameter: tail"],
    ["follow=yes", "invalid parameter: follow"],
    ["since=yesterday", "invalid parameter: since ('yesterday')"],
  ];
  await withServer(async ({ req }) => {
    for (const [query, message] of cases) {
      await t.step(query, async () => {
        assert.deepEqual(await req("GET", `/modules/m/logs?${query}`), {
          status: 400,
          body: { message },
        });
      });
    }
  }, { modules: new FakeAgent() });
});

Deno.test("following logs streams until the client goes away", () => {
  const agent = new FakeAgent();
  return withServer(async ({ socket }) => {
    let text = "";
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ socketPath: socket, path: "/modules/m/logs?follow=true" }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on("data", (c: Uint8Array) => {
          text += Buffer.from(c).toString();
          if (text.includes("more\nmore\n")) {
            res.destroy();
            resolve();
          }
        });
        res.on("error", () => {});
      });
      req.on("error", reject);
    });
    assert.ok(text.startsWith("line 1\nline 2\nmore\n"));
    for (let i = 0; i < 200 && !agent.aborted; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(agent.aborted, true, "the agent's log stream was told to stop");
  }, { modules: agent });
});

Deno.test("parseSince vectors", async (t) => {
  const now = Date.parse("2026-01-02T00:00:00Z");
  const nowSecs = now / 1000;
  const cases: Array<[string, number]> = [
    ["0", 0],
    ["1700000000", 1_700_000_000],
    ["30s", nowSecs - 30],
    ["90m", nowSecs - 90 * 60],
    ["2h", nowSecs - 7200],
    ["1d", nowSecs - 86_400],
    [" 5 m ", nowSecs - 300],
    ["2026-01-01T00:00:00Z", nowSecs - 86_400],
    ["2026-01-01T12:00:00+02:00", Date.parse("2026-01-01T10:00:00Z") / 1000],
  ];
  for (const [text, want] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(parseSince(text, now), want));
  }
  for (const bad of ["", "soon", "5w", "-5m"]) {
    await t.step(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseSince(bad, now),
        (e: Error) => e instanceof ApiError && e.status === 400 && e.message.includes("since"),
      );
    });
  }
});
