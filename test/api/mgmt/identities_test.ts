/**
 * Management API, identities: create (201), conflicts (409), a module without its device
 * (404), bad ids (400), list, show, remove (204, then 404), connection strings with this hub
 * as gateway.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { parseConnectionString } from "../../../src/identity/mod.ts";
import { withServer } from "./_fixture.ts";

Deno.test("identity CRUD statuses", () =>
  withServer(async ({ req }) => {
    const dev = await req("POST", "/identities", { id: "dev1" });
    assert.equal(dev.status, 201);
    assert.equal(dev.body.id, "dev1");
    assert.equal(dev.body.deviceId, "dev1");
    assert.equal(dev.body.moduleId, null);
    assert.equal(dev.body.status, "enabled");
    assert.equal(Buffer.from(dev.body.primaryKey, "base64").length, 32);

    const mod = await req("POST", "/identities", { id: "dev1/filter" });
    assert.equal(mod.status, 201);
    assert.equal(mod.body.moduleId, "filter");

    const dup = await req("POST", "/identities", { id: "dev1" });
    assert.deepEqual(dup, { status: 409, body: { message: "identity 'dev1' already exists" } });

    const orphan = await req("POST", "/identities", { id: "ghost/m" });
    assert.equal(orphan.status, 404);
    assert.match(orphan.body.message, /device 'ghost' does not exist/);

    for (const id of ["bad id", "a/b/c", "dev1/"]) {
      const bad = await req("POST", "/identities", { id });
      assert.equal(bad.status, 400, id);
      assert.ok(bad.body.message.length > 0);
    }

    const list = await req("GET", "/identities");
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.identities.map((i: { id: string }) => i.id), [
      "dev1",
      "dev1/filter",
    ]);

    const shown = await req("GET", "/identities/dev1%2Ffilter");
    assert.deepEqual(shown, { status: 200, body: mod.body });
    const missing = await req("GET", "/identities/nobody");
    assert.deepEqual(missing, { status: 404, body: { message: "identity 'nobody' not found" } });
    assert.equal((await req("GET", "/identities/bad%20id")).status, 400);

    assert.deepEqual(await req("DELETE", "/identities/dev1%2Ffilter"), {
      status: 204,
      body: undefined,
    });
    assert.equal((await req("DELETE", "/identities/dev1%2Ffilter")).status, 404);
    assert.equal((await req("GET", "/identities/dev1%2Ffilter")).status, 404);
  }));

Deno.test("connection strings name this hub as gateway, with its MQTTS port", () =>
  withServer(async ({ req }) => {
    await req("POST", "/identities", { id: "d" });
    const { body } = await req("POST", "/identities", { id: "d/m" });
    const cs = parseConnectionString(body.connectionString);
    assert.equal(cs.hostName, "edge.local");
    assert.equal(cs.deviceId, "d");
    assert.equal(cs.moduleId, "m");
    assert.equal(cs.sharedAccessKey, body.primaryKey);
    assert.equal(cs.gatewayHostName, "edge.local:18883");
  }));

Deno.test("removing a device removes its modules and twins", () =>
  withServer(async ({ req, ctx }) => {
    await req("POST", "/identities", { id: "d" });
    await req("POST", "/identities", { id: "d/m" });
    await req("POST", "/identities", { id: "other" });
    await req("PATCH", "/twins/d", { desired: { a: 1 } });
    await req("PATCH", "/twins/d%2Fm", { desired: { b: 1 } });
    assert.equal((await req("DELETE", "/identities/d")).status, 204);
    const list = await req("GET", "/identities");
    assert.deepEqual(list.body.identities.map((i: { id: string }) => i.id), ["other"]);
    // Re-created, the device and its module start with fresh twins.
    await req("POST", "/identities", { id: "d" });
    await req("POST", "/identities", { id: "d/m" });
    assert.deepEqual((await ctx.twins.get("d")).desired, { $version: 1 });
    assert.deepEqual((await ctx.twins.get("d/m")).desired, { $version: 1 });
  }));
