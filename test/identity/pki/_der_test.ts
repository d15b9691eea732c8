/** Table-driven vectors for the DER writer/reader and the IP/SAN helpers used by the PKI. */
import assert from "node:assert/strict";
import * as der from "../../../src/identity/pki/_der.ts";
import { ipBytes } from "../../../src/identity/pki/_build.ts";
import { canonicalIp } from "../../../src/identity/pki/_inspect.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

Deno.test("DER encodings match known vectors", () => {
  const cases: [string, Uint8Array, string][] = [
    ["OID commonName", der.oid("2.5.4.3"), "0603550403"],
    ["OID ecdsa-with-SHA256", der.oid("1.2.840.10045.4.3.2"), "06082a8648ce3d040302"],
    ["OID serverAuth", der.oid("1.3.6.1.5.5.7.3.1"), "06082b06010505070301"],
    ["INTEGER 2", der.smallInteger(2), "020102"],
    ["INTEGER 0", der.smallInteger(0), "020100"],
    ["INTEGER 128 gets pad", der.smallInteger(128), "02020080"],
    ["INTEGER strips leading zeros", der.unsignedInteger(Uint8Array.of(0, 0, 5)), "020105"],
    ["BOOLEAN true", der.boolean(true), "0101ff"],
    ["NULL", der.nullValue(), "0500"],
    ["empty SEQUENCE", der.sequence(), "3000"],
    ["keyUsage keyCertSign|cRLSign", der.namedBits([5, 6]), "03020106"],
    ["keyUsage digitalSignature", der.namedBits([0]), "03020780"],
    ["keyUsage digitalSignature|keyEncipherment", der.namedBits([0, 2]), "030205a0"],
    ["UTCTime", der.time(new Date("2026-11-26T04:05:06.789Z")), "170d3236313132363034303530365a"],
    [
      "GeneralizedTime from 2050",
      der.time(new Date("2050-01-01T00:00:00Z")),
      "180f32303530303130313030303030305a",
    ],
    ["UTF8String", der.utf8String("ab"), "0c026162"],
  ];
  for (const [name, got, want] of cases) assert.equal(hex(got), want, name);
});

Deno.test("DER long-form lengths round-trip through the reader", () => {
  for (const size of [0, 1, 127, 128, 255, 256, 65535, 70000]) {
    const encoded = der.octetString(new Uint8Array(size).fill(7));
    const node = der.readNode(encoded);
    assert.equal(node.tag, der.Tag.OCTET_STRING);
    assert.equal(node.content.length, size, `size ${size}`);
    assert.equal(node.encoded.length, encoded.length);
  }
});

Deno.test("DER reader rejects truncated input with a located error", () => {
  assert.throws(() => der.readNode(Uint8Array.of(0x30)), /truncated header at 0/);
  assert.throws(() => der.readNode(Uint8Array.of(0x30, 0x05, 1)), /overruns buffer at 0/);
  assert.throws(() => der.readNode(Uint8Array.of(0x30, 0x85, 1, 1, 1, 1, 1)), /bad length form/);
});

Deno.test("OIDs round-trip", () => {
  for (
    const dotted of ["2.5.29.17", "1.2.840.113549.1.1.11", "2.999.3", "1.3.6.1.4.1.311.60.2.1.1"]
  ) {
    const node = der.readNode(der.oid(dotted));
    assert.equal(der.decodeOid(node.content), dotted);
  }
  assert.throws(() => der.oid("1.x.3"), /bad OID/);
});

Deno.test("IP addresses: bytes and canonical text", () => {
  const cases: [string, string, string][] = [
    ["127.0.0.1", "7f000001", "127.0.0.1"],
    ["::1", "00000000000000000000000000000001", "::1"],
    ["0:0:0:0:0:0:0:1", "00000000000000000000000000000001", "::1"],
    ["fe80::1:2", "fe800000000000000000000000010002", "fe80::1:2"],
    ["::ffff:1.2.3.4", "00000000000000000000ffff01020304", "::ffff:102:304"],
    ["2001:db8::", "20010db8000000000000000000000000", "2001:db8::"],
    ["::", "00000000000000000000000000000000", "::"],
  ];
  for (const [text, bytes, canon] of cases) {
    assert.equal(hex(ipBytes(text)), bytes, text);
    assert.equal(canonicalIp(text), canon, text);
  }
  assert.equal(canonicalIp("example.com"), undefined);
  assert.throws(() => ipBytes("300.1.1.1"), /not an IP/);
});
