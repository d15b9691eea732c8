/**
 * The management API server: HTTP/1.1 over a unix socket (like IoT Edge's mgmt.sock), owned
 * by the user running ledge and not reachable over the network.
 *
 * @module
 */
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import http from "node:http";
import { dirname } from "node:path";
import { cloudRoutes } from "./cloud.ts";
import type { MgmtContext } from "./context.ts";
import { identityRoutes } from "./identities.ts";
import { moduleRoutes } from "./modules.ts";
import { Router } from "./router.ts";

/** Builds the router for all management routes. */
export function mgmtRouter(ctx: MgmtContext): Router {
  const router = new Router();
  router.add("GET", "/health", () => ({ status: "ok" }));
  identityRoutes(router, ctx);
  cloudRoutes(router, ctx);
  moduleRoutes(router, ctx);
  return router;
}

/** Listens on `socketPath` (replacing a stale socket file); resolves when listening. */
export async function startMgmtServer(
  socketPath: string,
  ctx: MgmtContext,
): Promise<{ close(): Promise<void> }> {
  mkdirSync(dirname(socketPath), { recursive: true });
  rmSync(socketPath, { force: true });
  const router = mgmtRouter(ctx);
  const server = http.createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o660);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
        rmSync(socketPath, { force: true });
      }),
  };
}
