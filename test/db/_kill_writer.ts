/**
 * Child process for the crash test: opens the state database at argv[0], then inserts kv rows
 * in a loop, one transaction each, printing `committed N` after each commit until killed.
 */
import process from "node:process";
import { openDatabase } from "../../src/db/mod.ts";

const path = Deno.args[0];
const db = await openDatabase(path);
for (let i = 1;; i++) {
  await db.insertInto("kv").values({ key: `k${i}`, value: "v".repeat(200) + i }).execute();
  process.stdout.write(`committed ${i}\n`);
  if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
}
