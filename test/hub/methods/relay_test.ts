/**
 * The direct-method relay: offline targets (404), invalid names (400), timeouts (504),
 * answers matched by request id, late and foreign answers ignored.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { MethodError, MethodRelay } from "../../../src/hub/methods/mod.ts";
import type { MethodResponder } from "../../../src/hub/mqtt/mod.ts";

/** A connected client that records the requests it was sent. */
class FakeClient implements MethodResponder {
  requests: Array<{ method: string; rid: string; payload: unknown }> = [];
  sendRequest(method: string, rid: string, payload: Uint8Array): void {
    this.requests.push({ method, rid, payload: JSON.parse(Buffer.from(payload).toString()) });
  }
}

function isMethodError(status: number, errorCode: number, includes: string) {
  return (e: unknown) => {
    assert.ok(e instanceof MethodError, `expected MethodError, got ${e}`);
    assert.equal(e.status, status);
    assert.equal(e.errorCode, errorCode);
    assert.ok(e.message.includes(includes), `${e.message} lacks ${includes}`);
    return true;
  };
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

Deno.test("an offline target is a 404", async () => {
  const relay = new MethodRelay();
  await assert.rejects(relay.invoke("dev", "reboot", {}), isMethodError(404, 404103, "'dev'"));
  const c = new FakeClient();
  relay.register("dev", c);
  relay.unregister("dev", c);
  await assert.rejects(relay.invoke("dev", "reboot", {}), isMethodError(404, 404103, "not online"));
});

Deno.test("unregister by a stale client keeps the current one", async () => {
  const relay = new MethodRelay();
  const old = new FakeClient();
  const current = new FakeClient();
  relay.register("dev", old);
  relay.register("dev", current); // reconnect replaces
  relay.unregister("dev", old); // the old connection's late cleanup
  const p = relay.invoke("dev", "m", null, 5);
  assert.equal(old.requests.length, 0);
  assert.equal(current.requests.length, 1);
  relay.complete("dev", current.requests[0].rid, 200, json("ok"));
  assert.deepEqual(await p, { status: 200, payload: "ok" });
});

Deno.test("invalid method names are a 400", async (t) => {
  const relay = new MethodRelay();
  const c = new FakeClient();
  relay.register("dev", c);
  for (const name of ["", "a/b", "a#", "a+b", "a?b", "has space", "x".repeat(101)]) {
    await t.step(JSON.stringify(name.slice(0, 20)), async () => {
      await assert.rejects(relay.invoke("dev", name, {}), isMethodError(400, 400027, "invalid"));
    });
  }
  assert.equal(c.requests.length, 0);
});

Deno.test("a request goes to the client; its answer resolves the call", async () => {
  const relay = new MethodRelay();
  const c = new FakeClient();
  relay.register("dev/mod", c);
  const p = relay.invoke("dev/mod", "getTemp", { unit: "C" }, 5);
  assert.equal(c.requests.length, 1);
  const { method, rid, payload } = c.requests[0];
  assert.equal(method, "getTemp");
  assert.deepEqual(payload, { unit: "C" });
  relay.complete("dev/mod", rid, 201, json({ t: 21.5 }));
  assert.deepEqual(await p, { status: 201, payload: { t: 21.5 } });
});

Deno.test("answer payloads: JSON, plain text, empty", async (t) => {
  const cases: Array<[string, Uint8Array, unknown]> = [
    ["json object", json({ a: 1 }), { a: 1 }],
    ["json number", json(42), 42],
    ["plain text", Buffer.from("not json"), "not json"],
    ["empty", new Uint8Array(0), null],
    ["whitespace", Buffer.from("  \n"), null],
  ];
  const relay = new MethodRelay();
  const c = new FakeClient();
  relay.register("d", c);
  for (const [name, bytes, want] of cases) {
    await t.step(name, async () => {
      const p = relay.invoke("d", "m", undefined, 5);
      const req = c.requests.at(-1)!;
      assert.equal(req.payload, null, "an absent payload is sent as null");
      relay.complete("d", req.rid, 200, bytes);
      assert.deepEqual(await p, { status: 200, payload: want });
    });
  }
});

Deno.test("answers are matched by rid, in any order", async () => {
  const relay = new MethodRelay();
  const c = new FakeClient();
  relay.register("d", c);
  const p1 = relay.invoke("d", "one", 1, 5);
  const p2 = relay.invoke("d", "two", 2, 5);
  const [r1, r2] = c.requests;
  assert.notEqual(r1.rid, r2.rid);
  relay.complete("d", r2.rid, 200, json("second"));
  relay.complete("d", r1.rid, 500, json("first"));
  assert.deepEqual(await p1, { status: 500, payload: "first" });
  assert.deepEqual(await p2, { status: 200, payload: "second" });
});

Deno.test("foreign, unknown and duplicate answers are ignored", async () => {
  const relay = new MethodRelay();
  const a = new FakeClient();
  const b = new FakeClient();
  relay.register("a", a);
  relay.register("b", b);
  const p = relay.invoke("a", "m", null, 5);
  const rid = a.requests[0].rid;
  relay.complete("b", rid, 200, json("from b")); // another identity answering a's rid
  relay.complete("a", "ffff", 200, json("unknown rid"));
  relay.complete("a", rid, 200, json("real"));
  relay.complete("a", rid, 200, json("duplicate"));
  assert.deepEqual(await p, { status: 200, payload: "real" });
});

Deno.test("no answer in time is a 504; a late answer is ignored", async () => {
  const relay = new MethodRelay();
  const c = new FakeClient();
  relay.register("d", c);
  const started = Date.now();
  // Timeouts are clamped to at least 1 s (IoT Hub's minimum).
  await assert.rejects(relay.invoke("d", "slow", null, 0), isMethodError(504, 504101, "1s"));
  const took = Date.now() - started;
  assert.ok(took >= 950 && took < 3000, `timed out after ${took} ms`);
  relay.complete("d", c.requests[0].rid, 200, json("late")); // must not throw
  // The relay still works afterwards.
  const p = relay.invoke("d", "fast", null, 1);
  relay.complete("d", c.requests[1].rid, 200, json("ok"));
  assert.deepEqual(await p, { status: 200, payload: "ok" });
});
