/**
 * The workload API over real unix sockets with node:http: authorization, the spec'd error statuses
 * and messages, certificates (checked by X509Certificate and a TLS handshake), trust bundles,
 * encrypt/decrypt, body limits and the per-module socket lifecycle.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import process from "node:process";
import * as tls from "node:tls";
import { startWorkloadServer } from "../../../src/api/workload/mod.ts";
import { b64, call, DEVICE, HUB, signBody, V, withApi } from "./_fixture.ts";

Deno.test("authorization: other module's name, unknown module, genid not checked", async () => {
  await withApi(async ({ api }) => {
    const sock = await api.open("filterModule");
    const body = signBody(b64("x"));
    const other = await call(sock, "POST", `/modules/%24edgeHub/genid/1/sign?${V}`, body);
    assert.deepEqual([other.status, other.json], [403, { message: "forbidden" }]);
    const ghostSock = await api.open("ghost"); // socket exists, identity does not
    const ghost = await call(ghostSock, "POST", `/modules/ghost/genid/1/sign?${V}`, body);
    assert.deepEqual([ghost.status, ghost.json], [403, { message: "forbidden" }]);
    // workload-api.md §3.4: 1.2+ does not compare genid with the identity's generation id.
    const wrongGen = await call(sock, "POST", `/modules/filterModule/genid/999/sign?${V}`, body);
    assert.equal(wrongGen.status, 200);
    // $edgeHub's socket accepts both "$edgeHub" and "edgeHub" in the path.
    const hub = await api.open("$edgeHub");
    for (const name of ["%24edgeHub", "edgeHub"]) {
      assert.equal(
        (await call(hub, "POST", `/modules/${name}/genid/1/sign?${V}`, body)).status,
        200,
      );
    }
  });
});

Deno.test("bad inputs give the spec'd status and message", async () => {
  await withApi(async ({ api }) => {
    const sock = await api.open("filterModule");
    const sign = `/modules/filterModule/genid/1/sign`;
    const cases: [
      string,
      string,
      string | undefined,
      Record<string, string> | undefined,
      number,
      RegExp,
    ][] = [
      ["GET", "/trust-bundle", undefined, undefined, 400, /^api-version not specified$/],
      [
        "GET",
        "/trust-bundle?api-version=1999-01-01",
        undefined,
        undefined,
        400,
        /^invalid api-version "1999-01-01"$/,
      ],
      ["GET", `/foo?${V}`, undefined, undefined, 404, /^not found$/],
      ["GET", `${sign}?${V}`, undefined, undefined, 400, /^method not allowed$/],
      ["POST", `${sign}?${V}`, undefined, undefined, 400, /^missing parameter: request body$/],
      ["POST", `${sign}?${V}`, "{not json", undefined, 422, /invalid JSON/],
      ["POST", `${sign}?${V}`, '{"keyId":"primary"}', undefined, 422, /^data: /],
      [
        "POST",
        `${sign}?${V}`,
        signBody("not base64!"),
        undefined,
        400,
        /^invalid parameter: data is not valid base64/,
      ],
      [
        "POST",
        `${sign}?${V}`,
        signBody("YQ=="),
        { "Content-Type": "text/plain" },
        415,
        /^request body must be application\/json$/,
      ],
      [
        "POST",
        `/modules/filterModule/genid/1/certificate/server?${V}`,
        undefined,
        undefined,
        400,
        /^missing request body$/,
      ],
      [
        "POST",
        `/modules/filterModule/genid/1/certificate/server?${V}`,
        "{}",
        undefined,
        422,
        /^commonName: /,
      ],
    ];
    for (const [method, path, body, headers, status, message] of cases) {
      const r = await call(sock, method, path, body, headers);
      assert.equal(r.status, status, `${method} ${path} ${body}`);
      assert.match(r.json.message as string, message, `${method} ${path} ${body}`);
      assert.equal(r.contentType, "application/json");
    }
    // Content-Type absent still means JSON.
    const r = await call(sock, "POST", `${sign}?${V}`, signBody("YQ=="), {});
    assert.equal(r.status, 200);
  });
});

Deno.test("server certificate: issued by the Edge CA, names, expiration; TLS works with it", async () => {
  await withApi(async ({ api, pki }) => {
    const sock = await api.open("$edgeHub");
    const r = await call(
      sock,
      "POST",
      `/modules/%24edgeHub/genid/637/certificate/server?api-version=2019-01-30`,
      JSON.stringify({ commonName: "localhost", expiration: "2030-01-01T00:00:00Z" }),
    );
    assert.equal(r.status, 201);
    const key = r.json.privateKey as { type: string; bytes: string };
    assert.equal(key.type, "key");
    assert.match(key.bytes, /^-----BEGIN PRIVATE KEY-----/);
    const cert = new X509Certificate(r.json.certificate as string);
    const ca = new X509Certificate(pki.caPem);
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
    assert.equal(cert.subject, "CN=localhost");
    assert.equal(cert.subjectAltName, "DNS:localhost, DNS:edgeHub");
    assert.equal(r.json.expiration, new Date(cert.validTo).toISOString().slice(0, 19) + "+00:00");
    assert.match(r.json.expiration as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const srv = tls.createServer(
      { cert: r.json.certificate as string, key: key.bytes },
      (s) => s.end("hi"),
    );
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const port = (srv.address() as AddressInfo).port;
        const s = tls.connect({
          host: "127.0.0.1",
          port,
          servername: "localhost",
          ca: pki.trustBundlePem,
        });
        let d = "";
        s.setEncoding("utf8");
        s.on("data", (x: string) => (d += x));
        s.on("end", () => resolve(d));
        s.on("error", reject);
      });
      assert.equal(got, "hi");
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
  });
});

Deno.test("server certificate: IP common name, RSA-2048 default key", async () => {
  await withApi(async ({ deps, dir }) => {
    const rsaDeps = { ...deps, leafKeyType: undefined };
    const server = await startWorkloadServer({
      socketPath: join(dir, "m.sock"),
      moduleId: "filterModule",
      deps: rsaDeps,
    });
    try {
      const r = await call(
        server.socketPath,
        "POST",
        `/modules/filterModule/genid/1/certificate/server?${V}`,
        JSON.stringify({ commonName: "127.0.0.1" }),
      );
      assert.equal(r.status, 201);
      const cert = new X509Certificate(r.json.certificate as string);
      assert.equal(cert.subjectAltName, "DNS:filterModule, IP Address:127.0.0.1");
      assert.equal(cert.publicKey.asymmetricKeyType, "rsa");
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    } finally {
      await server.close();
    }
  });
});

Deno.test("identity certificate, trust bundles, encrypt/decrypt, list modules", async () => {
  await withApi(async ({ api, pki }) => {
    const sock = await api.open("filterModule");
    const id = await call(sock, "POST", `/modules/filterModule/certificate/identity?${V}`);
    assert.equal(id.status, 201);
    const cert = new X509Certificate(id.json.certificate as string);
    assert.equal(cert.subject, "CN=filterModule");
    assert.equal(
      cert.subjectAltName,
      `URI:azureiot://${HUB}/devices/${DEVICE}/modules/filterModule`,
    );
    assert.ok(cert.checkIssued(new X509Certificate(pki.caPem)));

    const tb = await call(sock, "GET", `/trust-bundle?${V}`);
    assert.deepEqual([tb.status, tb.json], [200, { certificate: pki.trustBundlePem }]);
    const mtb = await call(sock, "GET", `/manifest-trust-bundle?${V}`);
    assert.deepEqual([mtb.status, mtb.json], [200, { certificate: "" }]);
    assert.equal((await call(sock, "GET", `/modules?${V}`)).status, 404); // no listModules dep

    const iv = b64("0123456789abcdef");
    const enc = await call(
      sock,
      "POST",
      `/modules/filterModule/genid/1/encrypt?${V}`,
      JSON.stringify({ plaintext: b64("secret twin"), initializationVector: iv }),
    );
    assert.equal(enc.status, 200);
    const enc2 = await call(
      sock,
      "POST",
      `/modules/filterModule/genid/1/encrypt?${V}`,
      JSON.stringify({ plaintext: b64("secret twin"), initializationVector: iv }),
    );
    assert.notEqual(enc.json.ciphertext, enc2.json.ciphertext); // fresh nonce per call
    const dec = await call(
      sock,
      "POST",
      `/modules/filterModule/genid/1/decrypt?${V}`,
      JSON.stringify({ ciphertext: enc.json.ciphertext, initializationVector: iv }),
    );
    assert.deepEqual([dec.status, dec.json], [200, { plaintext: b64("secret twin") }]);
    const wrongIv = await call(
      sock,
      "POST",
      `/modules/filterModule/genid/1/decrypt?${V}`,
      JSON.stringify({ ciphertext: enc.json.ciphertext, initializationVector: b64("other") }),
    );
    assert.deepEqual([wrongIv.status, wrongIv.json], [400, {
      message: "invalid parameter: ciphertext could not be decrypted",
    }]);
  });
});

Deno.test("body limits: 413 past the size cap, 408 when the body stalls", async () => {
  await withApi(async ({ api }) => {
    const sock = await api.open("filterModule");
    const big = await call(
      sock,
      "POST",
      `/modules/filterModule/genid/1/sign?${V}`,
      signBody("A".repeat(2000)),
    );
    assert.equal(big.status, 413);
    assert.match(big.json.message as string, /exceeds 1024 bytes/);
    const stalled = await new Promise<string>((resolve, reject) => {
      const s = netConnect(sock, () => {
        s.write(
          `POST /modules/filterModule/genid/1/sign?${V} HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"da`,
        );
      });
      let d = "";
      s.setEncoding("utf8");
      s.on("data", (x: string) => (d += x));
      s.on("end", () => resolve(d));
      s.on("close", () => resolve(d));
      s.on("error", reject);
    });
    assert.match(stalled, /^HTTP\/1.1 408/);
    assert.match(stalled, /timed out reading request body after 100 ms/);
  }, { maxBodyBytes: 1024, bodyTimeoutMs: 100 });
});

Deno.test("WorkloadApi: one socket per module, close removes it, bad ids rejected", async () => {
  await withApi(async ({ api }) => {
    const a = await api.open("filterModule");
    assert.equal(await api.open("filterModule"), a); // idempotent
    assert.deepEqual(api.openModules, ["filterModule"]);
    await api.close("filterModule");
    assert.equal(existsSync(a), false);
    assert.deepEqual(api.openModules, []);
    assert.throws(() => api.socketPathOf("../etc"), /moduleId/);
    assert.throws(() => api.socketPathOf(".."), /moduleId/);
    // A stale socket file left by a crashed process is replaced.
    const path = api.socketPathOf("filterModule");
    execFileSync(process.execPath, [
      "eval",
      `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); Deno.exit(0);`,
    ]);
    assert.ok(statSync(path).isSocket());
    assert.equal(await api.open("filterModule"), path);
    const r = await call(path, "GET", `/trust-bundle?${V}`);
    assert.equal(r.status, 200);
  });
});

Deno.test("startWorkloadServer refuses over-long socket paths and non-socket files", async () => {
  await withApi(async ({ deps, dir }) => {
    await assert.rejects(
      startWorkloadServer({ socketPath: join(dir, "x".repeat(120)), moduleId: "m", deps }),
      /socketPath: .* exceeds the 107-byte limit/,
    );
    await assert.rejects(
      startWorkloadServer({
        socketPath: join(dir, "pki", "edge-ca.cert.pem"),
        moduleId: "m",
        deps,
      }),
      /is not a socket/,
    );
  });
});
