/**
 * Certificates from issue.ts checked by independent verifiers: node:crypto X509Certificate, the
 * openssl CLI (`openssl verify -x509_strict`), and real TLS handshakes over loopback with node:tls.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import {
  type CertAndKey,
  certExpiry,
  certValidity,
  createCa,
  issueClientCert,
  issueServerCert,
  needsRenewal,
} from "../../../src/identity/pki/mod.ts";

// Wall-clock based: the TLS tests need certificates valid right now.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000 + 500);
const DAY = 86_400_000;

const ca = createCa({ commonName: "ledge edge CA dev1", now: NOW });
const server = issueServerCert(ca, {
  commonName: "myhost.example",
  dnsNames: ["myhost.example", "localhost"],
  ipAddresses: ["127.0.0.1", "::1"],
  days: 30,
  now: NOW,
});

function openssl(args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function withFiles<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "ledge-pki-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("CA: self-signed, CA:true, keyCertSign, exact validity", () => {
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.subject, "CN=ledge edge CA dev1");
  assert.equal(cert.issuer, "CN=ledge edge CA dev1");
  assert.equal(cert.ca, true);
  assert.ok(cert.checkIssued(cert));
  assert.ok(cert.verify(cert.publicKey));
  const { notBefore, notAfter } = certValidity(ca.certPem);
  assert.equal(notBefore.getTime(), NOW.getTime() - 500); // whole seconds
  assert.equal(notAfter.getTime() - notBefore.getTime(), 90 * DAY);
});

Deno.test("CA: openssl sees critical basicConstraints/keyUsage and matching SKI/AKI", () => {
  withFiles({ "ca.pem": ca.certPem }, (dir) => {
    const text = openssl(["x509", "-noout", "-text", "-in", join(dir, "ca.pem")]);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)?.[1];
    const aki = /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
    assert.ok(ski && ski === aki, `SKI ${ski} AKI ${aki}`);
  });
});

Deno.test("server cert: issued by CA, SANs, serverAuth, not a CA, capped by CA lifetime", () => {
  const cert = new X509Certificate(server.certPem);
  const caCert = new X509Certificate(ca.certPem);
  assert.ok(cert.checkIssued(caCert));
  assert.ok(cert.verify(caCert.publicKey));
  assert.equal(cert.ca, false);
  assert.equal(cert.subject, "CN=myhost.example");
  assert.equal(
    cert.subjectAltName,
    "DNS:myhost.example, DNS:localhost, IP Address:127.0.0.1, IP Address:::1",
  );
  assert.ok(cert.checkHost("localhost"));
  assert.ok(cert.checkIP("127.0.0.1"));
  const { notBefore, notAfter } = certValidity(server.certPem);
  assert.equal(notAfter.getTime() - notBefore.getTime(), 30 * DAY);
  // A later issue asking for 90 days would outlive the CA: capped at the CA's notAfter.
  const late = issueServerCert(ca, {
    commonName: "h",
    days: 90,
    now: new Date(NOW.getTime() + DAY),
  });
  assert.equal(certExpiry(late.certPem).getTime(), certExpiry(ca.certPem).getTime());
  withFiles({ "s.pem": server.certPem }, (dir) => {
    const text = openssl(["x509", "-noout", "-text", "-in", join(dir, "s.pem")]);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication/);
  });
});

Deno.test("openssl verify -x509_strict accepts server, client and RSA leaves", () => {
  const client = issueClientCert(ca, {
    commonName: "filterModule",
    uris: ["azureiot://hub.example/devices/dev1/modules/filterModule"],
  });
  const rsa = issueServerCert(ca, {
    commonName: "127.1.2.3",
    ipAddresses: ["127.1.2.3"],
    dnsNames: ["edgeHub"],
    keyType: "rsa-2048",
  });
  assert.match(rsa.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  const clientText = new X509Certificate(client.certPem);
  assert.match(clientText.subjectAltName ?? "", /URI:azureiot:\/\/hub.example/);
  withFiles(
    {
      "ca.pem": ca.certPem,
      "s.pem": server.certPem,
      "c.pem": client.certPem,
      "r.pem": rsa.certPem,
    },
    (dir) => {
      const out = openssl([
        "verify",
        "-x509_strict",
        "-CAfile",
        join(dir, "ca.pem"),
        ...[
          "s.pem",
          "c.pem",
          "r.pem",
        ].map((f) => join(dir, f)),
      ]);
      assert.equal(out.match(/: OK/g)?.length, 3, out);
      openssl([
        "verify",
        "-purpose",
        "sslserver",
        "-CAfile",
        join(dir, "ca.pem"),
        join(dir, "s.pem"),
      ]);
      openssl([
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        join(dir, "ca.pem"),
        join(dir, "c.pem"),
      ]);
      assert.throws(() =>
        openssl([
          "verify",
          "-purpose",
          "sslclient",
          "-CAfile",
          join(dir, "ca.pem"),
          join(dir, "s.pem"),
        ])
      );
    },
  );
});

Deno.test("openssl verify rejects a cert from a different CA", () => {
  const other = createCa({ commonName: "ledge edge CA dev1" }); // same name, different key
  withFiles({ "other.pem": other.certPem, "s.pem": server.certPem }, (dir) => {
    assert.throws(() => openssl(["verify", "-CAfile", join(dir, "other.pem"), join(dir, "s.pem")]));
  });
});

Deno.test("leaf options are validated with named fields", () => {
  assert.throws(
    () => issueServerCert(ca, { commonName: "x", ipAddresses: ["nope"] }),
    /ipAddresses/,
  );
  assert.throws(() => issueServerCert(ca, { commonName: "" }), /commonName/);
  assert.throws(() => createCa({ commonName: "x", days: 0 }), /days/);
  assert.throws(
    () => issueServerCert(ca, { commonName: "x", now: new Date(NOW.getTime() + 91 * DAY) }),
    /CA has expired/,
  );
});

Deno.test("needsRenewal: 80% threshold, expiry and not-yet-valid", () => {
  const leaf = issueServerCert(ca, { commonName: "h", days: 10, now: NOW });
  const at = (days: number) => new Date(NOW.getTime() + days * DAY);
  const cases: [number, boolean][] = [
    [0, false],
    [7.9, false],
    [8, true],
    [9.99, true],
    [10, true],
    [
      -1,
      true,
    ],
  ];
  for (const [day, want] of cases) {
    assert.equal(needsRenewal(leaf.certPem, at(day)), want, `day ${day}`);
  }
  assert.equal(needsRenewal(leaf.certPem, at(5), 0.5), true);
  assert.equal(needsRenewal(leaf.certPem, at(4.9), 0.5), false);
});

async function tlsServe(pair: CertAndKey): Promise<{ port: number; close(): Promise<void> }> {
  const srv = tls.createServer({ cert: pair.certPem, key: pair.keyPem }, (socket) => {
    socket.end("hello");
  });
  srv.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

function tlsConnect(options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options, () => {
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => (data += d));
      socket.on("end", () => resolve(data));
    });
    socket.on("error", reject);
  });
}

Deno.test("TLS handshake: client trusting the CA connects via localhost and 127.0.0.1", async () => {
  const srv = await tlsServe(server);
  try {
    assert.equal(
      await tlsConnect({
        host: "127.0.0.1",
        port: srv.port,
        ca: ca.certPem,
        servername: "localhost",
      }),
      "hello",
    );
    // Default checkServerIdentity against the IP SAN (no servername).
    assert.equal(await tlsConnect({ host: "127.0.0.1", port: srv.port, ca: ca.certPem }), "hello");
  } finally {
    await srv.close();
  }
});

Deno.test("TLS handshake fails with a different CA or a name not in the cert", async () => {
  const srv = await tlsServe(server);
  const other = createCa({ commonName: "ledge edge CA dev1" });
  try {
    await assert.rejects(
      tlsConnect({ host: "127.0.0.1", port: srv.port, ca: other.certPem, servername: "localhost" }),
    );
    await assert.rejects(
      tlsConnect({ host: "127.0.0.1", port: srv.port, ca: ca.certPem, servername: "otherhost" }),
    );
  } finally {
    await srv.close();
  }
});

Deno.test("TLS handshake over ::1 against the IPv6 SAN", async (t) => {
  const srv = tls.createServer({ cert: server.certPem, key: server.keyPem }, (s) => s.end("v6"));
  srv.on("tlsClientError", () => {});
  const listening = await new Promise<boolean>((resolve) => {
    srv.once("error", () => resolve(false));
    srv.listen(0, "::1", () => resolve(true));
  });
  if (!listening) {
    console.warn("SKIPPED: no IPv6 loopback (::1) on this machine");
    return;
  }
  try {
    const port = (srv.address() as AddressInfo).port;
    await t.step("default identity check against IP SAN ::1", async () => {
      assert.equal(await tlsConnect({ host: "::1", port, ca: ca.certPem }), "v6");
    });
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
});
