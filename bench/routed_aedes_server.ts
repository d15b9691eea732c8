/**
 * aedes with LevelDB persistence (aedes-persistence-level over `level`), served on a loopback
 * port, as the peer broker of bench/routed_throughput.ts. Run as its own process:
 * `deno run -A bench/routed_aedes_server.ts PORT DBDIR`. Prints `aedes listening PORT` when
 * ready; exits on SIGTERM after closing the broker and the database.
 *
 * @module
 */
import net from "node:net";
import process from "node:process";
import { Aedes } from "aedes";
import aedesPersistenceLevel from "aedes-persistence-level";
import { Level } from "level";

const port = Number(process.argv[2]);
const dir = process.argv[3];
if (!Number.isInteger(port) || port <= 0 || !dir) {
  console.error("usage: routed_aedes_server.ts PORT DBDIR");
  process.exit(2);
}

const db = new Level(dir);
const broker = await Aedes.createBroker({ persistence: aedesPersistenceLevel(db) });
broker.on("clientError", (client, err) => {
  console.error(`aedes client error ${client?.id}: ${err.message}`);
});
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  broker.handle(socket);
});
server.listen(port, "127.0.0.1", () => console.log(`aedes listening ${port}`));

process.on("SIGTERM", () => {
  server.close();
  broker.close(() => {
    db.close().finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 3000);
});
