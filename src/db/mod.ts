/**
 * The state database (SQLite through kysely).
 *
 * @module
 */
export {
  type C2dRow,
  type Db,
  type IdentityRow,
  type KvRow,
  openDatabase,
  type Tables,
  type TwinRow,
} from "./database.ts";
export { type Migration, migrations } from "./migrations.ts";
