/**
 * A kysely dialect over the built-in `node:sqlite` module (Deno, Node >= 22.5), so ledge needs
 * no native addon. kysely's own SqliteDialect expects better-sqlite3's statement shape; this
 * adapter gives `node:sqlite` that shape.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type SqliteDatabase, SqliteDialect, type SqliteStatement } from "kysely";

type Param = null | number | bigint | string | Uint8Array;

function toParams(parameters: ReadonlyArray<unknown>): Param[] {
  return parameters.map((p) => {
    if (p === undefined || p === null) return null;
    if (typeof p === "boolean") return p ? 1 : 0;
    if (p instanceof Date) return p.toISOString();
    return p as Param;
  });
}

class Statement implements SqliteStatement {
  readonly reader: boolean;
  constructor(private readonly stmt: StatementSync, sql: string) {
    // StatementSync.columns() exists from Node 22.16 / Deno 2.3; fall back on the SQL verb.
    const columns = (stmt as { columns?: () => unknown[] }).columns;
    this.reader = columns
      ? columns.call(stmt).length > 0
      : /^\s*(select|pragma|with|values)|\breturning\b/i.test(sql);
  }
  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.stmt.all(...toParams(parameters));
  }
  run(
    parameters: ReadonlyArray<unknown>,
  ): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.stmt.run(...toParams(parameters));
  }
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.stmt.iterate(...toParams(parameters)) as IterableIterator<unknown>;
  }
}

/** Prepared statements kept per database; ledge issues a few dozen distinct SQL strings. */
const STATEMENT_CACHE_SIZE = 64;

class Database implements SqliteDatabase {
  // kysely prepares every query it runs. Without reuse every query (each connect's identity
  // lookup, say) compiles its SQL again and leaves a statement holding SQLite memory until the
  // GC finalizes it; a small LRU keeps a bounded set instead. Reuse is safe: kysely runs one
  // query at a time on a connection.
  readonly #statements = new Map<string, Statement>();
  constructor(readonly raw: DatabaseSync) {}
  prepare(sql: string): SqliteStatement {
    let stmt = this.#statements.get(sql);
    if (stmt) {
      this.#statements.delete(sql); // re-insert: most recently used last
    } else {
      stmt = new Statement(this.raw.prepare(sql), sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }
  close(): void {
    this.#statements.clear();
    this.raw.close();
  }
}

/** Opens `path` with WAL journaling (survives kill -9) and returns a kysely dialect for it. */
export function openSqlite(path: string): { dialect: SqliteDialect; raw: DatabaseSync } {
  const raw = new DatabaseSync(path);
  raw.exec("PRAGMA journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; FULL adds power-cut durability of
  // the last transaction at one fsync per commit. Identity and twin writes are rare: use FULL.
  raw.exec("PRAGMA synchronous = FULL");
  raw.exec("PRAGMA busy_timeout = 5000");
  raw.exec("PRAGMA foreign_keys = ON");
  return { dialect: new SqliteDialect({ database: new Database(raw) }), raw };
}
