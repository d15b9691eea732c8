/**
 * The management API (server and client) that the `ledge` CLI talks to.
 *
 * @module
 */
export { type MgmtContext, type ModulesPort } from "./context.ts";
export { mgmtRouter, startMgmtServer } from "./server.ts";
export { call, MgmtClientError, stream } from "./client.ts";
export { ApiError, Router } from "./router.ts";
export { parseSince } from "./modules.ts";
