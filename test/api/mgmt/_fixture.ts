/**
 * Shared fixture for the management API tests: the real parts (state database, registry,
 * twins, method relay, C2D queue, monitor) behind `startMgmtServer` on a temp unix socket, a
 * recording fake deploy, and a raw HTTP client that returns status and body for any status.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MgmtContext, type ModulesPort, startMgmtServer } from "../../../src/api/mgmt/mod.ts";
import { type LoadedConfig, parseConfig } from "../../../src/config/mod.ts";
import { type Db, openDatabase } from "../../../src/db/mod.ts";
import { C2dQueue } from "../../../src/hub/c2d/mod.ts";
import { MethodRelay } from "../../../src/hub/methods/mod.ts";
import { MessageMonitor } from "../../../src/hub/monitor.ts";
import { TwinStore } from "../../../src/hub/twin/mod.ts";
import { IdentityRegistry } from "../../../src/identity/mod.ts";

export const CA_PEM = "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n";

/** A response: status and the body parsed as JSON (or the text when it is not JSON). */
// deno-lint-ignore no-explicit-any -- response bodies are checked field by field in tests
export type Reply = { status: number; body: any };

export interface Fixture {
  dir: string;
  socket: string;
  db: Db;
  ctx: MgmtContext;
  /** Manifests the fake deploy received. */
  deployed: unknown[];
  /** Sends one request; `body` is sent as is when a string, else as JSON. */
  req(method: string, path: string, body?: unknown): Promise<Reply>;
}

/** Config as the daemon loads it, with the hub on a non-default MQTTS port. */
function testConfig(dir: string): LoadedConfig {
  const config = parseConfig(
    `hostname: edge.local\ndata_dir: ${dir}\nlisten:\n  mqtts: 127.0.0.1:18883\n`,
    "test",
  );
  return {
    ...config,
    source: "test",
    dataDir: dir,
    mgmtSocketPath: join(dir, "mgmt.sock"),
    iothubHostname: config.hostname,
    gatewayHostname: "edge.local:18883",
  };
}

/** Runs `fn` against a fresh server; `modules` is the agent (absent by default). */
export async function withServer(
  fn: (f: Fixture) => Promise<void>,
  opts: { modules?: ModulesPort } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-mgmt-"));
  const db = await openDatabase(":memory:");
  const deployed: unknown[] = [];
  const config = testConfig(dir);
  const ctx: MgmtContext = {
    config,
    registry: new IdentityRegistry(db),
    twins: new TwinStore(db),
    methods: new MethodRelay(),
    c2d: new C2dQueue(db),
    monitor: new MessageMonitor(),
    caPem: () => CA_PEM,
    deploy: (manifest) => {
      deployed.push(manifest);
      const bad = (manifest as { bad?: boolean } | null)?.bad === true;
      return Promise.resolve(
        bad ? { code: 400, description: "manifest refused" } : { code: 200, description: "ok" },
      );
    },
    modules: opts.modules,
  };
  const socket = config.mgmtSocketPath;
  const server = await startMgmtServer(socket, ctx);
  try {
    await fn({
      dir,
      socket,
      db,
      ctx,
      deployed,
      req: (method, path, body) => rawRequest(socket, method, path, body),
    });
  } finally {
    await server.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One HTTP request over the socket; the body is parsed as JSON when it is JSON. */
export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  const data = body === undefined
    ? undefined
    : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      method,
      path,
      headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
    }, async (res) => {
      const chunks: Uint8Array[] = [];
      for await (const c of res) chunks.push(c as Uint8Array);
      const text = Buffer.concat(chunks).toString();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch { /* not JSON: keep the text */ }
      resolve({ status: res.statusCode ?? 0, body: parsed });
    });
    req.on("error", reject);
    req.end(data);
  });
}
