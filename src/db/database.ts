/**
 * The state database: one SQLite file in the data dir holding identities, twins, the C2D
 * queue and small key-value state. Messages do not live here; they go to the segment log.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Kysely } from "kysely";
import { migrate } from "./migrations.ts";
import { openSqlite } from "./sqlite_dialect.ts";

export interface IdentityRow {
  id: string;
  device_id: string;
  module_id: string | null;
  primary_key: string;
  secondary_key: string;
  generation_id: string;
  managed_by: string;
  status: string;
  created_at: string;
}

export interface TwinRow {
  id: string;
  desired: string;
  desired_version: number;
  reported: string;
  reported_version: number;
  updated_at: string;
}

export interface C2dRow {
  seq: number;
  device_id: string;
  message: Uint8Array;
  enqueued_at: string;
  expires_at: string | null;
}

export interface KvRow {
  key: string;
  value: string;
}

export interface Tables {
  identities: IdentityRow;
  twins: TwinRow;
  c2d_messages: C2dRow;
  kv: KvRow;
}

export type Db = Kysely<Tables>;

/** Opens (creating if needed) and migrates the database at `path`. */
export async function openDatabase(path: string): Promise<Db> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const { dialect } = openSqlite(path);
  const db = new Kysely<Tables>({ dialect });
  await migrate(db as unknown as Kysely<unknown>);
  return db;
}
