/**
 * The management API's HTTP router: 404 for unknown routes, 400 for bodies that are not JSON
 * or fail their schema (naming the field), statuses from errors, 204 for empty results, 413
 * for oversized bodies — through the real server on a unix socket.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ApiError, Router } from "../../../src/api/mgmt/mod.ts";
import { rawRequest, type Reply, withServer } from "./_fixture.ts";

Deno.test("health answers 200", () =>
  withServer(async ({ req }) => {
    assert.deepEqual(await req("GET", "/health"), { status: 200, body: { status: "ok" } });
  }));

Deno.test("unknown routes and methods are 404 naming method and path", async (t) => {
  const cases: Array<[string, string]> = [
    ["GET", "/nope"],
    ["GET", "/"],
    ["PUT", "/identities"],
    ["GET", "/identities/a/b"],
    ["DELETE", "/twins/x"],
    ["GET", "/health/extra"],
  ];
  await withServer(async ({ req }) => {
    for (const [method, path] of cases) {
      await t.step(`${method} ${path}`, async () => {
        const r = await req(method, path);
        assert.equal(r.status, 404);
        assert.equal(r.body.message, `no route for ${method} ${path}`);
      });
    }
  });
});

Deno.test("a body that is not JSON is a 400 naming the problem", async (t) => {
  await withServer(async ({ req }) => {
    for (const text of ["{not json", "[1,", '{"id": "a",}', "undefined"]) {
      await t.step(text, async () => {
        const r = await req("POST", "/identities", text);
        assert.equal(r.status, 400);
        assert.match(r.body.message, /^request body is not valid JSON: \S/);
      });
    }
  });
});

Deno.test("schema errors are a 400 naming the field, the value and the expectation", async (t) => {
  const cases: Array<[string, string, unknown, string[]]> = [
    ["POST", "/identities", {}, ["id:", "expected string"]],
    ["POST", "/identities", { id: 5 }, ["id:", "expected string", "(got 5)"]],
    ["POST", "/identities", { id: "" }, ["id:", '(got "")']],
    ["POST", "/identities", { id: "d", extra: 1 }, ["Unrecognized key", '"extra"']],
    ["POST", "/identities", [1], ["expected object"]],
    ["POST", "/deploy", { manifests: {} }, ['"manifests"']],
  ];
  await withServer(async ({ req }) => {
    for (const [method, path, body, wants] of cases) {
      await t.step(`${path} ${JSON.stringify(body)}`, async () => {
        const r = await req(method, path, body);
        assert.equal(r.status, 400);
        for (const w of wants) {
          assert.ok(r.body.message.includes(w), `${r.body.message} lacks ${w}`);
        }
      });
    }
  });
});

/** A bare router on its own socket, for behaviour no management route exercises. */
type Req = (method: string, path: string, body?: unknown) => Promise<Reply>;

async function withRouter(router: Router, fn: (req: Req) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), "ledge-router-"));
  const socket = join(dir, "r.sock");
  const server = http.createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((ok) => server.listen(socket, ok));
  try {
    await fn((method, path, body) => rawRequest(socket, method, path, body));
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("Router: params, query, statuses from errors, 204 for no result, 413", async () => {
  const router = new Router()
    .add("GET", "/echo/:a/:b", ({ params, query }) => ({ params, q: query.get("q") }))
    .add("GET", "/empty", () => undefined)
    .add("GET", "/api-error", () => {
      throw new ApiError(418, "teapot");
    })
    .add("GET", "/status-error", () => {
      throw Object.assign(new Error("has a status"), { status: 409 });
    })
    .add("GET", "/crash", () => {
      throw new Error("boom");
    })
    .add("POST", "/body", async ({ body }) => await body(z.strictObject({ n: z.number() })));
  await withRouter(router, async (req) => {
    const results: Array<[string, Reply, Reply]> = [
      ["params decoded", await req("GET", "/echo/x%2Fy/%24edgeHub?q=1"), {
        status: 200,
        body: { params: { a: "x/y", b: "$edgeHub" }, q: "1" },
      }],
      ["bad escape is no match", await req("GET", "/echo/%E0%A4%A/b"), {
        status: 404,
        body: { message: "no route for GET /echo/%E0%A4%A/b" },
      }],
      ["empty", await req("GET", "/empty"), { status: 204, body: undefined }],
      ["ApiError", await req("GET", "/api-error"), { status: 418, body: { message: "teapot" } }],
      ["error with status", await req("GET", "/status-error"), {
        status: 409,
        body: { message: "has a status" },
      }],
      ["other errors", await req("GET", "/crash"), { status: 500, body: { message: "boom" } }],
      ["empty body is {}", await req("POST", "/body", ""), {
        status: 400,
        body: { message: "n: Invalid input: expected number, received undefined" },
      }],
      ["valid body", await req("POST", "/body", { n: 1 }), { status: 200, body: { n: 1 } }],
    ];
    for (const [name, got, want] of results) assert.deepEqual(got, want, name);
    const big = await req("POST", "/body", JSON.stringify({ n: 1, pad: "x".repeat(1 << 20) }));
    assert.equal(big.status, 413);
    assert.match(big.body.message, /larger than 1048576 bytes/);
  });
});
