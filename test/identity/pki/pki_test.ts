/**
 * Pki directory lifecycle: first-start creation, persistence with private key modes, reload,
 * renewal driven by `now` (80% threshold), hostname-set changes, device-id changes, repair of
 * broken files, user CA and trust bundle composition, and a TLS handshake with the result.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import {
  certValidity,
  createCa,
  hubNames,
  Pki,
  PkiFiles,
  splitPemCertificates,
} from "../../../src/identity/pki/mod.ts";

const DAY = 86_400_000;
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
const at = (days: number) => new Date(T0.getTime() + days * DAY);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ledge-pki-dir-"));
  try {
    await fn(join(dir, "pki"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const req = (now: Date, hostname = "edge1.local") => ({ hostname, deviceId: "dev1", now });

Deno.test("first ensure creates CA and server cert with the right names and file modes", async () => {
  await withDir(async (dir) => {
    const pki = new Pki(dir);
    const result = await pki.ensure(req(T0));
    assert.deepEqual([result.caRenewed, result.serverRenewed], [true, true]);
    const ca = new X509Certificate(pki.caPem);
    assert.equal(ca.subject, "CN=ledge edge CA dev1");
    const { notBefore, notAfter } = certValidity(pki.caPem);
    assert.equal(notAfter.getTime() - notBefore.getTime(), 90 * DAY);
    const server = new X509Certificate(pki.serverCert.certPem);
    assert.equal(server.subject, "CN=edge1.local");
    assert.equal(
      server.subjectAltName,
      "DNS:localhost, DNS:edge1.local, IP Address:127.0.0.1, IP Address:::1",
    );
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
    assert.equal(pki.trustBundlePem, pki.caPem);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, PkiFiles.caKey)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, PkiFiles.serverKey)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, PkiFiles.caCert)).mode & 0o777, 0o644);
    assert.equal(readFileSync(join(dir, PkiFiles.caCert), "utf8"), pki.caPem);
  });
});

Deno.test("later starts reload the same files; renewal follows the 80% threshold", async () => {
  await withDir(async (dir) => {
    const first = new Pki(dir);
    await first.ensure(req(T0));
    const reload = new Pki(dir);
    const r1 = await reload.ensure(req(at(71)));
    assert.deepEqual([r1.caRenewed, r1.serverRenewed], [false, false]);
    assert.equal(reload.caPem, first.caPem);
    assert.equal(reload.serverCert.keyPem, first.serverCert.keyPem);

    assert.equal(reload.renewalDueAt().getTime(), at(72).getTime());
    const r2 = await new Pki(dir).ensure(req(at(72))); // 72/90 = 80%
    assert.deepEqual([r2.caRenewed, r2.serverRenewed], [true, true]);
    assert.match(r2.reasons.join("; "), /edge CA reached renewal threshold/);
    const renewed = new Pki(dir);
    await renewed.ensure(req(at(72)));
    assert.notEqual(renewed.caPem, first.caPem);
    assert.equal(certValidity(renewed.caPem).notBefore.getTime(), at(72).getTime());
  });
});

Deno.test("a shorter-lived server cert is renewed alone", async () => {
  await withDir(async (dir) => {
    const pki = new Pki(dir, { leafDays: 10 });
    await pki.ensure(req(T0));
    const caBefore = pki.caPem;
    const r = await pki.ensure(req(at(8)));
    assert.deepEqual([r.caRenewed, r.serverRenewed], [false, true]);
    assert.match(r.reasons[0], /server certificate reached renewal threshold/);
    assert.equal(pki.renewalDueAt().getTime(), at(16).getTime()); // 8 + 80% of 10 days
    assert.equal(pki.caPem, caBefore);
  });
});

Deno.test("hostname change re-issues the server cert; device id change re-creates the CA", async () => {
  await withDir(async (dir) => {
    const pki = new Pki(dir);
    await pki.ensure(req(T0));
    const same = await pki.ensure(req(at(1), "EDGE1.local")); // case-insensitive
    assert.equal(same.serverRenewed, false);
    const r = await pki.ensure(req(at(1), "127.7.7.9"));
    assert.deepEqual([r.caRenewed, r.serverRenewed], [false, true]);
    assert.match(r.reasons[0], /hostname set changed/);
    const server = new X509Certificate(pki.serverCert.certPem);
    assert.ok(server.subjectAltName?.includes("IP Address:127.7.7.9"));
    assert.ok(!server.subjectAltName?.includes("edge1.local"));
    const d = await pki.ensure({ hostname: "127.7.7.9", deviceId: "dev2", now: at(1) });
    assert.equal(d.caRenewed, true);
    assert.equal(new X509Certificate(pki.caPem).subject, "CN=ledge edge CA dev2");
  });
});

Deno.test("broken or mismatched files are repaired", async () => {
  await withDir(async (dir) => {
    await new Pki(dir).ensure(req(T0));
    writeFileSync(join(dir, PkiFiles.serverKey), createCa({ commonName: "x" }).keyPem);
    const r1 = await new Pki(dir).ensure(req(T0));
    assert.deepEqual([r1.caRenewed, r1.serverRenewed], [false, true]);
    assert.match(r1.reasons[0], /key does not match cert/);
    writeFileSync(join(dir, PkiFiles.caCert), "garbage");
    const r2 = await new Pki(dir).ensure(req(T0));
    assert.deepEqual([r2.caRenewed, r2.serverRenewed], [true, true]);
    assert.match(r2.reasons[0], /unreadable certificate or key/);
  });
});

Deno.test("user-provided CA is used as is; trust bundle appends the user bundle", async () => {
  await withDir(async (dir) => {
    const userCa = createCa({ commonName: "corp edge CA", now: T0, days: 10 });
    const extra = createCa({ commonName: "corp root" });
    const pki = new Pki(dir, { edgeCa: userCa, userTrustBundlePem: extra.certPem });
    const r = await pki.ensure(req(at(9.5))); // past 80% of the user CA: still not renewed
    assert.equal(r.caRenewed, false);
    assert.equal(pki.caPem, userCa.certPem);
    const bundle = splitPemCertificates(pki.trustBundlePem);
    assert.deepEqual(bundle, [userCa.certPem, extra.certPem]);
    const server = new X509Certificate(pki.serverCert.certPem);
    assert.ok(server.checkIssued(new X509Certificate(userCa.certPem)));
  });
});

Deno.test("hubNames: hostname as DNS or IP plus loopback names", () => {
  assert.deepEqual(hubNames("My-Host"), {
    dns: ["localhost", "my-host"],
    ip: ["127.0.0.1", "::1"],
  });
  assert.deepEqual(hubNames("127.0.0.4"), {
    dns: ["localhost"],
    ip: ["127.0.0.1", "::1", "127.0.0.4"],
  });
  assert.deepEqual(hubNames("0:0::1"), { dns: ["localhost"], ip: ["127.0.0.1", "::1"] });
});

Deno.test("ensure rejects empty hostname / device id", async () => {
  await withDir(async (dir) => {
    await assert.rejects(new Pki(dir).ensure({ hostname: "", deviceId: "d" }), /hostname/);
    await assert.rejects(new Pki(dir).ensure({ hostname: "h", deviceId: " " }), /deviceId/);
  });
});

Deno.test("TLS with the ensured hub cert: localhost and 127.0.0.1 trust the Pki bundle", async () => {
  await withDir(async (dir) => {
    const pki = new Pki(dir);
    await pki.ensure(req(new Date()));
    const srv = tls.createServer(pkiTls(pki), (s) => s.end("ok"));
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const port = (srv.address() as AddressInfo).port;
    try {
      for (const extra of [{ servername: "localhost" }, {}]) {
        const got = await new Promise<string>((resolve, reject) => {
          const s = tls.connect({ host: "127.0.0.1", port, ca: pki.trustBundlePem, ...extra });
          let data = "";
          s.setEncoding("utf8");
          s.on("data", (d: string) => (data += d));
          s.on("end", () => resolve(data));
          s.on("error", reject);
        });
        assert.equal(got, "ok");
      }
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
  });
});

function pkiTls(pki: Pki): tls.TlsOptions {
  return { cert: pki.serverCert.certPem, key: pki.serverCert.keyPem };
}

Deno.test("device ids with RDN-special characters reload without renewal", async () => {
  await withDir(async (dir) => {
    const id = { hostname: "h", deviceId: 'dev,1+x="y"', now: T0 };
    assert.equal((await new Pki(dir).ensure(id)).caRenewed, true);
    const again = await new Pki(dir).ensure(id);
    assert.deepEqual([again.caRenewed, again.serverRenewed], [false, false]);
  });
});
