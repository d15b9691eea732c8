/**
 * The state database: migrations run once (tracked in `user_version`), data survives a reopen,
 * WAL journaling is on, and a writer killed with SIGKILL leaves a database that opens and
 * holds every transaction it reported committed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Kysely, sql } from "kysely";
import { type Db, migrations, openDatabase } from "../../src/db/mod.ts";
import { migrate } from "../../src/db/migrations.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "ledge-db-"));
}

async function pragma(db: Db, name: string): Promise<unknown> {
  const r = await sql<Record<string, unknown>>`${sql.raw(`PRAGMA ${name}`)}`.execute(db);
  return Object.values(r.rows[0] ?? {})[0];
}

const latest = migrations[migrations.length - 1].version;

Deno.test("migrations are numbered 1.. in order", () => {
  migrations.forEach((m, i) => assert.equal(m.version, i + 1, m.name));
});

Deno.test("a new database is migrated to the latest version with every table", async () => {
  const db = await openDatabase(":memory:");
  try {
    assert.equal(await pragma(db, "user_version"), latest);
    const tables = await sql<{ name: string }>`
      SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
      ORDER BY name`.execute(db);
    assert.deepEqual(tables.rows.map((r) => r.name), ["c2d_messages", "identities", "kv", "twins"]);
  } finally {
    await db.destroy();
  }
});

Deno.test("migrate runs nothing on an up-to-date database", async () => {
  const db = await openDatabase(":memory:");
  try {
    await db.insertInto("kv").values({ key: "a", value: "1" }).execute();
    // Re-running would fail on CREATE TABLE; it must be a no-op returning the version.
    assert.equal(await migrate(db as unknown as Kysely<unknown>), latest);
    assert.equal(await migrate(db as unknown as Kysely<unknown>), latest);
    const rows = await db.selectFrom("kv").selectAll().execute();
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ key: "a", value: "1" }]);
  } finally {
    await db.destroy();
  }
});

Deno.test("a file database: WAL on, data and version kept across reopen", async () => {
  const dir = tempDir();
  const path = join(dir, "nested", "state.db"); // parent dirs are created
  try {
    const db = await openDatabase(path);
    assert.equal(await pragma(db, "journal_mode"), "wal");
    assert.equal(await pragma(db, "foreign_keys"), 1);
    await db.insertInto("kv").values({ key: "k", value: "v" }).execute();
    await db.destroy();

    const again = await openDatabase(path);
    try {
      assert.equal(await pragma(again, "user_version"), latest);
      assert.equal(await pragma(again, "journal_mode"), "wal");
      const rows = await again.selectFrom("kv").selectAll().execute();
      assert.deepEqual(rows.map((r) => ({ ...r })), [{ key: "k", value: "v" }]);
    } finally {
      await again.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("a failing migration leaves the version unchanged (one transaction each)", async () => {
  const db = await openDatabase(":memory:");
  const broken = {
    version: latest + 1,
    name: "broken",
    async up(d: Kysely<unknown>) {
      await sql`CREATE TABLE half_done (x INTEGER)`.execute(d);
      await sql`THIS IS NOT SQL`.execute(d);
    },
  };
  migrations.push(broken);
  try {
    await assert.rejects(migrate(db as unknown as Kysely<unknown>));
    assert.equal(await pragma(db, "user_version"), latest);
    const t = await sql<{ n: number }>`
      SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'`.execute(db);
    assert.equal(t.rows[0].n, 0);
  } finally {
    migrations.pop();
    await db.destroy();
  }
});

Deno.test("a writer killed with SIGKILL leaves a readable database with its commits", async () => {
  const dir = tempDir();
  const path = join(dir, "state.db");
  try {
    const child = spawn(
      process.execPath,
      ["run", "-A", join(import.meta.dirname!, "_kill_writer.ts"), path],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let committed = 0;
    const exited = new Promise<NodeJS.Signals | null>((ok) => child.on("exit", (_c, s) => ok(s)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("writer made no progress")), 20_000);
      let buf = "";
      child.stdout!.on("data", (chunk: Uint8Array) => {
        buf += new TextDecoder().decode(chunk);
        const m = [...buf.matchAll(/committed (\d+)\n/g)].at(-1);
        if (m) committed = Number(m[1]);
        if (committed >= 200) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    assert.equal(await exited, "SIGKILL");
    assert.ok(committed >= 200, `child committed only ${committed}`);

    const db = await openDatabase(path);
    try {
      assert.equal(await pragma(db, "integrity_check"), "ok");
      const keys = new Set(
        (await db.selectFrom("kv").select("key").execute()).map((r) => r.key),
      );
      for (let i = 1; i <= committed; i++) assert.ok(keys.has(`k${i}`), `k${i} lost`);
      // Still writable after recovery.
      await db.insertInto("kv").values({ key: "after", value: "crash" }).execute();
    } finally {
      await db.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("parameters: booleans, dates, undefined and bytes reach SQLite as it stores them", async () => {
  const db = await openDatabase(":memory:");
  try {
    const bytes = new Uint8Array([0, 1, 255]);
    const r = await sql<{ t: number; f: number; d: string; n: null; b: Uint8Array }>`
      SELECT ${true} AS t, ${false} AS f, ${new Date(0)} AS d, ${undefined} AS n, ${bytes} AS b
    `.execute(db);
    const row = { ...r.rows[0], b: new Uint8Array(r.rows[0].b) };
    assert.deepEqual(row, { t: 1, f: 0, d: "1970-01-01T00:00:00.000Z", n: null, b: bytes });
  } finally {
    await db.destroy();
  }
});

Deno.test("statements that return rows are read, others report changes", async () => {
  const db = await openDatabase(":memory:");
  try {
    const ins = await db.insertInto("kv").values([{ key: "a", value: "1" }, {
      key: "b",
      value: "2",
    }])
      .executeTakeFirst();
    assert.equal(ins.numInsertedOrUpdatedRows, 2n);
    const ret = await db.updateTable("kv").set({ value: "x" }).returning("key").execute();
    assert.deepEqual(ret.map((r) => r.key).sort(), ["a", "b"]);
    const del = await db.deleteFrom("kv").where("key", "=", "a").executeTakeFirst();
    assert.equal(del.numDeletedRows, 1n);
  } finally {
    await db.destroy();
  }
});
