/**
 * The identity registry over a real (in-memory) state database: add/get/list/remove, the
 * 400/404/409 refusals, cascading removal of a device's modules, and fresh random keys.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type Db, openDatabase } from "../../src/db/mod.ts";
import {
  formatIdentityId,
  IdentityRegistry,
  parseIdentityId,
  RegistryError,
} from "../../src/identity/mod.ts";

async function withRegistry(fn: (r: IdentityRegistry, db: Db) => Promise<void>): Promise<void> {
  const db = await openDatabase(":memory:");
  try {
    await fn(new IdentityRegistry(db), db);
  } finally {
    await db.destroy();
  }
}

function isRegistryError(status: number, includes: string) {
  return (e: unknown) => {
    assert.ok(e instanceof RegistryError, `expected RegistryError, got ${e}`);
    assert.equal(e.status, status);
    assert.ok(e.message.includes(includes), `${e.message} lacks ${includes}`);
    return true;
  };
}

Deno.test("parseIdentityId accepts devices and modules", async (t) => {
  const cases: Array<[string, { deviceId: string; moduleId?: string }]> = [
    ["dev", { deviceId: "dev" }],
    ["dev/mod", { deviceId: "dev", moduleId: "mod" }],
    ["edge-1.a_b/$edgeHub", { deviceId: "edge-1.a_b", moduleId: "$edgeHub" }],
    ["a:b@c/(x),y=z!'*?%", { deviceId: "a:b@c", moduleId: "(x),y=z!'*?%" }],
    ["d".repeat(128), { deviceId: "d".repeat(128) }],
  ];
  for (const [text, want] of cases) {
    await t.step(text.slice(0, 40), () => {
      assert.deepEqual(parseIdentityId(text), want);
      assert.equal(formatIdentityId(want), text);
    });
  }
});

Deno.test("parseIdentityId refuses bad ids with a 400 naming the part", async (t) => {
  const cases: Array<[string, string]> = [
    ["", "''"],
    ["a/b/c", "expected DEVICE or DEVICE/MODULE"],
    ["dev/", "''"],
    ["/mod", "''"],
    ["has space", "'has space'"],
    ["dev/has#hash", "'has#hash'"],
    ["d".repeat(129), "not a valid id"],
    ["dév", "'dév'"],
  ];
  for (const [text, includes] of cases) {
    await t.step(JSON.stringify(text.slice(0, 40)), () => {
      assert.throws(() => parseIdentityId(text), isRegistryError(400, includes));
    });
  }
});

Deno.test("add, get and list identities", () =>
  withRegistry(async (r) => {
    const dev = await r.add({ deviceId: "dev1" });
    assert.equal(dev.id, "dev1");
    assert.equal(dev.deviceId, "dev1");
    assert.equal("moduleId" in dev, false);
    assert.equal(dev.status, "enabled");
    assert.equal(dev.managedBy, "user");
    assert.ok(!Number.isNaN(Date.parse(dev.createdAt)));
    assert.match(dev.generationId, /^[0-9a-f-]{36}$/);

    const mod = await r.add({ deviceId: "dev1", moduleId: "m1" }, { managedBy: "ledge" });
    assert.equal(mod.id, "dev1/m1");
    assert.equal(mod.moduleId, "m1");
    assert.equal(mod.managedBy, "ledge");

    assert.deepEqual(await r.get({ deviceId: "dev1" }), dev);
    assert.deepEqual(await r.get({ deviceId: "dev1", moduleId: "m1" }), mod);
    assert.equal(await r.get({ deviceId: "nope" }), undefined);
    assert.equal(await r.get({ deviceId: "dev1", moduleId: "nope" }), undefined);

    await r.add({ deviceId: "a-first" });
    assert.deepEqual((await r.list()).map((i) => i.id), ["a-first", "dev1", "dev1/m1"]);
  }));

Deno.test("a module needs its device (404)", () =>
  withRegistry(async (r) => {
    await assert.rejects(
      r.add({ deviceId: "ghost", moduleId: "m" }),
      isRegistryError(404, "device 'ghost' does not exist"),
    );
    assert.deepEqual(await r.list(), []);
  }));

Deno.test("adding an existing identity is a 409", () =>
  withRegistry(async (r) => {
    await r.add({ deviceId: "d" });
    await r.add({ deviceId: "d", moduleId: "m" });
    await assert.rejects(r.add({ deviceId: "d" }), isRegistryError(409, "'d' already exists"));
    await assert.rejects(
      r.add({ deviceId: "d", moduleId: "m" }),
      isRegistryError(409, "'d/m' already exists"),
    );
  }));

Deno.test("ensure returns the existing identity or creates it", () =>
  withRegistry(async (r) => {
    const a = await r.ensure({ deviceId: "edge" }, { managedBy: "ledge" });
    const b = await r.ensure({ deviceId: "edge" });
    assert.deepEqual(b, a);
    assert.equal(b.managedBy, "ledge");
  }));

Deno.test("remove: 404 when missing; a device takes its modules along", () =>
  withRegistry(async (r) => {
    await assert.rejects(r.remove({ deviceId: "none" }), isRegistryError(404, "'none' not found"));
    await r.add({ deviceId: "d1" });
    await r.add({ deviceId: "d1", moduleId: "a" });
    await r.add({ deviceId: "d1", moduleId: "b" });
    await r.add({ deviceId: "d2" });
    await r.add({ deviceId: "d2", moduleId: "a" });

    await r.remove({ deviceId: "d2", moduleId: "a" });
    assert.deepEqual((await r.list()).map((i) => i.id), ["d1", "d1/a", "d1/b", "d2"]);

    await r.remove({ deviceId: "d1" });
    assert.deepEqual((await r.list()).map((i) => i.id), ["d2"]);
    await assert.rejects(r.remove({ deviceId: "d1", moduleId: "a" }), isRegistryError(404, "d1/a"));
    // The module can come back only with its device.
    await assert.rejects(r.add({ deviceId: "d1", moduleId: "a" }), isRegistryError(404, "d1"));
  }));

Deno.test("keys are 32 random bytes in base64, all different", () =>
  withRegistry(async (r) => {
    const keys: string[] = [];
    for (let i = 0; i < 10; i++) {
      const id = await r.add({ deviceId: `d${i}` });
      keys.push(id.primaryKey, id.secondaryKey);
    }
    for (const k of keys) {
      assert.match(k, /^[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(k, "base64").length, 32);
    }
    assert.equal(new Set(keys).size, keys.length);
  }));

Deno.test("identities persist in the database", () =>
  withRegistry(async (r, db) => {
    const added = await r.add({ deviceId: "p" });
    assert.deepEqual(await new IdentityRegistry(db).get({ deviceId: "p" }), added);
  }));

Deno.test("concurrent adds of one id: one wins, the other is a 409", () =>
  withRegistry(async (r) => {
    const results = await Promise.allSettled([r.add({ deviceId: "d" }), r.add({ deviceId: "d" })]);
    assert.equal(results.filter((x) => x.status === "fulfilled").length, 1);
    const failed = results.find((x) => x.status === "rejected") as PromiseRejectedResult;
    assert.ok(isRegistryError(409, "'d' already exists")(failed.reason));
  }));

Deno.test("concurrent ensures of one id return the same identity", () =>
  withRegistry(async (r) => {
    const [a, b, c] = await Promise.all([
      r.ensure({ deviceId: "edge" }),
      r.ensure({ deviceId: "edge" }),
      r.ensure({ deviceId: "edge" }),
    ]);
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
    assert.equal((await r.list()).length, 1);
  }));
