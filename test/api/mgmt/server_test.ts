/**
 * The management server's socket and the CLI's client: the socket replaces a stale file, is
 * not world-accessible and goes away on close; the client reports API errors with their
 * status and an absent daemon with a hint.
 */
import assert from "node:assert/strict";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { call, MgmtClientError, startMgmtServer, stream } from "../../../src/api/mgmt/mod.ts";
import { withServer } from "./_fixture.ts";

Deno.test("the socket is 0660, replaces a stale file, and is removed on close", () =>
  withServer(async ({ dir, ctx, socket }) => {
    assert.equal(statSync(socket).mode & 0o777, 0o660);
    assert.ok(statSync(socket).isSocket());

    const other = join(dir, "sub", "other.sock"); // parent dirs are created
    const stale = join(dir, "stale.sock");
    writeFileSync(stale, "left over from a crash");
    for (const path of [other, stale]) {
      const server = await startMgmtServer(path, ctx);
      assert.ok(statSync(path).isSocket());
      assert.equal((await call(path, "GET", "/health")).status, 200);
      await server.close();
      assert.equal(existsSync(path), false);
    }
  }));

Deno.test("client: JSON calls and errors with the API's message and status", () =>
  withServer(async ({ socket }) => {
    const created = await call<{ id: string }>(socket, "POST", "/identities", { id: "d" });
    assert.equal(created.status, 201);
    assert.equal(created.body.id, "d");
    const deleted = await call(socket, "DELETE", "/identities/d");
    assert.deepEqual(deleted, { status: 204, body: undefined });
    await assert.rejects(
      call(socket, "GET", "/identities/d"),
      (e: Error) =>
        e instanceof MgmtClientError && e.status === 404 && e.message === "identity 'd' not found",
    );
    await assert.rejects(
      call(socket, "POST", "/identities", { nope: 1 }),
      (e: Error) => e instanceof MgmtClientError && e.status === 400 && /"nope"/.test(e.message),
    );
  }));

Deno.test("client: stream yields chunks, and throws the API's error", () =>
  withServer(async ({ socket }) => {
    let text = "";
    for await (const chunk of stream(socket, "/ca-cert")) text += new TextDecoder().decode(chunk);
    assert.match(text, /BEGIN CERTIFICATE/);
    const it = stream(socket, "/modules/m/logs");
    await assert.rejects(
      it.next(),
      (e: Error) => e instanceof MgmtClientError && e.status === 503 && /agent/.test(e.message),
    );
  }));

Deno.test("client: a missing daemon is reported with a hint", async () => {
  await assert.rejects(
    call("/tmp/ledge-no-such-dir/mgmt.sock", "GET", "/health"),
    (e: Error) =>
      e instanceof MgmtClientError && e.status === undefined &&
      /cannot reach ledge at .*ENOENT.*ledge run/.test(e.message),
  );
});
