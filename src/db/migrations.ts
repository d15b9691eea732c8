/**
 * Versioned schema migrations, run in order at start-up inside one transaction each. Append
 * new migrations at the end; never edit a released one.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";

export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<unknown>): Promise<void>;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "identities, twins, c2d queue, key-value state",
    async up(db) {
      await sql`CREATE TABLE identities (
        id TEXT PRIMARY KEY,               -- "dev" or "dev/mod"
        device_id TEXT NOT NULL,
        module_id TEXT,                    -- NULL for devices
        primary_key TEXT NOT NULL,         -- base64
        secondary_key TEXT NOT NULL,
        generation_id TEXT NOT NULL,
        managed_by TEXT NOT NULL DEFAULT 'user',
        status TEXT NOT NULL DEFAULT 'enabled',
        created_at TEXT NOT NULL
      )`.execute(db);
      await sql`CREATE TABLE twins (
        id TEXT PRIMARY KEY,
        desired TEXT NOT NULL DEFAULT '{}',
        desired_version INTEGER NOT NULL DEFAULT 1,
        reported TEXT NOT NULL DEFAULT '{}',
        reported_version INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
      )`.execute(db);
      await sql`CREATE TABLE c2d_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        message BLOB NOT NULL,
        enqueued_at TEXT NOT NULL,
        expires_at TEXT
      )`.execute(db);
      await sql`CREATE INDEX c2d_by_device ON c2d_messages (device_id, seq)`.execute(db);
      await sql`CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`.execute(db);
    },
  },
];

/** Runs every migration newer than the database's `user_version`. */
export async function migrate(db: Kysely<unknown>): Promise<number> {
  const row = await sql<{ user_version: number }>`PRAGMA user_version`.execute(db);
  let current = row.rows[0]?.user_version ?? 0;
  for (const m of migrations) {
    if (m.version <= current) continue;
    await db.transaction().execute(async (trx) => {
      await m.up(trx);
      await sql.raw(`PRAGMA user_version = ${m.version}`).execute(trx);
    });
    current = m.version;
  }
  return current;
}
